"""When something the portal depends on fails, nobody loses what they wrote and nobody sees a
traceback.

- SMTP refusing, answering 4xx/5xx or hanging: sending a message stays quick (the request only
  writes outbox rows), the worker keeps each email and tries again, and once the relay is back each
  is delivered exactly once. (tests/outbox covers the worker's policy itself: backoff, give-up,
  timeouts, concurrent workers.)
- The database unreachable, before or in the middle of a request: our own 503 page, and nothing
  half-written afterwards.
- The upload folder unwritable: the form comes back with a clear message and what was typed, and
  neither a row nor a file is left behind.
"""

from __future__ import annotations

import errno
import os
import time
from io import BytesIO
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from portal.activities.models import Submission
from portal.extensions import db
from portal.messaging.models import Conversation, Message, MessageAttachment, MessageKind
from portal.outbox.mailcatcher import EmlDirectoryHandler, read_mailbox
from portal.outbox.models import EmailStatus, OutboxEmail
from portal.outbox.worker import send_due_emails
from portal.uploads.models import StoredFile
from tests.activities.helpers import activate_plan, activity
from tests.conftest import free_port
from tests.messaging.helpers import pdf_bytes, post, start_conversation
from tests.outbox.helpers import HangingSMTPServer
from tests.security.helpers import dbapi_error

TYPED = "My question, typed with care before the failure"
UNAVAILABLE = "The portal is temporarily unavailable"


@pytest.fixture
def app_overrides(tmp_path) -> dict:
    return {"UPLOAD_DIR": str(tmp_path / "uploads")}


@pytest.fixture
def case(make_member, make_staff, make_case):
    return make_case(member=make_member(name="Dr. Faulty"), lead=make_staff(name="Lead Advisor"))


def _count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _write_message(browser, body=TYPED, files=()):
    return browser.post(
        "/messages/new",
        data={"subject": "A question", "body": body, "attachments": list(files)},
        content_type="multipart/form-data",
    )


# --- SMTP ------------------------------------------------------------------------------------


class TemporarilyFailingHandler(EmlDirectoryHandler):
    """Accepts the envelope, then refuses the message itself with a 4xx, as a relay does when its
    queue is full."""

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.count += 1
        return "451 4.3.0 Mail server temporarily rejected message"


class Relay:
    """A broken relay of one kind: `start()` points the app at it, `stop()` cleans up."""

    def __init__(self, app, kind: str, directory: Path):
        self.app, self.kind, self.directory = app, kind, directory
        self.hanging = self.controller = None

    def start(self) -> None:
        port = free_port()
        if self.kind in {"hangs", "answers 554 at connection"}:
            greeting = (
                b"554 5.3.2 Not accepting mail\r\n" if self.kind.startswith("answers") else None
            )
            self.hanging = HangingSMTPServer(greeting=greeting)
            port = self.hanging.port
        elif self.kind == "answers 451 to the message":
            self.controller = Controller(
                TemporarilyFailingHandler(self.directory), hostname="127.0.0.1", port=port
            )
            self.controller.start()
        self.app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_TIMEOUT_SECONDS=0.5)

    def contacts(self) -> int | None:
        """How many times someone talked to this relay (None: a refused connection leaves no
        trace to count)."""
        if self.hanging:
            time.sleep(0.1)  # give the accept loop a chance to see a connection, if any
            return len(self.hanging.connections)
        if self.controller:
            return self.controller.handler.count
        return None

    def stop(self) -> None:
        if self.hanging:
            self.hanging.close()
        if self.controller:
            self.controller.stop()


@pytest.mark.parametrize(
    "kind",
    ["refuses connections", "answers 554 at connection", "answers 451 to the message", "hangs"],
)
def test_smtp_trouble_never_slows_or_loses_a_message_and_never_doubles_an_email(
    app, case, client_for, mail_server, tmp_path, kind
):
    relay = Relay(app, kind, tmp_path / "broken-relay")
    relay.start()
    try:
        member = client_for(case.member)
        response = _write_message(member)
        assert response.status_code == 302
        uncountable = kind == "refuses connections"  # a refused connection leaves no trace
        # The request only wrote rows: SMTP is the worker's.
        assert relay.contacts() == (None if uncountable else 0)
        assert _count(Message) == 1  # the message itself is saved whatever SMTP does
        [queued] = db.session.scalars(sa.select(OutboxEmail)).all()
        assert (queued.to_address, queued.template) == (case.lead_advisor.email, "notification")

        for attempt in (1, 2):  # the relay stays broken: the email is kept and tried again
            started = time.monotonic()
            assert send_due_emails() == (0, 1)
            assert time.monotonic() - started < 10 * app.config["MAIL_TIMEOUT_SECONDS"]
            db.session.expire_all()
            assert (queued.status, queued.attempts) == (EmailStatus.PENDING, attempt)
            assert queued.body_text and queued.last_error
        assert relay.contacts() == (None if uncountable else 2)  # the worker, once per pass
    finally:
        relay.stop()

    # The relay is back: each email is delivered once, and later passes send nothing again.
    app.config.update(MAIL_PORT=mail_server.port)
    assert send_due_emails() == (1, 0)
    assert send_due_emails() == (0, 0)
    [delivered] = mail_server.messages()
    assert delivered["To"] == case.lead_advisor.email
    assert delivered["Message-ID"] == queued.message_id
    assert read_mailbox(tmp_path / "broken-relay") == []  # the 451 relay kept nothing
    db.session.expire_all()
    assert (queued.status, queued.attempts) == (EmailStatus.SENT, 3)


# --- The database ---------------------------------------------------------------------------


