"""Stored markup is inert everywhere it is shown.

Every text column of every model is declared below as free text (written by people, or coming from
outside: request headers, the mail relay) or not; a new text column without a declaration fails.
`test_stored_markup_is_inert_everywhere` loads the demo (members in every stage, staff,
conversations with attachments, assessments, plans, activities with evidence and reflections,
check-ins with agendas and summaries, a closed case, break-glass access, audit events, an outbox),
then writes a hostile payload — markup, a Jinja expression, a spreadsheet formula, and for links a
`javascript:` address — into every free-text column of every row. Signed in as members, the staff on
their cases and an admin, the shared crawler fetches every page and download it can reach, and
each is checked: HTML pages show the payload escaped and never run it, `{{7*7}}` stays as written,
CSV cells never start a formula, the PDF summary shows the text as text, and emails queued
afterwards carry no stored text but the recipient's name (escaped in their HTML part), their
calendar entries none at all. Every free-text column must be seen somewhere (or be declared as
shown nowhere). All failures are collected and reported together.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import sqlalchemy as sa
from flask_babel import force_locale
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.http import parse_options_header

from portal import clock
from portal.csv_export import FORMULA_STARTS
from portal.demo import load_demo
from portal.extensions import db
from tests.activities.helpers import pdf_text
from tests.security.crawler import SESSION_LINKS, crawl, sign_in

PAYLOAD = "<script>alert(\"x\")</script><img src=x onerror=alert(1)>\"'&{{7*7}}=cmd|' /C calc'!A0"
# Each column's payload starts with one of these, so that every CSV column meets a formula start.
STARTS = ("=", "+", "-", "@")
# The payload as stored in column n ends with its tag, to tell where a shown payload came from.
TAG = re.compile(r"#c(\d\d+)#")
APPEND_ONLY = {"audit_events"}
# Every row holds the same payload: a few pages of each kind, per account, are enough.
PAGES_PER_ENDPOINT = 2
RAW = ("<script>alert", "<img src=x")
EVALUATED = "49=cmd"  # what `&{{7*7}}=cmd` would become if rendered as a template

# Text written by people, or coming from outside the portal (request headers, the mail relay).
FREE_TEXT = {
    "users.name",
    "member_profiles.specialty",
    "cases.referral_reason",
    "cases.closing_summary",
    "case_stage_changes.note",
    "case_break_glass_accesses.reason",
    "conversations.subject",
    "messages.body",
    "canned_replies.title",
    "canned_replies.body_en",
    "canned_replies.body_fr",
    "stored_files.original_name",
    "assessment_versions.narrative",
    "assessment_versions.change_note",
    "assessment_factors.description",
    "assessment_perspectives.comment",
    "plan_versions.change_note",
    "plan_goals.title",
    "plan_goals.description",
    "plan_activities.title",
    "plan_activities.provider",
    "plan_activities.url",
    "plan_inputs.availability",
    "plan_inputs.own_goals",
    "plan_inputs.suggested_activities",
    "plan_inputs.comment",
    "activity_catalog.title_en",
    "activity_catalog.title_fr",
    "activity_catalog.provider",
    "activity_catalog.url",
    "activity_status_changes.comment",
    "activity_submissions.learned",
    "activity_submissions.practice_change",
    "check_ins.agenda",
    "check_ins.internal_notes",
    "check_ins.member_summary",
    "check_ins.plan_change",
    "check_in_reschedule_requests.reason",
    "check_in_reschedule_requests.preferred_times",
    "audit_events.detail",  # quotes reasons and search terms
    "audit_events.ip_address",  # from the request (X-Forwarded-For behind a proxy)
    "user_sessions.ip_address",
    "user_sessions.user_agent",  # a request header
    "outbox_emails.last_error",  # the mail relay's words
    "register_members.name",  # the register's files come from outside the portal
    "register_imports.members_filename",
    "register_imports.matters_filename",
    "screening_decisions.reason",
    "assessment_versions.figures_notes",
}
# Text columns that are not free text, and why.
NOT_FREE_TEXT = {
    "users.email": "an address, validated",
    "users.password_hash": "a hash",
    "users.language": "one of the portal's languages",
    "users.time_zone": "chosen from the list of zones",
    "account_tokens.token_hash": "a hash",
    "email_changes.token_hash": "a hash",
    "email_changes.new_email": "an address, validated",
    "login_throttles.identifier_hash": "a hash",
    "user_sessions.token_hash": "a hash",
    "user_sessions.end_reason": "set by the portal",
    "totp_credentials.secret": "a generated secret",
    "recovery_codes.code_hash": "a hash",
    "member_profiles.member_number": "letters, digits and hyphens, validated",
    "member_profiles.province": "chosen from the provinces",
    "assessment_factors.key": "generated",
    "assessment_perspectives.factor_key": "a factor's generated key",
    "plan_goals.key": "generated",
    "plan_goal_factors.factor_key": "a factor's generated key",
    "plan_activities.key": "generated",
    "plan_inputs.learning_preferences": "chosen from a list",
    "plan_inputs.target_key": "a goal's or activity's generated key",
    "activity_catalog.factor_categories": "chosen from the factor categories",
    "activity_progress.activity_key": "an activity's generated key",
    "activity_status_changes.activity_key": "an activity's generated key",
    "activity_submissions.activity_key": "an activity's generated key",
    "activity_reminders.activity_key": "an activity's generated key",
    "check_ins.time_zone": "chosen from the list of zones",
    "check_ins.calendar_uid": "generated",
    "notifications.topic": "set by the portal",
    "notifications.link": "built by the portal",
    "audit_events.actor_role": "set by the portal",
    "audit_events.action": "set by the portal",
    "audit_events.object_type": "set by the portal",
    "stored_files.storage_name": "generated",
    "stored_files.content_type": "detected from the bytes",
    "stored_files.sha256": "a hash",
    "outbox_emails.to_address": "an account's address",
    "outbox_emails.template": "set by the portal",
    "outbox_emails.language": "one of the portal's languages",
    "outbox_emails.subject": "rendered by the portal (checked in the emails below)",
    "outbox_emails.body_text": "rendered by the portal (checked in the emails below)",
    "outbox_emails.body_html": "rendered by the portal (checked in the emails below)",
    "outbox_emails.calendar_ics": "rendered by the portal (checked in the emails below)",
    "outbox_emails.message_id": "generated",
    "report_snapshots.period_key": "built from the period's dates",
    "assessment_versions.figures_source": "set by the portal",
    "register_members.member_number": "letters, digits and hyphens, validated at import",
    "register_members.email": "an address, validated at import",
    "register_members.language": "one of the portal's languages, validated at import",
    "register_members.province": "one of the provinces, validated at import",
    "register_matters.matter_number": "letters, digits and . _ / -, validated at import",
    "register_matters.factors": "codes of letters, digits, _ and -, validated at import",
    "register_imports.members_sha256": "a hash",
    "register_imports.matters_sha256": "a hash",
    "register_imports.source": "set by the portal",
    "screening_runs.trigger": "set by the portal",
    "types_of_work.code": "the managed list, seeded by migration",
    "types_of_work.name_en": "the managed list, seeded by migration",
    "types_of_work.name_fr": "the managed list, seeded by migration",
}
# Free text no page, file or email shows, and why.
NOT_SHOWN = {
    "user_sessions.ip_address": "kept for investigations, shown nowhere",
    "user_sessions.user_agent": "kept for investigations, shown nowhere",
    "assessment_versions.figures_notes": (
        "shown on the staff page of a draft computed from the register; the demo has none open"
    ),
    "screening_decisions.reason": "shown on a register member's profile; the demo decides none",
}

# Who crawls, from where: members (one French, one with a closed case), the staff on their cases,
# and an admin.
ACCOUNTS = [
    ("member@example.org", ["/"]),
    ("member2@example.org", ["/"]),
    ("g.morin@example.org", ["/"]),
    ("advisor@example.org", ["/", "/cases/?stage=closed", "/cases/find?q=alert"]),
    ("advisor2@example.org", ["/", "/cases/find?q=alert"]),
    ("admin@example.org", ["/", "/admin/audit?action=case", "/admin/outbox?status=failed"]),
]


def text_columns() -> list[sa.Column]:
    """Every string column of every model (enum columns hold only their members)."""
    return sorted(
        (
            column
            for mapper in db.Model.registry.mappers
            for column in mapper.local_table.columns
            if isinstance(column.type, sa.String) and not isinstance(column.type, sa.Enum)
        ),
        key=lambda column: f"{column.table.name}.{column.name}",
    )


def name(column: sa.Column) -> str:
    return f"{column.table.name}.{column.name}"


def test_every_text_column_is_declared(app):
    names = {name(column) for column in text_columns()}
    undeclared = sorted(names - FREE_TEXT - set(NOT_FREE_TEXT))
    assert undeclared == [], (
        f"declare these text columns in FREE_TEXT or NOT_FREE_TEXT: {undeclared}"
    )
    assert sorted(FREE_TEXT & set(NOT_FREE_TEXT)) == []
    assert sorted((FREE_TEXT | set(NOT_FREE_TEXT)) - names) == [], "declared columns that are gone"


def test_web_addresses_are_web_addresses(app):
    """An activity's link is shown as a link: only http and https addresses are accepted."""
    from portal.activities.forms import CatalogEntryForm
    from portal.plan.forms import ActivityForm

    hostile = ["javascript://example.org/%0aalert(1)", "data://example.org/x", "vbscript://a.org"]
    with app.test_request_context():
        for form_class in (ActivityForm, CatalogEntryForm):
            for url in hostile + ["https://example.org/course", "http://example.org"]:
                form = form_class(formdata=MultiDict({"url": url}), meta={"csrf": False})
                assert form.url.validate(form) is (url not in hostile), (form_class.__name__, url)


