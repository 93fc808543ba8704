"""The program report on known data: every figure exactly, on SQLite and PostgreSQL; small
figures withheld; the period filter; the CSV export."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from portal.activities.models import ActivityProgress, ActivityStatus
from portal.cases.models import Stage
from portal.checkins.models import CheckIn, CheckInMode, CheckInStatus
from portal.extensions import db
from portal.messaging.models import Conversation, Message, MessageKind
from portal.plan.models import ActivityKind, Goal, PlannedActivity, PlanStatus, PlanVersion

REFERRED = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


def _plan(case, staff, number, status, activated_days, activities):
    """A plan version activated `activated_days` after referral, with one goal of activities
    (key, status or None for no progress row yet)."""
    version = PlanVersion(
        case_id=case.id,
        number=number,
        status=status,
        created_by_id=staff.id,
        activated_at=REFERRED + timedelta(days=activated_days),
    )
    goal = Goal(key=f"g{case.id}-{number}", position=1, title="A goal")
    version.goals.append(goal)
    for position, (key, _status) in enumerate(activities):
        goal.activities.append(
            PlannedActivity(
                key=key, position=position, title="An activity", kind=ActivityKind.READING
            )
        )
    db.session.add(version)
    for key, progress in activities:
        if progress is not None and status is PlanStatus.ACTIVE:
            db.session.add(ActivityProgress(case_id=case.id, activity_key=key, status=progress))


def _messages(case, staff, script):
    """A conversation on `case`: (kind, hours after referral) in order; its last message time and
    each reply's wait kept as posting them would (notes leave both alone)."""
    last_hours = max(hours for kind, hours in script if kind is not MessageKind.NOTE)
    conversation = Conversation(
        case_id=case.id,
        subject="Subject",
        started_by_id=staff.id,
        last_message_at=REFERRED + timedelta(hours=last_hours),
    )
    db.session.add(conversation)
    db.session.flush()
    waiting_since = None
    for kind, hours in script:
        at = REFERRED + timedelta(hours=hours)
        message = Message(
            conversation_id=conversation.id,
            author_id=case.member_id if kind is MessageKind.MEMBER else staff.id,
            kind=kind,
            body="Text",
            created_at=at,
        )
        if kind is MessageKind.MEMBER and waiting_since is None:
            waiting_since = at
        elif kind is MessageKind.STAFF:
            message.wait_started_at, waiting_since = waiting_since, None
        db.session.add(message)
        db.session.flush()  # ids in the order written, as in real life


def _check_in(case, staff, status, days):
    db.session.add(
        CheckIn(
            case_id=case.id,
            scheduled_at=REFERRED + timedelta(days=days),
            time_zone="America/Toronto",
            mode=CheckInMode.PHONE,
            agenda="Agenda",
            status=status,
            calendar_uid=f"uid-{case.id}-{days}-{status.value}",
            scheduled_by_id=staff.id,
        )
    )


@pytest.fixture
def program(make_staff, make_case):
    staff = make_staff()
    a, b, c = (make_case(lead=staff, stage=Stage.ONGOING_SUPPORT) for _ in range(3))
    d = make_case(lead=staff, stage=Stage.CLOSED)
    make_case(lead=staff, stage=Stage.PLANNING)
    make_case(lead=staff, stage=Stage.REFERRED)
    for case in (a, b, c, d):
        case.referred_at = REFERRED
    M, S, N = MessageKind.MEMBER, MessageKind.STAFF, MessageKind.NOTE
    # Referral to the first active plan: 10, 20, 40 and 50 days: median 30.
    _plan(a, staff, 1, PlanStatus.SUPERSEDED, 10, [("a1", None)])
    _plan(
        a,
        staff,
        2,
        PlanStatus.ACTIVE,
        30,
        [
            ("a1", ActivityStatus.COMPLETED),
            ("a2", ActivityStatus.WAIVED),
            ("a3", ActivityStatus.IN_PROGRESS),
            ("a4", None),
        ],
    )
    _plan(
        b,
        staff,
        1,
        PlanStatus.ACTIVE,
        20,
        [("b1", ActivityStatus.COMPLETED), ("b2", ActivityStatus.COMPLETED), ("b3", None)],
    )
    _plan(c, staff, 1, PlanStatus.ACTIVE, 40, [("c1", ActivityStatus.SUBMITTED)])
    _plan(d, staff, 1, PlanStatus.ACTIVE, 50, [("d1", ActivityStatus.COMPLETED)])
    # Waits for a reply: 3 hours (two member messages, then a reply; the note does not count),
    # 1 hour, and 10 hours; the last member message is still open.
    _messages(a, staff, [(M, 0), (M, 1), (N, 2), (S, 3), (M, 5), (S, 6), (M, 7)])
    _messages(b, staff, [(S, 0), (M, 1), (S, 11), (S, 12)])
    # Check-ins: 2 held and 1 missed (case a), 1 cancelled (case b); scheduled ones do not count.
    _check_in(a, staff, CheckInStatus.HELD, 35)
    _check_in(a, staff, CheckInStatus.HELD, 77)
    _check_in(a, staff, CheckInStatus.MISSED, 56)
    _check_in(b, staff, CheckInStatus.CANCELLED, 60)
    _check_in(b, staff, CheckInStatus.SCHEDULED, 90)
    db.session.commit()


