"""Every query a page makes can use an index: none reads the whole of a table that grows.

Signed in as members, a staff member on their cases and an administrator, the test opens every main
page of the demo with its filters, and follows each page's links (a few per endpoint, so a new page
is covered as soon as a link leads to it). It records every SELECT, UPDATE and DELETE the requests
run, with their parameters, then asks PostgreSQL for the plan of each with sequential scans
disabled: the planner then uses an index whenever one can serve the query, so the test works on the
demo's small dataset. A `Seq Scan` left on a large table means no index can: with years of data that
query reads the whole table on every request. On the tables that reach millions of rows, an index
read from end to end to filter its rows is refused too: with sequential scans disabled, that is
what the planner falls back to when no index matches the filter (a `Seq Scan` in disguise: the
case timeline's audit events once read two million rows this way). The offenders are reported
together, with their statements. PostgreSQL only (SQLite's planner has no such switch).
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
import sqlalchemy as sa
from werkzeug.exceptions import HTTPException

from portal import clock
from portal.auth.services import find_user_by_email
from portal.cases.services import current_case_of
from portal.demo import DEMO_PASSWORD, load_demo
from portal.extensions import db
from portal.messaging.models import Conversation

# Tables that grow with the program (members, cases, years of messages and audit events…): a page
# must never read one of them whole.
LARGE_TABLES = {
    "account_tokens",
    "activity_progress",
    "activity_reminders",
    "activity_status_changes",
    "activity_submissions",
    "assessment_acknowledgements",
    "assessment_factors",
    "assessment_history_entries",
    "assessment_perspectives",
    "assessment_versions",
    "audit_events",
    "case_break_glass_accesses",
    "case_stage_changes",
    "case_team_members",
    "cases",
    "check_in_reschedule_requests",
    "check_ins",
    "conversation_reads",
    "conversations",
    "email_changes",
    "login_throttles",
    "member_profiles",
    "message_attachments",
    "messages",
    "notification_preferences",
    "notifications",
    "outbox_emails",
    "plan_activities",
    "plan_completions",
    "plan_goal_factors",
    "plan_goals",
    "plan_inputs",
    "plan_versions",
    "recovery_codes",
    "register_imports",
    "register_matters",
    "register_members",
    "screening_decisions",
    "screening_results",
    "screening_runs",
    "stored_files",
    "totp_credentials",
    "user_sessions",
    "users",
}
# Of those, the ones that reach millions of rows (every request audited, every message, email,
# notification and sign-in kept): not even one of their indexes may be read whole to filter it.
MILLIONS_OF_ROWS = {"audit_events", "messages", "notifications", "outbox_emails", "user_sessions"}
# Tables that stay small whatever the size of the program, and why: reading them whole is cheap.
SMALL_TABLES = {
    "activity_catalog": "the activities the MSP team curates: tens, perhaps a few hundred",
    "canned_replies": "the team's saved replies: a few dozen",
    "alembic_version": "one row",
    "report_snapshots": "one row per report period viewed in the last REPORT_MAX_AGE_MINUTES",
    "types_of_work": "the managed list of peer groups: a few dozen",
}

PAGES_PER_ENDPOINT = 3
# Links not followed: they end the session or switch the language.
NOT_FOLLOWED = re.compile(r"^/(logout|language)")
EXPLAINED = re.compile(r"^\s*(SELECT|UPDATE|DELETE|WITH)\b", re.IGNORECASE)

# The main pages of each role (endpoints): the test fails if the crawl did not reach one of them.
MAIN_PAGES = {
    "member": {
        "home.dashboard",
        "assessment.member_view",
        "plan.member_view",
        "activities.member_view",
        "activities.member_activity",
        "messaging.index",
        "messaging.show",
        "checkins.member_list",
        "cases.view_log",
    },
    "staff": {
        "cases.index",
        "cases.show",
        "cases.timeline_view",
        "assessment.staff_view",
        "plan.staff_view",
        "activities.staff_view",
        "messaging.inbox",
        "messaging.show",
        "activities.queue",
        "checkins.staff_list",
        "identification.queue",
        "identification.member",
    },
    "admin": {
        "admin.users",
        "admin.cases",
        "admin.audit",
        "admin.audit_csv",
        "admin.outbox",
        "reports.report",
        "reports.report_csv",
    },
}


@pytest.fixture
def app_overrides(tmp_path) -> dict:
    # Many pages in a row from one address: the rate limits are not what this test is about.
    return {"UPLOAD_DIR": str(tmp_path / "uploads"), "RATELIMIT_ENABLED": False}


class _Links(HTMLParser):
    def __init__(self, page: str):
        super().__init__()
        self.page = page
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href")
        if tag == "a" and href:
            parts = urlsplit(urljoin(self.page, href))
            if parts.netloc == "localhost":
                self.links.append(parts.path + (f"?{parts.query}" if parts.query else ""))


class Recorder:
    """The statements run on the engine while `recording`, each with its parameters and the page
    that ran it."""

    def __init__(self, engine):
        self.engine = engine
        self.page: str | None = None
        self.statements: dict[tuple, tuple[str, str, object]] = {}

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        if self.page and not executemany and EXPLAINED.match(statement):
            key = (statement, repr(parameters))
            self.statements.setdefault(key, (self.page, statement, parameters))

    def __enter__(self):
        sa.event.listen(self.engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *exc):
        sa.event.remove(self.engine, "before_cursor_execute", self)


def visit(app, client, starts: list[str], recorder: Recorder) -> set[str]:
    """Open `starts`, then follow the pages' links, at most PAGES_PER_ENDPOINT per endpoint.
    Returns the endpoints that answered 200."""
    adapter = app.url_map.bind("localhost")
    seen: set[str] = set()
    per_endpoint: dict[str, int] = {}
    answered: set[str] = set()
    queue = list(starts)
    explicit = set(starts)
    while queue:
        path = queue.pop(0)
        if path in seen or NOT_FOLLOWED.search(path):
            continue
        seen.add(path)
        try:
            endpoint = adapter.match(urlsplit(path).path, method="GET")[0]
        except HTTPException:
            continue
        if path not in explicit:
            if per_endpoint.get(endpoint, 0) >= PAGES_PER_ENDPOINT:
                continue
            per_endpoint[endpoint] = per_endpoint.get(endpoint, 0) + 1
        recorder.page = path
        response = client.get(path)
        body = response.get_data()  # a streamed export runs its queries now
        response.close()
        recorder.page = None
        assert response.status_code < 500, path
        if response.status_code == 200:
            answered.add(endpoint)
        if response.status_code in {301, 302, 303}:
            queue.append(urljoin(path, response.location))
        if response.status_code == 200 and "text/html" in response.content_type:
            parser = _Links("http://localhost" + path)
            parser.feed(body.decode())
            queue.extend(link for link in parser.links if link not in seen)
    return answered


def _plan_offenders(plan: dict) -> list[str]:
    """The large tables a plan reads whole: by a sequential scan, or (for the largest) by an
    index scan with a filter but no index condition."""
    found = []
    nodes = [plan]
    while nodes:
        node = nodes.pop()
        table = node.get("Relation Name")
        if "Seq Scan" in node["Node Type"] and table in LARGE_TABLES:
            found.append(table)
        elif (
            node["Node Type"] in ("Index Scan", "Index Only Scan")
            and table in MILLIONS_OF_ROWS
            and "Filter" in node
            and "Index Cond" not in node
        ):
            found.append(f"{table} (all of {node['Index Name']})")
        nodes.extend(node.get("Plans", []))
    return found


def explain_all(recorder: Recorder) -> list[str]:
    """Each statement with a Seq Scan on a large table, and the first page that ran it."""
    raw = db.engine.raw_connection()
    offenders: dict[str, str] = {}
    try:
        cursor = raw.cursor()
        cursor.execute("SET LOCAL enable_seqscan = off")
        for page, statement, parameters in recorder.statements.values():
            cursor.execute("EXPLAIN (FORMAT JSON) " + statement, parameters)
            plan = cursor.fetchone()[0]
            plan = json.loads(plan) if isinstance(plan, str) else plan
            tables = _plan_offenders(plan[0]["Plan"])
            if tables and statement not in offenders:
                offenders[statement] = f"{', '.join(sorted(set(tables)))} read whole, on {page}:"
    finally:
        raw.rollback()
        raw.close()
    return [f"{where}\n{statement}\n" for statement, where in offenders.items()]


def test_every_table_is_declared_large_or_small(app):
    assert set(db.metadata.tables) | {"alembic_version"} == LARGE_TABLES | set(SMALL_TABLES)
    assert MILLIONS_OF_ROWS <= LARGE_TABLES


def _filtered_pages(case_id: int, conversation_id: int, advisor_id: int) -> dict[str, list[str]]:
    """The pages' filters and sorts, each alone and together: each may need its own index."""
    today = clock.now().date()
    period = {"date_from": str(today - timedelta(days=400)), "date_to": str(today)}
    audit_filters = [
        {"actor": "advisor"},
        {"action": "case."},
        {"case_id": case_id},
        {"outcome": "denied"},
        period,
        {"actor": "Tremblay", "action": "auth.login", "case_id": case_id, "outcome": "success"}
        | period,
    ]
    before = (clock.now() - timedelta(days=30)).isoformat()
    timeline = [
        {"kind": ["messages", "checkins"]},
        {"kind": ["stage", "access", "referral"]},
        {"kind": ["assessment", "responses", "plan", "activities"]},
        {"before": before},
    ]
    caseload = [{"sort": sort} for sort in ("last_contact", "next_check_in", "name", "stage")] + [
        {"stage": "closed"},
        {"stage": "all", "scope": "team"},
        {"scope": "lead", "flagged": "y"},
        {"attention": "y"},
    ]
    inbox = [{"show": show} for show in ("unassigned", "mine", "awaiting", "overdue")] + [
        {"q": "discharge"}
    ]
    return {
        "staff": [
            *(f"/cases/?{urlencode(query, doseq=True)}" for query in caseload),
            *(f"/cases/{case_id}/timeline?{urlencode(q, doseq=True)}" for q in timeline),
            *(f"/messages/inbox?{urlencode(query)}" for query in inbox),
            f"/messages/{conversation_id}?page=2",
            "/cases/find?q=Lee",
            "/cases/find?q=M-100",
        ],
        "admin": [
            *(f"/admin/audit?{urlencode(query)}" for query in audit_filters),
            *(f"/admin/audit.csv?{urlencode(query)}" for query in audit_filters),
            *(f"/admin/outbox?status={status}" for status in ("queued", "sent", "failed")),
            f"/admin/report?{urlencode(period)}",
            f"/admin/report.csv?{urlencode(period)}",
            f"/admin/cases?lead={advisor_id}",
            "/cases/break-glass",
        ],
    }