# Where templates and code mark text as trusted markup, and why it is safe.
TRUSTED_MARKUP = {
    ("templates/twofactor/settings.html", "qr_svg|safe"): (
        "the enrolment QR code, drawn by the qrcode library from the otpauth URI: SVG paths only, "
        "no text from the URI or from anyone"
    ),
}
TRUSTING = re.compile(
    r"\|\s*safe\b|Markup\(|autoescape\s+false|autoescape=False|render_template_string|"
    r"from_string\(|\.innerHTML|insertAdjacentHTML|outerHTML|document\.write"
)


def test_markup_is_trusted_only_where_declared():
    """Autoescaping is never turned off, and text is marked safe only where declared above."""
    root = Path(__file__).resolve().parents[2]
    found = {}
    for folder, patterns in (
        ("templates", ("*.html", "*.txt", "*.svg", "*.xml")),
        ("portal", ("*.py", "*.html")),
        ("static", ("*.js", "*.html", "*.svg")),
    ):
        for pattern in patterns:
            for path in (root / folder).rglob(pattern):
                for line in path.read_text(encoding="utf-8").splitlines():
                    for match in TRUSTING.finditer(line):
                        expression = re.search(r"[\w.]*\s*" + re.escape(match.group()), line)
                        key = (str(path.relative_to(root)), expression.group().replace(" ", ""))
                        found[key] = line.strip()
    undeclared = {key: line for key, line in found.items() if key not in TRUSTED_MARKUP}
    assert undeclared == {}, "escaping turned off: declare why it is safe in TRUSTED_MARKUP"
    assert sorted(set(TRUSTED_MARKUP) - set(found)) == [], "declared uses that are gone"