@pytest.fixture
def app_overrides():
    return {"REPORT_MIN_MEMBERS": 1}


def test_every_figure_on_known_data(app, program):
    from portal.reports.services import Period, program_report

    report = program_report(Period(), min_members=1)
    assert report.stages == [
        (Stage.REFERRED, 1),
        (Stage.ASSESSMENT, 0),
        (Stage.PLANNING, 1),
        (Stage.ONGOING_SUPPORT, 3),
        (Stage.CLOSED, 1),
    ]
    assert report.total == 6
    assert (report.referral_to_plan.members, report.referral_to_plan_days) == (4, 30.0)
    completion = report.completion
    assert (completion.members, completion.planned, completion.waived) == (4, 9, 1)
    assert (completion.completed, completion.counted, completion.rate) == (4, 8, 50.0)
    response = report.response_time
    assert (response.members, response.measured, report.response_time_hours) == (2, 3, 3.0)
    check_ins = report.check_ins
    assert (check_ins.members, check_ins.held, check_ins.missed, check_ins.cancelled) == (
        2,
        2,
        1,
        1,
    )
    assert check_ins.held_rate == 66.7


def test_the_page_shows_tables_and_charts(admin_client, program):
    page = admin_client.get("/admin/report")
    assert page.status_code == 200
    text = page.text
    assert text.count('<svg class="chart"') == 2
    for figure in ("30 days", "50% (4 of 8; 1 waived)", "3 hours", "66.7% of the check-ins"):
        assert figure in text, figure
    assert "Ongoing support</th><td>3</td>" in text.replace("\n", "").replace("  ", "")


def test_a_period_narrows_the_figures(app, admin_client, program):
    from portal.reports.services import Period, program_report

    # From 15 days after referral: plans first active on day 20, 40 and 50; no wait started in it
    # (all were on day 0); the check-ins of days 35 to 77.
    start = REFERRED + timedelta(days=15)
    report = program_report(Period(start=start), min_members=1)
    assert report.referral_to_plan_days == 40.0 and report.referral_to_plan.members == 3
    assert report.response_time.measured == 0 and report.response_time_hours is None
    assert report.total == 0  # nobody was referred in it
    assert report.completion.rate == 50.0  # today's picture whatever the period
    # Through the page, in the admin's time zone: 16 to 31 January (Toronto).
    page = admin_client.get("/admin/report?date_from=2030-01-16&date_to=2030-01-31").text
    assert "20 days" in page and "No replies yet" in page
    bad = admin_client.get("/admin/report?date_from=2030-02-01&date_to=2030-01-01")
    assert bad.status_code == 200 and "The end date is before the start date." in bad.text


def test_a_period_counts_the_waits_that_started_in_it(app, program):
    from portal.reports.services import Period, program_report

    def waits(start_hours=None, end_hours=None):
        start, end = (
            None if hours is None else REFERRED + timedelta(hours=hours)
            for hours in (start_hours, end_hours)
        )
        response = program_report(Period(start, end), min_members=1).response_time
        return response.measured, response.median_in(3600)

    # The waits start at hour 0 (3 hours, case a), hour 1 (10 hours, case b), hour 5 (1 hour,
    # case a); the one from hour 7 is still open.
    assert waits(start_hours=4) == (1, 1.0)
    assert waits(start_hours=1) == (2, 5.5)
    assert waits(end_hours=1) == (1, 3.0)  # the end is excluded
    assert waits(start_hours=4, end_hours=5.5) == (1, 1.0)  # answered after the period: counted
    assert waits(start_hours=8) == (0, None)


