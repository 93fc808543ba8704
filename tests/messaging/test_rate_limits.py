"""Per-user limits on sending messages and files: a refused message keeps its text on the page and
nothing is saved; other people are not held back."""

import io

import pytest

from portal.extensions import db
from portal.messaging.models import Message
from tests.messaging.helpers import pdf_bytes, start_conversation


@pytest.fixture
def app_overrides(tmp_path) -> dict:
    return {
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        "MESSAGE_RATE_LIMIT": "3 per minute",
        "UPLOAD_RATE_LIMIT": "1 per hour",
    }


def _messages() -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(Message))


def _reply(client, conversation, body, *, with_file=False):
    data = {"body": body}
    if with_file:
        data["attachments"] = [(io.BytesIO(pdf_bytes()), "report.pdf")]
    return client.post(
        f"/messages/{conversation.id}/reply", data=data, content_type="multipart/form-data"
    )


def test_messages_are_limited_per_user_and_the_text_is_kept(team, client_for):
    conversation = start_conversation(team["case"], team["member"])
    member = client_for(team["member"])
    for n in range(3):
        assert _reply(member, conversation, f"Message {n}").status_code == 302
    before = _messages()
    refused = _reply(member, conversation, "A fourth message, written with care")
    assert "Wait a few minutes" in refused.text
    assert "A fourth message, written with care</textarea>" in refused.text
    assert _messages() == before
    # The team is not held back by the member's limit.
    assert _reply(client_for(team["lead"]), conversation, "Our answer").status_code == 302


def test_files_are_limited_per_user(team, client_for):
    conversation = start_conversation(team["case"], team["member"])
    member = client_for(team["member"])
    assert _reply(member, conversation, "Here is my report", with_file=True).status_code == 302
    before = _messages()
    refused = _reply(member, conversation, "And another file", with_file=True)
    assert "sent many files" in refused.text
    assert _messages() == before
    assert _reply(member, conversation, "Without a file this time").status_code == 302
