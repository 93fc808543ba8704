"""Every request that shows or changes a sensitive record leaves exactly one audit event, naming
what it was about; the rest are declared as not sensitive.

AUDITED and NOT_AUDITED together must cover every (endpoint, method) of `app.url_map`: a new route
fails this test until it is declared in one of them. The walk signs in once per role and sends
each audited request in the table's order (the POSTs build on each other: return, resubmit,
verify…) against the objects of `tests/security/routes.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from io import BytesIO

from sqlalchemy import update

from portal import clock
from portal.audit.models import AuditEvent
from portal.auth.models import TokenPurpose, User
from portal.auth.services import issue_token
from portal.cases.models import Case
from portal.checkins.models import CheckIn
from portal.extensions import db
from portal.outbox.models import EmailStatus, OutboxEmail
from portal.plan.models import Goal, PlannedActivity, PlanVersion
from tests.factories import PASSWORD
from tests.messaging.helpers import pdf_bytes
from tests.security.routes import url_of


@dataclass(frozen=True)
class Audited:
    """`who` sends the request (with `data`, a dict or a function of the people); it must answer
    `status` and leave exactly `actions` (one, unless a reason is given in `why_more`), the first
    about `about` (object type, and the people key of its id) when given."""

    who: str
    actions: tuple[str, ...]
    about: tuple[str, str | None] | None = None
    data: dict | Callable[[dict], dict] | None = None
    url: Callable[[dict], dict] | None = None  # URL values other than the defaults
    query: dict | None = None  # a query string
    prepare: Callable[[dict], None] | None = None  # put the object in the state the action needs
    status: frozenset[int] = field(default_factory=lambda: frozenset({200, 302}))
    why_more: str = ""


def _a(who, action, about=None, **kwargs) -> Audited:
    return Audited(who, (action,), about, **kwargs)


def _latest_goal(people) -> dict:
    return {"goal_id": db.session.scalar(db.select(db.func.max(Goal.id)))}


def _failed_email(people) -> None:
    db.session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.id == people["email_id"])
        .values(status=EmailStatus.FAILED)
    )
    db.session.commit()


def _check_in_past(people) -> None:
    db.session.execute(
        update(CheckIn)
        .where(CheckIn.id == people["check_in_id"])
        .values(scheduled_at=clock.now() - timedelta(hours=2))
    )
    db.session.commit()


def _evidence(people) -> dict:
    return {
        "evidence": (BytesIO(pdf_bytes()), "certificate.pdf"),
        "learned": "How to run a teach-back.",
        "practice_change": "I now use it at discharge.",
    }


def _schedule(people) -> dict:
    day = (clock.now() + timedelta(days=20)).date().isoformat()
    return {
        "day": day,
        "at": "10:00",
        "time_zone": "America/Toronto",
        "mode": "phone",
        "duration_minutes": "30",
        "agenda": "How the plan is going.",
    }


def _reschedule(people) -> dict:
    day = (clock.now() + timedelta(days=21)).date().isoformat()
    check_in = db.session.get(CheckIn, people["check_in_id"])
    return {
        "day": day,
        "at": "11:00",
        "time_zone": "America/Toronto",
        "sequence": str(check_in.calendar_sequence),
    }


def _year(people) -> int:
    return clock.now().year


def _token(user, purpose) -> str:
    raw = issue_token(user, purpose)
    db.session.commit()
    return raw


def _invited_case() -> Case:
    return db.session.scalar(db.select(Case).where(Case.member_id == _invited().id))


def _new_key(people) -> dict:
    """An activity of the plan version just activated that the member has not started: the one
    copied from the catalog."""
    activity = db.session.scalar(
        db.select(PlannedActivity)
        .join(Goal)
        .join(PlanVersion)
        .where(PlanVersion.number == 2, PlannedActivity.title == "Module")
    )
    return {"activity_key": activity.key}


def _invited():
    return db.session.scalar(db.select(User).where(User.email == "new.member@example.org"))


CATALOG_ENTRY = {
    "title_en": "Disclosure workshop",
    "title_fr": "Atelier sur la divulgation",
    "kind": "workshop",
    "provider": "Provincial association",
    "estimated_hours": "7",
    "categories": ["communication"],
}
CASE = ("case", "case")
STARTED = ("conversation.started", "message.sent")
FIRST_MESSAGE = "the conversation, and its first message (every message has its message.sent)"
STAGE_CHANGE = "every stage change is a case.stage_changed event, whatever caused it"
CONVERSATION = ("conversation", "conversation_id")
CHECK_IN = ("check_in", "check_in_id")
SUBMISSION = ("submission", "submission_id")

# In walk order. Reads first; then the changes, each leaving the state the next one needs.
AUDITED: dict[tuple[str, str], Audited] = {
    # --- reads of a member's file -----------------------------------------------------------
    ("cases.show", "GET"): _a("staff", "case.viewed", CASE),
    ("cases.timeline_view", "GET"): _a("staff", "case.viewed", CASE),
    ("assessment.staff_view", "GET"): _a("staff", "assessment.viewed"),
    ("assessment.staff_version", "GET"): _a("staff", "assessment.viewed"),
    ("assessment.edit_factor", "GET"): _a("staff", "assessment.viewed"),
    ("assessment.member_view", "GET"): _a("member", "assessment.viewed"),
    ("assessment.member_version", "GET"): _a("member", "assessment.viewed"),
    ("assessment.member_print", "GET"): _a("member", "assessment.viewed"),
    ("plan.staff_view", "GET"): _a("staff", "plan.viewed"),
    ("plan.staff_version", "GET"): _a("staff", "plan.viewed"),
    ("plan.staff_compare", "GET"): _a("staff", "plan.viewed"),
    ("plan.edit_goal", "GET"): _a("staff", "plan.viewed"),
    ("plan.edit_activity", "GET"): _a("staff", "plan.viewed"),
    ("plan.member_view", "GET"): _a("member", "plan.viewed"),
    ("plan.member_version", "GET"): _a("member", "plan.viewed"),
    ("plan.member_compare", "GET"): _a("member", "plan.viewed"),
    ("plan.member_print", "GET"): _a("member", "plan.viewed"),
    ("activities.staff_view", "GET"): _a("staff", "activities.viewed", CASE),
    ("activities.staff_activity", "GET"): _a("staff", "activities.viewed", CASE),
    ("activities.member_view", "GET"): _a("member", "activities.viewed", CASE),
    ("activities.member_activity", "GET"): _a("member", "activities.viewed", CASE),
    ("activities.summary_csv", "GET"): _a("member", "activities.viewed", CASE),
    ("activities.summary_pdf", "GET"): _a("member", "activities.viewed", CASE),
    ("activities.evidence", "GET"): _a("staff", "evidence.downloaded", SUBMISSION),
    ("messaging.show", "GET"): _a("staff", "conversation.viewed", CONVERSATION),
    ("messaging.transcript", "GET"): _a("member", "conversation.downloaded", CONVERSATION),
    ("messaging.attachment", "GET"): _a(
        "member", "attachment.downloaded", ("attachment", "attachment_id")
    ),
    ("checkins.staff_list", "GET"): _a("staff", "check_ins.viewed", CASE),
    ("checkins.staff_check_in", "GET"): _a("staff", "check_ins.viewed", CHECK_IN),
    ("checkins.member_list", "GET"): _a("member", "check_ins.viewed", CASE),
    ("checkins.request_reschedule", "GET"): _a("member", "check_ins.viewed", CHECK_IN),
    ("admin.audit", "GET"): _a("admin", "audit.viewed"),
    ("admin.audit_csv", "GET"): _a("admin", "audit.exported"),
    ("admin.outbox", "GET"): _a("admin", "outbox.viewed"),
    ("cases.break_glass_log", "GET"): _a("admin", "break_glass.log_viewed"),
    ("reports.report_csv", "GET"): _a("admin", "report.exported"),
    # --- the assessment draft (version 2) and the member's side of version 1 -----------------
    ("assessment.update_summary", "POST"): _a(
        "staff",
        "assessment.draft_edited",
        data=lambda p: {
            "period_start_year": _year(p) - 4,
            "period_end_year": _year(p),
            "member_rate": "1.2",
            "peer_rate": "0.4",
            "narrative": "Edited narrative.",
        },
    ),
    ("assessment.update_history", "POST"): _a(
        "staff",
        "assessment.draft_edited",
        data=lambda p: {f"count_{_year(p)}_legal_action": "2"},
    ),
    ("assessment.add_factor", "POST"): _a(
        "staff",
        "assessment.factor_added",
        data={"category": "wellness", "description": "Long shifts.", "priority": "low"},
    ),
    ("assessment.edit_factor", "POST"): _a(
        "staff",
        "assessment.factor_edited",
        data={"category": "wellness", "description": "Long night shifts.", "priority": "high"},
    ),
    ("assessment.remove_factor", "POST"): _a("staff", "assessment.factor_removed"),
    ("assessment.release", "POST"): _a(
        "staff", "assessment.released", data={"change_note": "Counts corrected."}
    ),
    ("assessment.start_draft", "POST"): _a("staff", "assessment.draft_started"),
    ("assessment.add_perspective", "POST"): _a(
        "member", "assessment.perspective_added", data={"overall": "My view of it."}
    ),
    ("assessment.acknowledge", "POST"): _a("member", "assessment.acknowledged"),
    # --- activities of the active plan (version 1) --------------------------------------------
    ("activities.return_to_member", "POST"): _a(
        "staff", "activity.status_changed", CASE, data={"comment": "Please add the date."}
    ),
    ("activities.submit", "POST"): _a("member", "activity.status_changed", CASE, data=_evidence),
    ("activities.verify", "POST"): _a("staff", "activity.status_changed", CASE),
    ("activities.complete_plan", "POST"): _a("staff", "plan.completed"),
    # --- the plan draft (version 2) ----------------------------------------------------------
    ("plan.add_goal", "POST"): _a(
        "staff",
        "plan.goal_saved",
        data=lambda p: {"title": "Safer handovers", "factor_keys": [_factor_key(p)]},
    ),
    ("plan.edit_goal", "POST"): _a(
        "staff",
        "plan.goal_saved",
        data=lambda p: {"title": "Clearer discharges", "factor_keys": [_factor_key(p)]},
    ),
    ("plan.add_activity", "POST"): _a(
        "staff",
        "plan.activity_saved",
        data=lambda p: {"goal_id": p["goal_id"], "title": "Handover course", "kind": "course"},
    ),
    ("plan.edit_activity", "POST"): _a(
        "staff",
        "plan.activity_saved",
        data=lambda p: {"goal_id": p["goal_id"], "title": "E-learning", "kind": "elearning"},
    ),
    ("activities.add_from_catalog", "POST"): Audited(
        "staff",
        ("plan.activity_saved", "catalog.copied_to_plan"),
        why_more="the draft gains an activity, as any saved one, and from which catalog entry",
        data=lambda p: {"entry_id": p["entry_id"], "goal_id": p["goal_id"], "required": "y"},
    ),
    ("plan.remove_activity", "POST"): _a("staff", "plan.activity_removed"),
    ("plan.remove_goal", "POST"): _a("staff", "plan.goal_removed", url=_latest_goal),
    ("plan.share", "POST"): _a("staff", "plan.shared", data={"change_note": "Revised."}),
    ("plan.add_input", "POST"): _a(
        "member", "plan.input_added", url=lambda p: {"number": 2}, data={"comment": "Fine."}
    ),
    ("plan.agree", "POST"): _a("member", "plan.member_agreed", url=lambda p: {"number": 2}),
    ("plan.approve", "POST"): Audited(
        "staff",
        ("plan.approved", "plan.activated"),
        url=lambda p: {"number": 2},
        why_more="the second sign-off also activates the version: two facts",
    ),
    ("activities.start", "POST"): _a("member", "activity.status_changed", CASE, url=_new_key),
    ("activities.waive", "POST"): _a(
        "staff", "activity.status_changed", CASE, url=_new_key, data={"reason": "Done before."}
    ),
    ("plan.start_draft", "POST"): _a("staff", "plan.draft_started"),
    ("activities.new_entry", "POST"): _a("admin", "catalog.saved", data=CATALOG_ENTRY),
    ("activities.edit_entry", "POST"): _a(
        "staff", "catalog.saved", data={**CATALOG_ENTRY, "title_en": "Disclosure, revised"}
    ),
    ("activities.retire_entry", "POST"): _a("staff", "catalog.retired"),
    # --- messages ------------------------------------------------------------------------------
    ("messaging.new", "POST"): Audited(
        "member",
        STARTED,
        data={"subject": "Hello", "body": "A question."},
        why_more=FIRST_MESSAGE,
    ),
    ("messaging.start_for_case", "POST"): Audited(
        "staff",
        STARTED,
        data={"subject": "Check-in", "body": "How are you?"},
        why_more=FIRST_MESSAGE,
    ),
    ("messaging.reply", "POST"): _a(
        "member", "message.sent", ("message", None), data={"body": "Thank you."}
    ),
    ("messaging.add_note", "POST"): _a(
        "staff", "note.added", ("message", None), data={"note-body": "Call next week."}
    ),
    ("messaging.assign", "POST"): _a(
        "staff",
        "conversation.assigned",
        CONVERSATION,
        data=lambda p: {"assignee_id": p["staff"].id},
    ),
    ("messaging.no_reply_needed", "POST"): _a(
        "staff", "conversation.no_reply_needed", CONVERSATION
    ),
    ("messaging.canned_replies", "POST"): _a(
        "admin",
        "canned_reply.saved",
        data={"title": "Received", "body_en": "We got it.", "body_fr": "Bien reçu."},
    ),
    ("messaging.edit_canned_reply", "POST"): _a(
        "admin",
        "canned_reply.saved",
        data={"title": "Thanks", "body_en": "Thank you!", "body_fr": "Merci !"},
    ),
    ("messaging.delete_canned_reply", "POST"): _a("admin", "canned_reply.deleted"),
    # --- check-ins -----------------------------------------------------------------------------
    ("checkins.request_reschedule", "POST"): _a(
        "member", "check_in.reschedule_requested", CHECK_IN, data={"reason": "On call that day."}
    ),
    ("checkins.decline_request", "POST"): _a("staff", "check_in.reschedule_declined", CHECK_IN),
    ("checkins.reschedule", "POST"): _a(
        "staff", "check_in.rescheduled", CHECK_IN, data=_reschedule
    ),
    ("checkins.staff_list", "POST"): _a("staff", "check_in.scheduled", data=_schedule),
    ("checkins.record_outcome", "POST"): _a(
        "staff",
        "check_in.outcome_recorded",
        CHECK_IN,
        prepare=_check_in_past,
        data={"held": "held", "member_summary": "Good progress."},
    ),
    ("checkins.cancel", "POST"): _a(
        "staff",
        "check_in.cancelled",
        url=lambda p: {"check_in_id": db.session.scalar(db.select(db.func.max(CheckIn.id)))},
    ),
    # --- the case ------------------------------------------------------------------------------
    ("cases.break_glass", "POST"): _a(
        "staff_not_on_case",
        "case.break_glass",
        CASE,
        data={"reason": "The member called the urgent line about a new complaint."},
    ),
    ("cases.close", "POST"): Audited(
        "staff",
        ("case.stage_changed", "case.closed"),
        CASE,
        data={"closing_summary": "Well done."},
        why_more=STAGE_CHANGE + "; closing also cancels each check-in still to come (none here)",
    ),
    ("cases.reopen", "POST"): Audited(
        "staff",
        ("case.stage_changed", "case.reopened"),
        CASE,
        data={"reason": "The member asked for more coaching."},
        why_more=STAGE_CHANGE,
    ),
    ("cases.refer", "POST"): Audited(
        "staff",
        ("case.referred", "account.invitation_sent"),
        data=lambda p: {
            "name": "Dr. New Member",
            "email": "new.member@example.org",
            "member_number": "ON-4242",
            "type_of_work": "general_surgery",
            "province": "ON",
            "language": "en",
            "reason": "Three complaints in a year.",
            "lead_advisor_id": p["staff"].id,
        },
        why_more="the referral creates the case and invites the member: two facts",
    ),
    ("cases.resend_invitation", "POST"): _a(
        "staff", "account.invitation_sent", url=lambda p: {"case_id": _invited_case().id}
    ),
    ("cases.find", "GET"): _a("staff", "case.searched", query={"q": "Member"}),
    # --- administration ----------------------------------------------------------------------
    ("admin.retry_email", "POST"): _a(
        "admin", "outbox.retried", ("outbox_email", "email_id"), prepare=_failed_email
    ),
    ("admin.case_assignment", "POST"): _a(
        "admin",
        "case.reassigned",
        CASE,
        data=lambda p: {"lead_advisor_id": p["staff"].id, "expected_lead_id": p["staff"].id},
    ),
    ("admin.invite_staff", "POST"): Audited(
        "admin",
        ("account.created", "account.invitation_sent"),
        data={"name": "New Advisor", "email": "new.advisor@example.org", "role": "staff"},
        why_more="the account is created and invited, as a referral does",
    ),
    ("admin.change_role", "POST"): _a(
        "admin",
        "account.role_changed",
        url=lambda p: {"user_id": p["staff_not_on_case"].id},
        data={"role": "admin"},
    ),
    ("admin.reassign_all", "POST"): Audited(
        "admin",
        ("case.reassigned", "case.bulk_reassigned"),
        data=lambda p: {"from_staff_id": p["staff_not_on_case"].id, "to_staff_id": p["admin"].id},
        why_more="each case moved is in its own case's trail (one here), then the whole move",
    ),
    ("admin.set_user_active", "POST"): _a(
        "admin",
        "account.deactivated",
        url=lambda p: {"user_id": p["other_member"].id},
        data={"active": "0"},
    ),
    # --- the account, last: the member's own ------------------------------------------------
    ("notifications.settings", "POST"): Audited(
        "member",
        ("notifications.preference_changed", "account.time_zone_changed"),
        data={"frequency": "daily", "time_zone": "America/Halifax"},
        why_more="two settings, each recorded when saved (the time zone only when it changes)",
    ),
    ("auth.change_password", "POST"): _a(
        "member",
        "account.password_change",
        data={
            "current_password": PASSWORD,
            "password": "a brand new passphrase",
            "confirm": "a brand new passphrase",
        },
    ),
    ("auth.change_email", "POST"): _a(
        "member",
        "account.email_change_requested",
        data={"email": "moved@example.org", "current_password": "a brand new passphrase"},
    ),
    ("auth.cancel_email_change", "POST"): _a("member", "account.email_change_cancelled"),
    ("auth.forgot_password", "POST"): _a(
        "anonymous", "account.password_reset_requested", data=lambda p: {"email": p["staff"].email}
    ),
    ("auth.reset_password", "POST"): _a(
        "anonymous",
        "account.password_reset",
        url=lambda p: {"token": _token(p["staff_not_on_case"], TokenPurpose.PASSWORD_RESET)},
        data={"password": "another new passphrase", "confirm": "another new passphrase"},
    ),
    ("auth.accept_invitation", "POST"): Audited(
        "anonymous",
        ("account.invitation_accepted", "auth.login"),
        why_more="accepting the invitation also signs the member in",
        url=lambda p: {"token": _token(_invited(), TokenPurpose.INVITATION)},
        data={"password": "my first passphrase", "confirm": "my first passphrase"},
    ),
    ("auth.login", "POST"): _a(
        "anonymous", "auth.login", data=lambda p: {"email": p["admin"].email, "password": PASSWORD}
    ),
    ("privacy.download", "POST"): _a("member", "privacy.archive_downloaded"),
    ("auth.logout", "POST"): _a("member", "auth.logout"),
}

# Routes that show or change nothing sensitive, or only what the user may always see of their
# own account; each with the reason.
NOT_AUDITED: dict[str, str] = {
    "static": "our CSS and images",
    "i18n.switch_language": "the interface language of the browser",
    "home.index": "a redirect to the user's home page",
    "home.dashboard": "the member's next steps; each record it links to audits its own page",
    "cases.index": "the caseload list: names and stages; opening a case is audited",
    "cases.view_log": "the member's own view log, read from the audit trail itself",
    "messaging.index": "the member's list of conversations; opening one is audited",
    "messaging.inbox": "the team inbox list; opening a conversation is audited",
    "activities.queue": "the verification queue list; opening evidence is audited",
    "activities.catalog": "the activity catalog: no member data",
    "admin.users": "the list of accounts",
    "admin.cases": "the list of case assignments",
    "reports.report": "aggregate figures, withheld below REPORT_MIN_MEMBERS; the export is audited",
    "reports.refresh_report": "computes the same aggregate figures again; shows nothing",
    "twofactor.settings": "the user's own two-step settings page",
    "privacy.index": "the page offering the member's archive; the download is audited",
    "identification.queue": "the screening queue's list; opening a member's profile is audited",
}
# Routes proven by their own feature tests, which need state a walk cannot reach by a plain
# request (a TOTP code of a fresh secret, a link from an email).
WALKED_ELSEWHERE: dict[str, str] = {
    "twofactor.setup": "tests/twofactor",
    "twofactor.verify": "tests/twofactor",
    "twofactor.renew_recovery_codes": "tests/twofactor",
    "twofactor.turn_off": "tests/twofactor",
    "auth.confirm_email_change": "tests/auth",
    # They need an imported, screened register; their tests check each audit event.
    "identification.member": "tests/identification (register_member.viewed)",
    "identification.refer": "tests/identification (screening.refer, case.referred)",
    "identification.watch": "tests/identification (screening.watch)",
    "identification.not_now": "tests/identification (screening.not_now)",
    "identification.screen_now": "tests/identification (screening.run)",
    "identification.import_files": "tests/identification (register.imported or refused)",
    "identification.import_result": "tests/identification: counts and row errors, no member data",
}
# GET pages of these routes are forms with nothing sensitive on them; their POST is audited.
FORM_PAGES = {
    "activities.add_from_catalog",
    "activities.new_entry",
    "activities.edit_entry",
    "admin.case_assignment",
    "admin.invite_staff",
    "auth.accept_invitation",
    "auth.change_email",
    "auth.change_password",
    "auth.forgot_password",
    "auth.login",
    "auth.reset_password",
    "cases.break_glass",
    "cases.refer",
    "messaging.canned_replies",
    "messaging.edit_canned_reply",
    "messaging.new",
    "messaging.start_for_case",
    "notifications.settings",
}


def _methods(rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def test_every_route_is_declared_audited_or_not(app):
    routes = {(rule.endpoint, m) for rule in app.url_map.iter_rules() for m in _methods(rule)}
    declared = set(AUDITED)
    declared |= {(e, m) for e, m in routes if e in NOT_AUDITED or e in WALKED_ELSEWHERE}
    declared |= {(e, "GET") for e in FORM_PAGES}
    undeclared = sorted(routes - declared)
    assert undeclared == [], f"declare these routes in AUDITED or NOT_AUDITED: {undeclared}"
    assert sorted(declared - routes) == [], "these declared routes no longer exist"


def _client(app, people, who):
    client = app.test_client()
    if who != "anonymous":
        response = client.post("/login", data={"email": people[who].email, "password": PASSWORD})
        assert response.status_code == 302, who
    return client


def _new_events(after: int) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            db.select(AuditEvent).where(AuditEvent.id > after).order_by(AuditEvent.id)
        )
    )


def test_each_sensitive_request_writes_exactly_one_audit_event(app, people):
    rules = {rule.endpoint: rule for rule in app.url_map.iter_rules()}
    clients = {}
    problems = []
    for (endpoint, method), expected in AUDITED.items():
        if expected.prepare:
            expected.prepare(people)
        if expected.who not in clients or expected.who == "anonymous":
            clients[expected.who] = _client(app, people, expected.who)
        url = url_of(rules[endpoint], people, **(expected.url(people) if expected.url else {}))
        data = expected.data(people) if callable(expected.data) else expected.data
        before = db.session.scalar(db.select(db.func.coalesce(db.func.max(AuditEvent.id), 0)))
        response = clients[expected.who].open(
            url, method=method, data=data, query_string=expected.query
        )
        events = _new_events(before)
        where = f"{expected.who} {method} {url} ({endpoint})"
        if response.status_code not in expected.status:
            problems.append(f"{where}: answered {response.status_code}")
            continue
        actions = tuple(event.action for event in events)
        if actions != expected.actions:
            problems.append(f"{where}: wrote {actions}, expected {expected.actions}")
            continue
        assert len(actions) == 1 or expected.why_more, where
        if expected.about:
            object_type, key = expected.about
            about = (object_type, getattr(people[key], "id", people[key]) if key else None)
            if (events[0].object_type, events[0].object_id if key else None) != about:
                problems.append(f"{where}: about {events[0].object_type} {events[0].object_id}")
    assert problems == [], "\n".join(problems)


def _factor_key(people) -> str:
    from portal.assessment import services as assessment

    return assessment.released_version(people["case"]).factors[0].key
