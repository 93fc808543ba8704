"""The member's right of access: everything the portal holds about them that they may see, as one
ZIP archive in their language — and nothing they may not see, nor anybody else's."""

from __future__ import annotations

from datetime import datetime, timedelta

from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.messaging.models import MessageKind
from portal.privacy.services import archive_file_name
from portal.uploads.models import StoredFile
from portal.uploads.services import JPEG, PDF, PNG, upload_dir
from tests.checkins.helpers import schedule
from tests.messaging.helpers import checked, post, start_conversation
from tests.privacy.helpers import NEVER_IN_ARCHIVE, Archive, read_archive


def download(client) -> Archive:
    response = client.post("/my-data/archive")
    assert response.status_code == 200, response.text[:500]
    assert response.mimetype == "application/zip"
    return read_archive(response.data)


def test_the_archive_holds_every_kind_of_record_and_the_files(full, client_for):
    archive = download(client_for(full["member"]))

    assert set(archive.names) == {"README.html", "data.json", *full["records"]}
    for name, content in full["records"].items():
        assert archive.files[name] == content, name
    data = archive.data
    assert data["format"] == "msp-portal-member-data" and data["format_version"] == 1
    assert datetime.fromisoformat(data["generated_at"]).tzinfo is not None
    assert data["profile"]["name"] == "Dr. Archive Owner"
    assert data["profile"]["member_number"].startswith("T-")
    assert data["profile"]["time_zone"] == "America/Edmonton"
    assert data["case"]["lead_advisor"] == "Lead Advisor"
    (version,) = data["assessment_versions"]
    assert version["number"] == 1 and version["reviewed_at"] and len(version["factors"]) == 2
    comments = [p["comment"] for p in data["assessment_perspectives"]]
    assert "A very busy clinic that year." in comments
    assert "I want to improve my discharge conversations." in comments
    (plan_version,) = data["plan_versions"]
    assert plan_version["status"] == "active" and plan_version["member_agreed_at"]
    assert data["plan_inputs"][0]["availability"] == "Evenings after clinic"

    first = data["activities"][0]
    assert first["title"] == "Communication e-learning" and first["status"] == "submitted"
    assert [(c["from"], c["to"]) for c in first["history"]] == [
        ("not_started", "submitted"),
        ("submitted", "returned"),
        ("returned", "submitted"),
    ]
    assert first["history"][1]["comment"] == "Please add the page with your name."
    assert [s["evidence"]["path"] for s in first["submissions"]] == [
        "evidence/certificate.pdf",
        "evidence/Certificate (2).pdf",
    ]
    assert first["submissions"][0]["what_i_learned"] == "Teach-back works."
    assert {a["title"] for a in data["activities"]} >= {"Teach-back workshop"}

    (conversation,) = data["conversations"]
    assert [(m["from"], m["body"]) for m in conversation["messages"]] == [
        ("member", "Can I move the workshop to the spring?"),
        ("msp_team", "Yes, of course: see the attached dates."),
    ]
    assert conversation["messages"][1]["attachments"][0]["path"] == "attachments/my-notes (2).pdf"

    held, upcoming = data["check_ins"]
    assert held["status"] == "held" and held["summary"] == "We reviewed your progress together."
    assert upcoming["reschedule_requests"][0]["reason"] == "I am on call that day."
    assert "internal_notes" not in held

    assert sorted(v["action"] for v in data["file_views"]) == ["case.viewed", "plan.viewed"]
    assert {v["by"] for v in data["file_views"]} == {"Lead Advisor"}

    readme = archive.readme
    assert '<html lang="en">' in readme
    for heading in (
        "Your profile",
        "Your assessment",
        "Your education plan",
        "Your activities",
        "Messages",
        "Your check-ins",
        "Who viewed my file",
    ):
        assert heading in readme, heading
    for text in (
        "A very busy clinic that year.",
        "Evenings after clinic",
        "Teach-back works.",
        "Please add the page with your name.",
        "Can I move the workshop to the spring?",
        "We reviewed your progress together.",
        "I am on call that day.",
        "Lead Advisor",
    ):
        assert text in readme, text
    assert 'href="evidence/Certificate%20%282%29.pdf"' in readme
    assert 'href="attachments/my-notes.pdf"' in readme
    assert "<script" not in readme and "http://" not in readme.split("<main>")[0]


def test_the_archive_never_holds_drafts_internal_notes_or_other_members_records(full, client_for):
    archive = download(client_for(full["member"]))
    everything = archive.everything
    for secret in NEVER_IN_ARCHIVE:
        assert secret not in everything, secret
    assert "note attachment" not in everything  # the internal note's file, by its bytes
    assert "Dr. Someone Else" not in everything
    assert "Test" not in archive.data["case"].values()  # the referral reason is staff's
    assert [v["number"] for v in archive.data["plan_versions"]] == [1]


