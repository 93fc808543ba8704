"""Evidence uploads are checked by content, and served only to the member and staff on the case."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.activities import services
from portal.activities.models import ActivityStatus, Submission
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.uploads.models import StoredFile
from tests.activities.helpers import activity, jpeg_bytes, pdf_bytes, png_bytes, submit

TITLE = "Communication e-learning"


def _post(client, key, *, data: bytes | None, name="certificate.pdf", learned="L", change="C"):
    form = {"learned": learned, "practice_change": change}
    if data is not None:
        form["evidence"] = (io.BytesIO(data), name)
    return client.post(f"/activities/{key}/submit", data=form, content_type="multipart/form-data")


@pytest.mark.parametrize(
    "name, data, kind",
    [
        ("certificate.pdf", pdf_bytes(), "application/pdf"),
        ("attendance.png", png_bytes(), "image/png"),
        ("photo.jpeg", jpeg_bytes(), "image/jpeg"),
    ],
)
def test_pdf_png_and_jpeg_are_accepted(app, active, signed_in, name, data, kind):
    case = active["case"]
    key = activity(case, TITLE).key
    response = _post(signed_in(case.member), key, data=data, name=name)
    assert response.status_code == 302
    assert services.status_of(case, key) is ActivityStatus.SUBMITTED
    submission = db.session.scalar(select(Submission))
    assert (submission.file.original_name, submission.file.content_type) == (name, kind)
    assert (submission.learned, submission.practice_change) == ("L", "C")


HTML = b"<!doctype html><script>alert(1)</script>"


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("certificate.pdf", HTML, b"is not a PDF, PNG or JPEG file, or it is damaged"),
        ("certificate.png", b"GIF89a" + b"\x00" * 20, b"is not a PDF, PNG or JPEG file"),
        ("truncated.pdf", pdf_bytes()[:-40], b"is not a PDF, PNG or JPEG file, or it is damaged"),
        ("empty.pdf", b"", b"is empty"),
        ("big.pdf", b"%PDF-1.4\n" + b"0" * 2048 + b"\n%%EOF\n", b"is larger than"),
        (None, None, b"Choose the file that shows you completed the activity."),
    ],
)
def test_bad_files_are_refused_and_change_nothing(app, active, signed_in, name, data, message):
    app.config["UPLOAD_MAX_BYTES"] = 1024
    case = active["case"]
    key = activity(case, TITLE).key
    response = _post(signed_in(case.member), key, data=data, name=name or "x")
    assert response.status_code == 400
    assert message in response.data
    assert b'aria-invalid="true"' in response.data
    assert services.status_of(case, key) is ActivityStatus.NOT_STARTED
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 0
    assert db.session.scalar(select(func.count()).select_from(StoredFile)) == 0
    upload_dir = Path(app.config["UPLOAD_DIR"])
    assert not upload_dir.exists() or not any(upload_dir.iterdir())


def test_a_reflection_is_required(app, active, signed_in):
    case = active["case"]
    key = activity(case, TITLE).key
    response = _post(signed_in(case.member), key, data=pdf_bytes(), learned="", change="")
    assert response.status_code == 400
    assert b"Say briefly what you learned." in response.data
    assert b"Say briefly what you will change in your practice." in response.data
    assert services.status_of(case, key) is ActivityStatus.NOT_STARTED


def test_a_returned_activity_can_be_resubmitted_and_earlier_evidence_is_kept(
    app, active, signed_in
):
    case = active["case"]
    key = activity(case, TITLE).key
    submit(case, TITLE)
    services.return_activity(case, activity(case, TITLE), by=active["lead"], comment="No name")
    db.session.commit()
    client = signed_in(case.member)
    page = client.get(f"/activities/{key}").data
    assert b"No name" in page
    assert _post(client, key, data=png_bytes(), name="second.png").status_code == 302
    assert services.status_of(case, key) is ActivityStatus.SUBMITTED
    names = [s.file.original_name for s in services.submissions_of(case, key)]
    assert names == ["second.png", "certificate.pdf"]


# --- Downloads ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who, status",
    [
        ("member", 200),
        ("other_member", 404),
        ("lead", 200),
        ("colleague", 200),
        ("outsider", 404),
        ("admin", 200),
        ("anonymous", 302),
    ],
)
def test_evidence_download_for_every_role(app, active, signed_in, who, status):
    submission = submit(active["case"], TITLE)
    client = app.test_client() if who == "anonymous" else signed_in(active[who])
    response = client.get(f"/activities/evidence/{submission.id}")
    assert response.status_code == status
    downloads = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "evidence.downloaded")
    ).all()
    if status == 200:
        assert response.data == pdf_bytes()
        assert response.headers["Content-Disposition"].startswith("attachment;")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response.headers["Content-Security-Policy"]
        assert [(e.actor_id, e.object_id) for e in downloads] == [(active[who].id, submission.id)]
    else:
        assert downloads == []
    if status == 404:
        assert db.session.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "access.denied", AuditEvent.actor_id == active[who].id
            )
        )
    if status == 302:
        assert response.location.startswith("/login")
