"""The upload component: checked by content, limited in size and number, stored outside static/
under random names, served only after an access check with safe headers, and never an orphan."""

from __future__ import annotations

import os
from io import BytesIO

import pytest
from werkzeug.datastructures import FileStorage

from portal.extensions import db
from portal.messaging.models import Message, MessageAttachment
from portal.uploads.models import StoredFile
from portal.uploads.services import (
    UploadRejected,
    check_upload,
    detect_content_type,
    download_name,
    sanitise_filename,
    store_upload,
)
from tests.messaging.helpers import checked, jpeg_bytes, pdf_bytes, png_bytes, start_conversation


def _file(data: bytes, name: str = "file.pdf") -> FileStorage:
    return FileStorage(stream=BytesIO(data), filename=name)


@pytest.fixture
def request_context(app):
    """Checking a file happens in a request (its messages are in the user's language)."""
    with app.test_request_context():
        yield


def _count(model) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model))


def test_files_are_recognised_by_their_content_not_their_name(request_context):
    assert detect_content_type(pdf_bytes()) == "application/pdf"
    assert detect_content_type(png_bytes()) == "image/png"
    assert detect_content_type(jpeg_bytes()) == "image/jpeg"
    assert check_upload(_file(png_bytes(), "photo.pdf")).content_type == "image/png"
    for bad in (
        b"MZ\x90\x00 an executable",
        pdf_bytes()[:-20],  # truncated: no %%EOF
        png_bytes()[:-12],  # no IEND
        jpeg_bytes()[:-2],  # no end of image
        b"<html><script>alert(1)</script></html>",
        b"%PDF-",
    ):
        with pytest.raises(UploadRejected, match="is not a PDF, PNG or JPEG file"):
            check_upload(_file(bad, "looks-fine.pdf"))


def test_empty_and_oversized_files_are_refused_with_a_clear_message(app, request_context):
    with pytest.raises(UploadRejected, match="empty.pdf is empty"):
        check_upload(_file(b"", "empty.pdf"))
    app.config["UPLOAD_MAX_BYTES"] = 1024 * 1024
    big = pdf_bytes() + b"%" * 1024 * 1024 + b"\n%%EOF\n"
    with pytest.raises(UploadRejected, match="big.pdf is larger than 1 MB."):
        check_upload(_file(big, "big.pdf"))
    exactly_the_limit = b"%PDF-" + b"%" * (1024 * 1024 - 11) + b"\n%%EOF"
    assert check_upload(_file(exactly_the_limit, "ok.pdf")).content_type == "application/pdf"


def test_display_names_are_sanitised(request_context):
    assert sanitise_filename("../../etc/passwd") == "passwd"
    assert sanitise_filename("C:\\Users\\me\\report.pdf") == "report.pdf"
    assert sanitise_filename("bad\x00name\r\n.pdf") == "badname.pdf"
    assert sanitise_filename("   ") == "attachment"
    long = sanitise_filename("a" * 300 + ".pdf")
    assert len(long) == 120 and long.endswith(".pdf")
    stored = StoredFile(original_name="report.exe", content_type="application/pdf")
    assert download_name(stored) == "report.exe.pdf"


def test_stored_under_a_random_name_outside_static(app, team):
    conversation = start_conversation(
        team["case"], team["member"], uploads=[checked("Résumé final.pdf")]
    )
    stored = db.session.scalars(db.select(StoredFile)).one()
    path = os.path.join(app.config["UPLOAD_DIR"], stored.storage_name)
    assert os.path.isfile(path) and "static" not in path
    assert "Résumé" not in stored.storage_name and len(stored.storage_name) == 48
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    assert stored.original_name == "Résumé final.pdf"
    assert conversation.id


def test_download_needs_access_and_is_served_safely(team, client_for):
    start_conversation(team["case"], team["member"], uploads=[checked("Résumé final.pdf")])
    attachment = db.session.scalars(db.select(MessageAttachment)).one()
    response = client_for(team["lead"]).get(f"/messages/attachments/{attachment.id}")
    assert response.status_code == 200
    assert response.data == pdf_bytes()
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert (
        "filename*=UTF-8''R%C3%A9sum%C3%A9%20final.pdf" in response.headers["Content-Disposition"]
    )
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert response.headers["Cache-Control"] == "no-store"
    assert (
        client_for(team["outsider"]).get(f"/messages/attachments/{attachment.id}").status_code
        == 404
    )
    from portal.audit.models import AuditEvent

    assert db.session.scalar(
        db.select(AuditEvent).where(AuditEvent.action == "attachment.downloaded")
    )


def _send(browser, url, files, body="My question, typed with care"):
    return browser.post(
        url,
        data={"subject": "With files", "body": body, "attachments": files},
        content_type="multipart/form-data",
    )


def test_a_bad_file_refuses_the_whole_message_and_keeps_the_text(team, client_for):
    browser = client_for(team["member"])
    response = _send(
        browser,
        "/messages/new",
        [(BytesIO(pdf_bytes()), "good.pdf"), (BytesIO(b"not a pdf"), "fake.pdf")],
    )
    assert response.status_code == 200
    assert "fake.pdf is not a PDF, PNG or JPEG file, or it is damaged." in response.text
    assert "My question, typed with care" in response.text
    assert 'aria-describedby="attachments-hint attachments-error"' in response.text
    assert "please choose your files again" in response.text
    assert (_count(Message), _count(StoredFile)) == (0, 0)
    upload_dir = browser.application.config["UPLOAD_DIR"]
    assert not os.path.isdir(upload_dir) or os.listdir(upload_dir) == []


def test_at_most_five_files_per_message(team, client_for):
    browser = client_for(team["member"])
    six = [(BytesIO(pdf_bytes()), f"f{n}.pdf") for n in range(6)]
    response = _send(browser, "/messages/new", six)
    assert "Attach at most 5 files." in response.text
    assert _count(Message) == 0
    five = [(BytesIO(pdf_bytes()), f"f{n}.pdf") for n in range(5)]
    assert _send(browser, "/messages/new", five).status_code == 302
    assert _count(MessageAttachment) == 5


def test_an_unwritable_upload_folder_sends_nothing_and_says_so(app, team, client_for, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    app.config["UPLOAD_DIR"] = str(blocker / "uploads")
    browser = client_for(team["member"])
    response = _send(browser, "/messages/new", [(BytesIO(pdf_bytes()), "a.pdf")])
    assert response.status_code == 200
    assert "Your files could not be saved, so nothing was sent." in response.text
    assert "My question, typed with care" in response.text
    assert (_count(Message), _count(StoredFile)) == (0, 0)


def test_a_failed_commit_leaves_no_orphan_file(app, team):
    upload_dir = app.config["UPLOAD_DIR"]
    store_upload(checked(), uploaded_by=team["member"])
    db.session.flush()
    assert len(os.listdir(upload_dir)) == 1
    db.session.rollback()
    assert os.listdir(upload_dir) == []

    # A commit that fails (a duplicate storage name here) removes the file it wrote, too.
    stored = store_upload(checked(), uploaded_by=team["member"])
    db.session.commit()
    clash = store_upload(checked(), uploaded_by=team["member"])
    clash.storage_name = stored.storage_name
    with pytest.raises(Exception):  # noqa: B017 — the backend's IntegrityError
        db.session.commit()
    db.session.rollback()
    assert os.listdir(upload_dir) == [stored.storage_name]
