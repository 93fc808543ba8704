"""Members and staff choose their own time zone on the settings page: Canadian zones first, any
zone of the IANA database by name, anything else refused."""

from __future__ import annotations

from portal.audit.models import AuditEvent
from portal.extensions import db


def test_the_settings_page_offers_canadian_zones_first(app, people, client_for):
    page = client_for(people["member"]).get("/notifications/settings").text
    options = page[page.index('id="time_zone"') :]
    assert options.index("America/St_Johns") < options.index("America/Whitehorse")
    assert options.index("America/Whitehorse") < options.index('value="other"')
    assert '<option selected value="America/Regina">' in page


def test_choosing_a_zone_changes_how_times_read(app, people, client_for):
    member = client_for(people["member"])
    response = member.post(
        "/notifications/settings", data={"frequency": "immediate", "time_zone": "America/Halifax"}
    )
    assert response.status_code == 302
    db.session.refresh(people["member"])
    assert people["member"].time_zone == "America/Halifax"
    response = member.post(
        "/notifications/settings",
        data={"frequency": "immediate", "time_zone": "other", "other_time_zone": "Europe/Paris"},
    )
    assert response.status_code == 302
    db.session.refresh(people["member"])
    assert people["member"].time_zone == "Europe/Paris"
    assert '<option selected value="Europe/Paris">' in member.get("/notifications/settings").text
    changes = db.session.scalars(
        db.select(AuditEvent.detail).where(AuditEvent.action == "account.time_zone_changed")
    ).all()
    assert changes == ["America/Halifax", "Europe/Paris"]


def test_an_unknown_zone_is_refused_and_nothing_changes(app, people, client_for):
    staff = client_for(people["lead"])
    for data, message in (
        ({"time_zone": "Mars/Olympus_Mons"}, "Choose a time zone from the list."),
        ({"time_zone": "other", "other_time_zone": "Atlantis/Capital"}, "Enter the name of a"),
        ({"time_zone": "other", "other_time_zone": ""}, "Enter the name of a"),
        ({"time_zone": "other", "other_time_zone": "x" * 65}, "Field cannot be longer"),
    ):
        response = staff.post("/notifications/settings", data={"frequency": "daily", **data})
        assert response.status_code == 200 and message in response.text, data
    db.session.refresh(people["lead"])
    assert people["lead"].time_zone == "America/Toronto"
