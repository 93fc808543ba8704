"""The audit trail page: filters, newest first, keyset pages in constant queries; its CSV export
streams, neutralises formulas, and is itself audited."""

import csv
import html
import io
import re
from datetime import UTC, datetime, timedelta

import pytest

from portal.audit.models import AuditEvent, Outcome
from portal.extensions import db

T0 = datetime(2030, 3, 10, 15, 0, tzinfo=UTC)  # 11:00 in Toronto


def _event(at, action="case.viewed", *, actor=None, case=None, outcome=Outcome.SUCCESS, **kw):
    event = AuditEvent(
        occurred_at=at,
        action=action,
        actor_id=actor.id if actor else None,
        actor_role=actor.role.value if actor else None,
        case_id=case.id if case else None,
        outcome=outcome,
        **kw,
    )
    db.session.add(event)
    db.session.commit()
    return event


@pytest.fixture
def trail(admin, make_staff, make_member, make_case):
    """Known events from a clean slate (what signing in recorded is left out by time filters)."""
    staff = make_staff(name="Dr. Zoe Quill", email="zoe.quill@example.org")
    member = make_member(name="Dr. Member", email="someone@example.org")
    case = make_case(member=member, lead=staff)
    return {
        "staff": staff,
        "member": member,
        "case": case,
        "viewed": _event(T0, actor=staff, case=case, object_type="case", object_id=case.id),
        "denied": _event(
            T0 + timedelta(hours=1),
            "access.denied",
            actor=member,
            outcome=Outcome.DENIED,
            detail="role.admin GET /admin/users",
        ),
        "login": _event(T0 + timedelta(days=1), "auth.login", actor=staff, ip_address="10.0.0.7"),
        "anonymous": _event(
            T0 + timedelta(days=2), "auth.login", outcome=Outcome.FAILURE, detail="unknown account"
        ),
    }


def _rows(text: str) -> list[str]:
    return [line for line in text.split("<tr>")[2:]]


def _query(client, **args):
    return client.get("/admin/audit", query_string=args)


def test_events_are_shown_newest_first_with_who_what_and_outcome(admin_client, trail):
    page = _query(admin_client, date_from="2030-03-10", date_to="2030-03-11")
    assert page.status_code == 200
    rows = _rows(page.text)
    assert len(rows) == 3
    assert "auth.login" in rows[0] and "10.0.0.7" in rows[0] and "Dr. Zoe Quill" in rows[0]
    assert "zoe.quill@example.org" in rows[0] and "Staff" in rows[0]
    assert "access.denied" in rows[1] and "Denied" in rows[1] and "/admin/users" in rows[1]
    assert "case.viewed" in rows[2] and f"case #{trail['case'].id}" in rows[2]
    assert f'href="/cases/{trail["case"].id}"' in rows[2]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"actor": "QUILL"}, ["login", "viewed"]),
        ({"actor": "someone@example"}, ["denied"]),
        ({"actor": "%"}, []),  # a wildcard is just a character
        ({"action": "auth."}, ["anonymous", "login"]),
        ({"action": "access.denied"}, ["denied"]),
        ({"outcome": "failure"}, ["anonymous"]),
        ({"date_from": "2030-03-11"}, ["anonymous", "login"]),
        ({"date_to": "2030-03-10"}, ["denied", "viewed"]),
    ],
)
def test_filters(admin_client, trail, args, expected):
    args = {"date_from": "2030-03-10", "date_to": "2030-03-12", **args}
    text = _query(admin_client, **args).text
    shown = [
        name
        for name in ("anonymous", "login", "denied", "viewed")
        if f'datetime="{trail[name].occurred_at.isoformat()}"' in text
    ]
    assert shown == expected


def test_the_case_filter(admin_client, trail):
    text = _query(admin_client, case_id=trail["case"].id, action="case.viewed").text
    assert len(_rows(text)) == 1 and "case.viewed" in text


def test_dates_are_days_in_the_admins_time_zone(admin, admin_client, trail):
    # 02:00 UTC on the 12th is still the 11th in Toronto.
    late = _event(datetime(2030, 3, 12, 2, 0, tzinfo=UTC), "late.event")
    text = _query(admin_client, date_from="2030-03-11", date_to="2030-03-11").text
    assert "late.event" in text and late.action in text
    assert (
        "late.event" not in _query(admin_client, date_from="2030-03-12", date_to="2030-03-12").text
    )