def test_csv_export(admin, admin_client, program):
    from portal.audit.models import AuditEvent

    response = admin_client.get("/admin/report.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith(
        'attachment; filename="program-report-all-time-'
    )
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["figure", "category", "value", "unit", "members"]
    assert rows[1][0] == "computed_at" and rows[1][3] == "UTC"
    table = {(row[0], row[1]): row[2] for row in rows[1:]}
    assert table[("members_per_stage", "ongoing_support")] == "3"
    assert table[("members_per_stage", "total")] == "6"
    assert table[("referral_to_active_plan", "median")] == "30.0"
    assert table[("activity_completion", "rate")] == "50.0"
    assert table[("staff_response_time", "median")] == "3.0"
    assert table[("check_ins", "held")] == "2" and table[("check_ins", "held_rate")] == "66.7"
    exported = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.action == "report.exported")
    ).one()
    assert exported.actor_id == admin.id


def test_the_report_names_no_one(admin_client, program):
    from portal.auth.models import User

    page = admin_client.get("/admin/report").text + admin_client.get("/admin/report.csv").text
    for user in db.session.scalars(db.select(User).where(User.role == "member")):
        assert user.name not in page and user.email not in page


def test_the_report_is_for_admins_only(make_staff, make_member, client_for):
    for user in (make_staff(), make_member()):
        client = client_for(user)
        assert client.get("/admin/report").status_code == 403
        assert client.get("/admin/report.csv").status_code == 403


class TestSmallFiguresAreWithheld:
    @pytest.fixture
    def app_overrides(self):
        return {"REPORT_MIN_MEMBERS": 5}

    def test_figures_kept_unwithheld_are_withheld_when_shown(self, admin_client, program):
        """The limit applies as figures are shown: figures kept by a computation for a smaller
        limit (or before REPORT_MIN_MEMBERS was raised) never show a small one."""
        from portal.reports.services import Period
        from portal.reports.snapshots import current_report

        current_report(Period(), min_members=1, max_age_minutes=5)
        db.session.commit()
        text = admin_client.get("/admin/report").text.replace("\n", "").replace("  ", "")
        assert "Ongoing support</th><td>Not shown: fewer than 5 members</td>" in text
        assert "30 days" not in text
        csv_text = admin_client.get("/admin/report.csv").text
        assert "members_per_stage,ongoing_support,withheld,members,withheld" in csv_text

    def test_figures_from_fewer_than_five_members_are_withheld(self, admin_client, program):
        text = admin_client.get("/admin/report").text.replace("\n", "").replace("  ", "")
        withheld = "Not shown: fewer than 5 members"
        assert f"Ongoing support</th><td>{withheld}</td>" in text
        assert "Assessment</th><td>0</td>" in text  # nobody is nobody to point at
        assert "it would reveal a figure not shown" in text
        assert "30 days" not in text and "3 hours" not in text and "50%" not in text
        assert '<svg class="chart"' in text and "report-checkins" not in text
        rows = list(csv.reader(io.StringIO(admin_client.get("/admin/report.csv").text)))
        table = {(row[0], row[1]): row[2] for row in rows[1:]}
        assert table[("members_per_stage", "ongoing_support")] == "withheld"
        assert table[("members_per_stage", "assessment")] == "0"
        assert table[("members_per_stage", "total")] == "withheld"
        assert table[("referral_to_active_plan", "median")] == "withheld"
        assert table[("check_ins", "held")] == "withheld"


# --- Snapshots: the figures are read back while fresh -----------------------------------------


def _close_a_case():
    """One of the program's cases in ongoing support closes."""
    from portal.cases.models import Case

    case = db.session.scalars(
        sa.select(Case).where(Case.stage == Stage.ONGOING_SUPPORT).limit(1)
    ).one()
    case.stage = Stage.CLOSED
    db.session.commit()


def _closed(report) -> int:
    return dict(report.stages)[Stage.CLOSED]