def test_the_page_explains_the_archive_and_the_download_is_audited(full, client_for, app):
    client = client_for(full["member"])
    assert "/my-data" in client.get("/dashboard").text
    page = client.get("/my-data")
    assert page.status_code == 200
    assert 'action="/my-data/archive"' in page.text and "Download my data" in page.text

    response = client.post("/my-data/archive")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="msp-portal-my-data-2030-01-19.zip"'
    )
    assert response.headers["Cache-Control"] == "no-store"
    assert int(response.headers["Content-Length"]) == len(response.data)
    (event,) = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.action == "privacy.archive_downloaded")
    ).all()
    assert event.actor_id == full["member"].id and event.case_id == full["case"].id
    assert event.detail == "5 files"


def test_a_french_member_gets_the_archive_in_french(full, client_for):
    full["member"].language = "fr"
    db.session.commit()
    client = client_for(full["member"])
    assert '<html lang="fr">' in client.get("/my-data").text
    readme = download(client).readme
    assert '<html lang="fr">' in readme
    for heading in ("Votre évaluation", "Votre plan de formation", "Qui a consulté mon dossier"):
        assert heading in readme, heading
    assert "Who viewed my file" not in readme and "Your assessment" not in readme


def test_staff_and_admins_cannot_download_a_members_archive(full, client_for, client):
    for person in (full["lead"], full["admin"]):
        staff_client = client_for(person)
        assert staff_client.get("/my-data").status_code == 403
        assert staff_client.post("/my-data/archive").status_code == 403
    signed_out = client.post("/my-data/archive")
    assert signed_out.status_code == 302 and signed_out.location.startswith("/login")
    assert not db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.action == "privacy.archive_downloaded")
    ).all()


def test_a_member_without_a_case_gets_their_profile(make_member, client_for):
    archive = download(client_for(make_member(name="Dr. No Case")))
    assert archive.data["profile"]["name"] == "Dr. No Case"
    assert archive.data["case"] is None and archive.data["conversations"] == []
    assert "You have no case in the program" in archive.readme


def test_a_file_lost_from_storage_is_listed_not_fatal(full, client_for):
    stored = db.session.scalars(
        db.select(StoredFile).where(StoredFile.original_name == "certificate.pdf")
    ).one()
    (upload_dir() / stored.storage_name).unlink()
    archive = download(client_for(full["member"]))
    assert "evidence/certificate.pdf" not in archive.names
    evidence = archive.data["activities"][0]["submissions"][0]["evidence"]
    assert evidence["missing"] is True and evidence["path"] is None
    assert "could not be found in storage" in archive.readme


def test_archives_are_limited_per_member(full, client_for, app):
    app.config["PRIVACY_ARCHIVE_RATE_LIMIT"] = "1 per hour"
    client = client_for(full["member"])
    assert client.post("/my-data/archive").status_code == 200
    refused = client.post("/my-data/archive", follow_redirects=True)
    assert "downloaded your data several times recently" in refused.text


def test_file_names_are_safe_and_unique(app):
    taken: set[str] = set()

    def name(original: str, content_type: str = PDF) -> str:
        with app.test_request_context():
            stored = StoredFile(original_name=original, content_type=content_type)
            return archive_file_name(stored, taken)

    assert name("report.pdf") == "report.pdf"
    assert name("report.pdf") == "report (2).pdf"
    assert name("REPORT.PDF") == "REPORT (3).pdf"
    assert name("../../etc/passwd") == "passwd.pdf"
    assert name("..\\..\\windows\\win.ini") == "win.ini.pdf"
    assert name("CON.pdf") == "_CON.pdf"
    assert name('a<b>c:d"e|f?g*h.png', PNG) == "a_b_c_d_e_f_g_h.png"
    assert name("photo.jpeg", JPEG) == "photo.jpeg"
    assert name("scan", JPEG) == "scan.jpg"
    assert name("...") == "attachment.pdf"
    assert name("\x00evil\n\u202e.pdf") == "evil.pdf"
    assert name("invoice.pdf.exe") == "invoice.pdf.exe.pdf"
    assert all("/" not in n and "\\" not in n and not n.startswith(".") for n in taken)


def test_the_cost_does_not_grow_with_the_records(full, client_for, query_counter, frozen_clock):
    client = client_for(full["member"])
    client.get("/my-data")

    def count() -> int:
        with query_counter() as queries:
            download(client)
        return queries.count

    few = count()
    case, member, lead = full["case"], full["member"], full["lead"]
    for number in range(3):
        conversation = start_conversation(
            case, member, subject=f"Question {number}", uploads=[checked(f"q{number}.pdf")]
        )
        for reply in range(3):
            post(conversation, lead, MessageKind.STAFF, f"Reply {reply}", uploads=[checked()])
        schedule(case, lead, starts_at=frozen_clock() + timedelta(days=10 + number))
    assert count() == few