def test_bad_filters_get_a_message_and_show_nothing(admin_client, trail):
    page = _query(admin_client, case_id="abc", date_from="2030-03-12", date_to="2030-03-10")
    assert page.status_code == 200
    assert (
        "There is a problem" in page.text and "The end date is before the start date." in page.text
    )
    assert "<caption" not in page.text
    export = admin_client.get("/admin/audit.csv?case_id=abc")
    assert export.status_code == 302
    assert not db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "audit.exported"))


def test_viewing_the_trail_is_itself_audited(admin, admin_client, trail):
    _query(admin_client, actor="quill", outcome="success")
    viewed = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.action == "audit.viewed")
    ).one()
    assert viewed.actor_id == admin.id and viewed.detail == "actor=quill outcome=success"


def _link(page, rel: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)" rel="{rel}">', page.text)
    return html.unescape(found.group(1)) if found else None


def _actions_shown(page) -> list[str]:
    return [row.split("<code>")[1].split("</code>")[0] for row in _rows(page.text)]


def test_keyset_pages_walk_the_whole_trail_in_constant_queries(
    admin_client, make_staff, query_counter
):
    staff = make_staff()
    start = datetime(2031, 1, 1, tzinfo=UTC)
    # 120 events, several sharing the same instant (the id breaks ties).
    for n in range(120):
        _event(start + timedelta(minutes=n // 3), f"test.event{n:03d}", actor=staff)
    url = "/admin/audit?action=test.event"
    pages, counts = [], []
    while url and len(pages) < 5:
        with query_counter() as queries:
            page = admin_client.get(url)
        counts.append(queries.count)
        pages.append(page)
        url = _link(page, "next")
    seen = [action for page in pages for action in _actions_shown(page)]
    assert seen == [f"test.event{n:03d}" for n in reversed(range(120))]
    assert len(pages) == 3 and len(set(counts)) == 1
    assert _link(pages[0], "prev") is None
    # And back: "Newer events" from the last page gives the page before it.
    back = admin_client.get(_link(pages[2], "prev"))
    assert _actions_shown(back) == _actions_shown(pages[1])
    assert _link(admin_client.get(_link(back, "prev")), "prev") is None  # the newest page


def test_a_nonsense_cursor_shows_the_newest_page(admin_client, trail):
    page = _query(admin_client, older_than="nonsense", action="auth.")
    assert page.status_code == 200 and len(_rows(page.text)) >= 2


def test_csv_export_streams_the_filtered_events_safely_and_is_audited(
    admin, admin_client, make_staff, trail
):
    mischief = make_staff(name='=HYPERLINK("http://evil.example")', email="m@example.org")
    _event(T0 + timedelta(hours=2), "auth.login", actor=mischief, detail="+1 -2 @3")
    response = admin_client.get(
        "/admin/audit.csv", query_string={"date_from": "2030-03-10", "date_to": "2030-03-12"}
    )
    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="audit-trail-') and disposition.endswith(
        '.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:3] == ["occurred_at_utc", "actor_id", "actor_name"]
    assert [row[5] for row in rows[1:]] == [
        "auth.login",
        "auth.login",
        "auth.login",
        "access.denied",
        "case.viewed",
    ]
    assert rows[3][2] == '\'=HYPERLINK("http://evil.example")' and rows[3][11] == "'+1 -2 @3"
    assert rows[1][10] == "failure" and rows[2][9] == "10.0.0.7"
    exported = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.action == "audit.exported")
    ).one()
    assert exported.actor_id == admin.id and "from=" in exported.detail


def test_csv_export_reads_rows_in_batches(app, admin, trail, monkeypatch):
    from portal.admin import services

    seen = []
    original = db.session.execute

    def spy(statement, *args, **kwargs):
        seen.append(statement.get_execution_options().get("yield_per"))
        return original(statement, *args, **kwargs)

    monkeypatch.setattr(db.session, "execute", spy)
    rows = services.audit_csv_rows(services.AuditFilters(action="auth."))
    assert next(rows)[5] == "auth.login"
    assert seen == [500]


def test_a_period_is_whole_days_in_the_admins_time_zone(app):
    from datetime import UTC, date, datetime

    from portal.admin.forms import PeriodForm

    with app.test_request_context():
        form = PeriodForm(meta={"csrf": False})
        form.date_from.data, form.date_to.data = date(2030, 3, 11), date(2030, 3, 11)
        # Toronto is UTC-4 from 10 March 2030 (daylight saving time), not its 1880 offset.
        assert form.bounds("America/Toronto") == (
            datetime(2030, 3, 11, 4, 0, tzinfo=UTC),
            datetime(2030, 3, 12, 4, 0, tzinfo=UTC),
        )
