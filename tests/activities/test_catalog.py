"""The catalog: staff and admins keep it; plans copy from it, so changing it rewrites no plan."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.activities.models import CatalogEntry
from portal.extensions import db
from portal.plan import services as plan
from tests.programme import release_assessment, share_plan

ENTRY = {
    "title_en": "Disclosure workshop",
    "title_fr": "Atelier sur la divulgation",
    "kind": "workshop",
    "provider": "Provincial association",
    "url": "https://example.org/disclosure",
    "estimated_hours": "7",
    "credits": "7.5",
    "categories": ["communication", "professionalism"],
}


@pytest.mark.parametrize("who", ["lead", "admin"])
def test_staff_and_admins_create_edit_and_retire_entries(app, people, signed_in, who):
    client = signed_in(people[who])
    assert client.get("/catalog/new").status_code == 200
    assert client.post("/catalog/new", data=ENTRY).status_code == 302
    entry = db.session.scalar(select(CatalogEntry))
    assert (entry.title_fr, entry.credits, [c.value for c in entry.categories]) == (
        "Atelier sur la divulgation",
        Decimal("7.5"),
        ["communication", "professionalism"],
    )
    page = client.get("/catalog").data.decode()
    assert "Disclosure workshop" in page and "Professionalism" in page
    edited = {**ENTRY, "title_en": "Disclosure workshop (2027)"}
    assert client.post(f"/catalog/{entry.id}", data=edited).status_code == 302
    assert db.session.get(CatalogEntry, entry.id).title_en == "Disclosure workshop (2027)"
    client.post(f"/catalog/{entry.id}/retire")
    assert db.session.get(CatalogEntry, entry.id).active is False
    assert "Retired" in client.get("/catalog").data.decode()
    client.post(f"/catalog/{entry.id}/retire")
    assert db.session.get(CatalogEntry, entry.id).active is True


def test_entry_form_errors_are_tied_to_fields(app, people, signed_in):
    response = signed_in(people["lead"]).post("/catalog/new", data={**ENTRY, "title_fr": ""})
    assert response.status_code == 400
    assert b'aria-invalid="true"' in response.data
    assert db.session.scalar(select(CatalogEntry)) is None


def test_members_cannot_reach_the_catalog(app, people, signed_in):
    client = signed_in(people["member"])
    assert client.get("/catalog").status_code == 403
    assert client.post("/catalog/new", data=ENTRY).status_code == 403


def test_copying_into_a_draft_and_editing_the_catalog_changes_no_plan(app, people, signed_in):
    case, lead = people["case"], people["lead"]
    case.member.language = "fr"
    db.session.commit()
    release_assessment(case, lead)
    share_plan(case, lead)
    draft = plan.start_draft(case, by=lead)
    db.session.commit()
    client = signed_in(lead)
    client.post("/catalog/new", data=ENTRY)
    entry = db.session.scalar(select(CatalogEntry))
    assert b"Or add an activity from the catalog" in client.get(f"/cases/{case.id}/plan").data
    assert client.get(f"/cases/{case.id}/plan/draft/from-catalog").status_code == 200
    response = client.post(
        f"/cases/{case.id}/plan/draft/from-catalog",
        data={
            "entry_id": entry.id,
            "goal_id": draft.goals[0].id,
            "due_date": "2030-03-01",
            "required": "y",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    copied = plan.draft_of(case).goals[0].activities[-1]
    # In the member's language, with the catalog's details.
    assert (copied.title, copied.provider, copied.estimated_hours, str(copied.due_date)) == (
        "Atelier sur la divulgation",
        "Provincial association",
        Decimal("7.0"),
        "2030-03-01",
    )
    client.post(f"/catalog/{entry.id}", data={**ENTRY, "title_fr": "Nouveau titre"})
    client.post(f"/catalog/{entry.id}/retire")
    db.session.expire_all()
    assert plan.draft_of(case).goals[0].activities[-1].title == "Atelier sur la divulgation"


def test_a_retired_entry_cannot_be_added(app, people, signed_in):
    case, lead = people["case"], people["lead"]
    release_assessment(case, lead)
    share_plan(case, lead)
    draft = plan.start_draft(case, by=lead)
    db.session.commit()
    client = signed_in(lead)
    client.post("/catalog/new", data=ENTRY)
    entry = db.session.scalar(select(CatalogEntry))
    client.post(f"/catalog/{entry.id}/retire")
    response = client.post(
        f"/cases/{case.id}/plan/draft/from-catalog",
        data={"entry_id": entry.id, "goal_id": draft.goals[0].id},
    )
    assert response.status_code == 400
    assert len(plan.draft_of(case).goals[0].activities) == 1


def test_staff_not_on_the_case_cannot_copy_into_its_draft(app, people, signed_in):
    response = signed_in(people["outsider"]).get(
        f"/cases/{people['case'].id}/plan/draft/from-catalog"
    )
    assert response.status_code == 403  # asked for a reason (break-glass), not let in