def test_no_page_reads_a_large_table_whole(app, login):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("query plans are checked on PostgreSQL")
    load_demo()
    db.session.commit()
    member = find_user_by_email("member@example.org")
    case = current_case_of(member)
    conversation = db.session.scalars(
        db.select(Conversation).where(Conversation.case_id == case.id)
    ).first()
    advisor = find_user_by_email("advisor@example.org")
    filtered = _filtered_pages(case.id, conversation.id, advisor.id)
    accounts = [
        ("member", "member@example.org", ["/"]),
        ("member", "member2@example.org", ["/"]),
        ("staff", "advisor@example.org", ["/", *filtered["staff"]]),
        ("staff", "advisor2@example.org", ["/"]),
        ("admin", "admin@example.org", ["/", *filtered["admin"]]),
    ]
    answered: dict[str, set[str]] = {}
    with Recorder(db.engine) as recorder:
        for role, email, starts in accounts:
            client = app.test_client()
            login(find_user_by_email(email), DEMO_PASSWORD, test_client=client)
            answered.setdefault(role, set()).update(visit(app, client, starts, recorder))

    for role, pages in MAIN_PAGES.items():
        assert pages <= answered[role], f"{role} never reached {pages - answered[role]}"
    offenders = explain_all(recorder)
    print(f"{len(recorder.statements)} distinct statements explained")
    assert not offenders, "\n".join(offenders)
