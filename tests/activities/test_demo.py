"""`flask demo`: member2 has activities in every status, evidence files, and one overdue."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from portal.activities import services
from portal.activities.models import ActivityStatus, CatalogEntry
from portal.activities.reminders import due_reminders
from portal.auth.models import User
from portal.cases.services import current_case_of
from portal.demo import load_demo
from portal.extensions import db


def test_demo_member2_has_activities_in_every_status(app):
    load_demo()
    db.session.commit()
    member = db.session.scalar(select(User).where(User.email == "member2@example.org"))
    case = current_case_of(member)
    overview = services.overview(case)
    assert {item.status for item in overview.items} == set(ActivityStatus)
    assert [item.standing for item in overview.items].count("overdue") == 1
    files = [item.latest.file for item in overview.items if item.latest]
    assert len(files) == 3
    for stored in files:
        assert (Path(app.config["UPLOAD_DIR"]) / stored.storage_name).is_file()
    titles = {(e.title_en, e.title_fr) for e in db.session.scalars(select(CatalogEntry))}
    assert (
        "Disclosure of adverse events workshop",
        "Atelier sur la divulgation des événements indésirables",
    ) in titles
    assert due_reminders()  # the overdue and due-soon activities are waiting to be reminded