def test_figures_are_read_back_while_fresh_then_computed_again(app, program, frozen_clock):
    from portal.reports.models import ReportSnapshot
    from portal.reports.services import Period
    from portal.reports.snapshots import current_report

    def report(**kwargs):
        return current_report(Period(), min_members=1, max_age_minutes=5, **kwargs)

    first = report()
    assert _closed(first) == 1 and first.computed_at == frozen_clock.current
    _close_a_case()

    frozen_clock.advance(seconds=299)
    kept = report()
    assert _closed(kept) == 1 and kept.computed_at == first.computed_at
    assert kept.figures() == first.figures()  # every figure survives the round trip

    frozen_clock.advance(seconds=1)  # 300 seconds old: stale
    again = report()
    assert _closed(again) == 2 and again.computed_at == frozen_clock.current

    _close_a_case()
    assert _closed(report()) == 2
    assert _closed(report(refresh=True)) == 3  # asked for: computed now whatever its age

    # One snapshot per period; the stale ones of other periods go when a new one is stored.
    current_report(Period(start=REFERRED), min_members=1, max_age_minutes=5)
    frozen_clock.advance(seconds=600)
    report()
    assert [row.period_key for row in db.session.scalars(sa.select(ReportSnapshot))] == ["-/-"]


def test_figures_stored_in_another_shape_are_computed_again(app, program):
    from portal.reports.models import ReportSnapshot
    from portal.reports.services import Period
    from portal.reports.snapshots import current_report

    current_report(Period(), min_members=1, max_age_minutes=5)
    snapshot = db.session.scalars(sa.select(ReportSnapshot)).one()
    snapshot.figures = {"stages": {"referred": 99}}  # what an older version might have kept
    db.session.commit()
    report = current_report(Period(), min_members=1, max_age_minutes=5)
    assert dict(report.stages)[Stage.REFERRED] == 1


def test_the_page_says_when_its_figures_were_computed_and_computes_them_on_request(
    admin_client, program
):
    period = "date_from=2029-12-01&date_to=2030-12-31"
    page = admin_client.get(f"/admin/report?{period}").text
    assert "Figures computed on" in page and "They are kept for 5 minutes" in page
    assert "Ongoing support</th><td>3</td>" in page.replace("\n", "").replace("  ", "")
    _close_a_case()
    page = admin_client.get(f"/admin/report?{period}").text
    assert "Ongoing support</th><td>3</td>" in page.replace("\n", "").replace("  ", "")
    # The CSV reads the same kept figures, and says when they were computed.
    rows = list(csv.reader(io.StringIO(admin_client.get(f"/admin/report.csv?{period}").text)))
    assert rows[1][:2] == ["computed_at", ""] and datetime.fromisoformat(rows[1][2])
    assert ["members_per_stage", "ongoing_support", "3", "members", "3"] in rows

    exported = admin_client.get(f"/admin/report.csv?{period}")
    assert exported.headers["Content-Disposition"].startswith(
        'attachment; filename="program-report-from-20291201-to-20301231-'
    )
    answer = admin_client.post(f"/admin/report/refresh?{period}")
    assert answer.status_code == 302
    assert answer.location.endswith(f"/admin/report?{period}")
    page = admin_client.get(answer.location).text
    assert "The figures have been computed again." in page
    assert "Ongoing support</th><td>2</td>" in page.replace("\n", "").replace("  ", "")

    # A period that does not hold together is refused: nothing is computed.
    bad = admin_client.post("/admin/report/refresh?date_from=2030-02-01&date_to=2030-01-01")
    assert bad.status_code == 302
    assert "Correct the period before computing" in admin_client.get(bad.location).text


def test_an_older_computation_never_replaces_newer_figures(app, program, frozen_clock):
    """Two app servers computing one period: the one that began first and finished last must not
    put its older figures back."""
    from portal.reports.services import Period, ProgramReport
    from portal.reports.snapshots import current_report, keep, period_key

    newer = current_report(Period(), min_members=1, max_age_minutes=5)
    db.session.commit()
    figures = newer.figures()
    figures["stages"]["closed"] = 42
    older = ProgramReport.from_figures(
        figures,
        period=Period(),
        min_members=1,
        computed_at=frozen_clock.current - timedelta(seconds=1),
    )
    keep(period_key(Period()), older, oldest=frozen_clock.current - timedelta(minutes=5))
    db.session.commit()
    assert _closed(current_report(Period(), min_members=1, max_age_minutes=5)) == 1