def test_the_checks_catch_live_markup():
    """The checks below are not vacuous: live markup, an evaluated template and a formula cell
    are each reported."""
    findings = Findings(["users.name"])
    findings.check_html("page", f"<p>{PAYLOAD} #c00#</p>")
    findings.check_html("attribute", '<input value="x" onfocus="alert(1)">')
    findings.check_html("template", "<p>&amp;49=cmd</p>")
    findings.check_csv("csv", "name\r\n=cmd|' /C calc'!A0\r\n")
    # The page: two raw markers, a script element and an event handler.
    assert [failure.split(":")[0] for failure in findings.failures] == [
        "page",
        "page",
        "page",
        "page",
        "attribute",
        "template",
        "csv",
    ]
    assert findings.shown == {"users.name"}


def stored_text(index: int, column: sa.Column) -> str:
    tag = f" #c{index:02d}#"
    text = STARTS[index % len(STARTS)] + PAYLOAD
    if column.name == "url":
        # A link that would run (the forms accept only web addresses; older data may not).
        text = "javascript:alert(1)//" + text
    if column.type.length:
        text = text[: column.type.length - len(tag)]
    return text + tag


class _Scripts(HTMLParser):
    """What would run: script elements and event-handler attributes."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.found.append("<script>")
        for attribute, value in attrs:
            if attribute.startswith("on"):
                self.found.append(f"{tag} {attribute}={value!r}")
            if attribute in {"href", "src", "action"} and (value or "").lower().startswith(
                ("javascript:", "data:text", "vbscript:")
            ):
                self.found.append(f"{tag} {attribute}={value!r}")


class Findings:
    def __init__(self, columns: list[str]):
        self.columns = columns
        self.failures: list[str] = []
        self.shown: set[str] = set()
        self.literal_template = False
        self.endpoints: set[str] = set()

    def fail(self, where: str, what: str, text: str = "", at: str = "") -> None:
        context = ""
        if at and at in text:
            start = text.index(at)
            context = f": …{text[max(0, start - 60) : start + 80]!r}…"
        failure = f"{where}: {what}{context}"
        if failure not in self.failures:
            self.failures.append(failure)

    def shows(self, text: str) -> None:
        self.shown.update(
            self.columns[int(n)] for n in TAG.findall(text) if int(n) < len(self.columns)
        )

    def check_html(self, where: str, text: str) -> None:
        for raw in RAW:
            if raw in text:
                self.fail(where, f"unescaped {raw!r}", text, raw)
        if EVALUATED in text:
            self.fail(where, "{{7*7}} evaluated", text, EVALUATED)
        self.literal_template |= "{{7*7}}=cmd" in text
        scripts = _Scripts()
        scripts.feed(text)
        for found in scripts.found:
            self.fail(where, f"would run: {found}")
        self.shows(text)

    def check_csv(self, where: str, text: str) -> None:
        for number, row in enumerate(csv.reader(io.StringIO(text))):
            for cell in row:
                if cell.startswith(FORMULA_STARTS):
                    self.fail(where, f"row {number} starts a formula: {cell[:60]!r}")
        if EVALUATED in text:
            self.fail(where, "{{7*7}} evaluated", text, EVALUATED)
        self.shows(text)

    def check_response(self, where: str, endpoint: str | None, response) -> None:
        self.endpoints.add(endpoint)
        if response.status_code >= 500:
            self.fail(where, f"answered {response.status_code}")
            return
        if response.status_code != 200:
            return
        disposition = response.headers.get("Content-Disposition", "")
        if "\r" in disposition or "\n" in disposition:
            self.fail(where, f"a line break in Content-Disposition: {disposition!r}")
        mimetype = response.mimetype
        if mimetype == "text/html":
            self.check_html(where, response.get_data(as_text=True))
        elif mimetype == "text/csv":
            self.check_csv(where, response.get_data(as_text=True))
        elif mimetype == "application/pdf":
            if not response.data.startswith(b"%PDF-"):
                self.fail(where, "not a PDF")
        elif mimetype == "text/plain":
            # Shown as text, never sniffed into HTML, and saved rather than opened.
            if response.headers.get("X-Content-Type-Options") != "nosniff":
                self.fail(where, "text without X-Content-Type-Options: nosniff")
            if not disposition.startswith("attachment"):
                self.fail(where, "text not sent as an attachment")
            self.shows(response.get_data(as_text=True))
        elif disposition:
            # An uploaded file: its stored name comes back whole, quoted, as the download name.
            _, options = parse_options_header(disposition)
            if not TAG.search(options.get("filename", "")):
                self.fail(where, f"download name lost: {disposition!r}")
            self.shows(options.get("filename", ""))
        else:
            self.fail(where, f"unexpected {mimetype}")


def _write_payload_everywhere(columns: list[sa.Column]) -> None:
    """The payload in every free-text column of every row; append-only tables (the audit trail
    refuses updates) get a copy of each row with the payload instead."""
    by_table: dict[sa.Table, dict[str, str]] = defaultdict(dict)
    for index, column in enumerate(columns):
        if name(column) in FREE_TEXT:
            by_table[column.table][column.name] = stored_text(index, column)
    for table, values in by_table.items():
        if table.name not in APPEND_ONLY:
            db.session.execute(sa.update(table).values(values))
            continue
        copied = [column for column in table.columns if not column.primary_key]
        db.session.execute(
            sa.insert(table).from_select(
                [column.name for column in copied],
                sa.select(
                    *(
                        sa.literal(values[c.name], c.type).label(c.name) if c.name in values else c
                        for c in copied
                    )
                ),
            )
        )
    db.session.commit()
    db.session.expire_all()


def _queue_emails_after_the_payload() -> int:
    """Emails queued from data that now holds the payload: a check-in scheduled (with its
    calendar entry), a message and an invitation sent again: every email shares the layout that
    greets by name. Returns the last outbox id from before."""
    from portal.auth.models import Role, User
    from portal.auth.services import find_user_by_email
    from portal.cases.services import current_case_of, resend_invitation
    from portal.checkins import services as checkins
    from portal.checkins.models import CheckInMode
    from portal.messaging import services as messaging
    from portal.messaging.models import Conversation, MessageKind
    from portal.outbox.models import OutboxEmail

    before = db.session.scalar(sa.select(sa.func.max(OutboxEmail.id))) or 0
    advisor = find_user_by_email("advisor@example.org")
    member = find_user_by_email("member@example.org")
    case = current_case_of(member)
    checkins.schedule_check_in(
        case,
        by=advisor,
        details=checkins.CheckInDetails(
            slot=checkins.Slot(clock.now() + timedelta(days=9), "America/Toronto"),
            mode=CheckInMode.VIDEO,
            duration_minutes=30,
            agenda=PAYLOAD,
            cadence_weeks=None,
        ),
    )
    conversation = db.session.scalars(
        sa.select(Conversation).where(Conversation.case_id == case.id)
    ).first()
    messaging.post_message(conversation, author=advisor, kind=MessageKind.STAFF, body=PAYLOAD)
    invited = db.session.scalars(
        sa.select(User).where(User.role == Role.MEMBER, User.password_hash.is_(None))
    ).first()
    resend_invitation(current_case_of(invited), by=advisor)
    db.session.commit()
    return before


def _check_emails(findings: Findings, after: int, columns: list[str]) -> None:
    from portal.outbox.models import OutboxEmail

    emails = db.session.scalars(
        sa.select(OutboxEmail).where(OutboxEmail.id > after).order_by(OutboxEmail.id)
    ).all()
    if not any(email.calendar_ics for email in emails):
        findings.fail("emails", "no calendar entry was queued after the payload was stored")
    name_tag = f"#c{columns.index('users.name'):02d}#"
    if not any(name_tag in (email.body_html or "") for email in emails):
        findings.fail("emails", "no email greeted a payload name: the HTML part went unchecked")
    for email in emails:
        where = f"email {email.template} to {email.to_address}"
        findings.check_html(where + " (HTML)", email.body_html or "")
        parts = {
            "subject": email.subject,
            "text": email.body_text or "",
            "HTML": email.body_html or "",
            "calendar entry": email.calendar_ics or "",
        }
        for part, text in parts.items():
            for n in TAG.findall(text):
                if part == "calendar entry" or columns[int(n)] != "users.name":
                    findings.fail(where, f"its {part} carries {columns[int(n)]}", text, f"#c{n}#")
            if part == "calendar entry" and ("alert(" in text or "7*7" in text):
                findings.fail(where, "its calendar entry carries stored text", text, "alert(")


def _check_pdf_text(findings: Findings) -> None:
    """The completion summary shows the stored text as text (fpdf2 has no markup to run)."""
    from portal.activities import services, summary
    from portal.auth.services import find_user_by_email
    from portal.cases.services import current_case_of

    case = current_case_of(find_user_by_email("member2@example.org"))
    with force_locale("fr"):
        text = pdf_text(summary.pdf(services.overview(case), compress=False)).replace("\n", "")
    if '<script>alert("x")</script><img' not in text:
        findings.fail("activities summary PDF", "the stored text is not shown as text", text)
    findings.shows(text)


def test_stored_markup_is_inert_everywhere(app):
    load_demo()
    db.session.commit()
    columns = text_columns()
    names = [name(column) for column in columns]
    _write_payload_everywhere(columns)
    emails_before = _queue_emails_after_the_payload()

    findings = Findings(names)
    user_agent_column = names.index("user_sessions.user_agent")
    user_agent = stored_text(user_agent_column, columns[user_agent_column])
    adapter = app.url_map.bind("localhost")

    def visit(who: str):
        def check(path: str, response) -> None:
            try:
                endpoint = adapter.match(path.split("?")[0], method="GET")[0]
            except HTTPException:
                endpoint = None
            findings.check_response(f"{who} GET {path}", endpoint, response)

        return check

    for email, starts in ACCOUNTS:
        client = app.test_client()
        client.environ_base["HTTP_USER_AGENT"] = user_agent
        sign_in(app, client, email)
        for start in starts:
            crawl(
                app,
                client,
                start,
                visit=visit(email),
                not_followed=SESSION_LINKS,
                pages_per_endpoint=PAGES_PER_ENDPOINT,
            )
    _check_emails(findings, emails_before, names)
    _check_pdf_text(findings)

    downloads = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.rule.endswith((".csv", ".pdf", "/transcript")) or "attachment" in rule.endpoint
    }
    for endpoint in sorted(downloads - findings.endpoints):
        findings.fail(endpoint, "never fetched: no crawled page links to it")
    if not findings.literal_template:
        findings.fail("pages", "{{7*7}} is shown nowhere as written")
    for column in sorted(FREE_TEXT - set(NOT_SHOWN) - findings.shown):
        findings.fail(column, "shown on no page, file or email the crawl reached")
    assert findings.failures == [], "\n".join(findings.failures)