class DatabaseSwitch:
    """`down()`: from now on no connection to the database can be opened (the pool is emptied),
    as when the server has gone away; `up()`: it is back."""

    def __init__(self):
        self.is_down = False

    @staticmethod
    def _refuse(dialect, connection_record, cargs, cparams):
        raise dbapi_error("OperationalError", "connection refused: is the server running?")

    def down(self) -> None:
        sa.event.listen(db.engine, "do_connect", self._refuse)
        self.is_down = True
        db.session.remove()
        db.engine.dispose()

    def up(self) -> None:
        if self.is_down:
            sa.event.remove(db.engine, "do_connect", self._refuse)
            self.is_down = False


@pytest.fixture
def database(app):
    switch = DatabaseSwitch()
    yield switch
    switch.up()


def test_an_unreachable_database_gives_our_503_page_on_get_and_post(
    app, case, client_for, database
):
    member = client_for(case.member)
    database.down()
    page = member.get("/messages/new")
    sent = _write_message(member)
    for response in (page, sent):
        assert response.status_code == 503
        assert UNAVAILABLE in response.text
        assert "Traceback" not in response.text and "OperationalError" not in response.text
    database.up()
    assert _count(Message) == 0
    assert member.get("/messages/new").status_code == 200  # and the portal recovers by itself


@pytest.mark.parametrize("table", ["messages", "audit_events", "outbox_emails"])
def test_a_database_failure_mid_request_leaves_nothing_half_written(
    app, case, client_for, fail_on_insert_into, table
):
    """Starting a conversation writes the conversation, its message, the attachment and its file,
    the audit events and the notification emails: whichever of them fails, none is kept."""
    member = client_for(case.member)
    before = fail_on_insert_into(table)
    response = _write_message(member, files=[(BytesIO(pdf_bytes()), "notes.pdf")])
    assert any(s.lstrip().upper().startswith("INSERT INTO CONVERSATIONS") for s in before)
    assert response.status_code == 503
    assert UNAVAILABLE in response.text
    for model in (Conversation, Message, MessageAttachment, StoredFile, OutboxEmail):
        assert _count(model) == 0, model.__name__
    upload_dir = Path(app.config["UPLOAD_DIR"])
    assert not upload_dir.exists() or list(upload_dir.iterdir()) == []


# --- The upload folder ----------------------------------------------------------------------


@pytest.fixture
def upload_folder_fails(app, monkeypatch):
    """`upload_folder_fails(after=0, error=errno.EACCES)`: writing into UPLOAD_DIR fails after
    `after` files were written. Without root, the folder really is made read-only (0o500); root
    writes there anyway, so the write itself is made to fail as the system would refuse it."""
    folder = Path(app.config["UPLOAD_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    real_open = os.open
    written = []

    def arm(after: int = 0, error: int = errno.EACCES):
        if after == 0 and error == errno.EACCES and os.geteuid() != 0:
            folder.chmod(0o500)
            return

        def failing_open(path, flags, mode=0o777, **kwargs):
            if Path(path).parent == folder and flags & os.O_CREAT:
                if len(written) >= after:
                    raise OSError(error, os.strerror(error), str(path))
                written.append(path)
            return real_open(path, flags, mode, **kwargs)

        monkeypatch.setattr(os, "open", failing_open)

    yield arm
    folder.chmod(0o700)


def _nothing_stored(app) -> None:
    assert (_count(MessageAttachment), _count(StoredFile)) == (0, 0)
    assert list(Path(app.config["UPLOAD_DIR"]).iterdir()) == []


FILES_NOT_SAVED = "Your files could not be saved, so nothing was sent."


@pytest.mark.parametrize("after", [0, 1], ids=["first-file", "second-file"])
def test_an_unwritable_upload_folder_keeps_the_reply_text_and_stores_nothing(
    app, case, client_for, upload_folder_fails, after
):
    conversation = start_conversation(case, case.member)
    upload_folder_fails(after=after, error=errno.EACCES if after == 0 else errno.ENOSPC)
    response = client_for(case.member).post(
        f"/messages/{conversation.id}/reply",
        data={
            "body": TYPED,
            "attachments": [(BytesIO(pdf_bytes()), "a.pdf"), (BytesIO(pdf_bytes()), "b.pdf")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert FILES_NOT_SAVED in response.text
    assert TYPED in response.text
    assert _count(Message) == 1  # only the conversation's first message
    _nothing_stored(app)


def test_an_unwritable_upload_folder_keeps_the_note_text_and_stores_nothing(
    app, case, client_for, upload_folder_fails
):
    conversation = start_conversation(case, case.member)
    post(conversation, case.lead_advisor, MessageKind.STAFF, "Thank you")
    upload_folder_fails()
    response = client_for(case.lead_advisor).post(
        f"/messages/{conversation.id}/notes",
        data={"note-body": TYPED, "note-attachments": [(BytesIO(pdf_bytes()), "n.pdf")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert FILES_NOT_SAVED in response.text
    assert TYPED in response.text
    assert _count(Message) == 2
    _nothing_stored(app)


def test_an_unwritable_upload_folder_keeps_the_evidence_form_and_stores_nothing(
    app, case, client_for, upload_folder_fails
):
    activate_plan(case, case.lead_advisor)
    key = activity(case, "Communication e-learning").key
    upload_folder_fails()
    response = client_for(case.member).post(
        f"/activities/{key}/submit",
        data={
            "evidence": (BytesIO(pdf_bytes()), "certificate.pdf"),
            "learned": TYPED,
            "practice_change": "I now use teach-back at every discharge.",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "Your file could not be saved, so nothing was sent." in response.text
    assert TYPED in response.text
    assert "I now use teach-back at every discharge." in response.text
    assert (_count(Submission), _count(StoredFile)) == (0, 0)
    assert list(Path(app.config["UPLOAD_DIR"]).iterdir()) == []
