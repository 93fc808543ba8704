"""A synthetic program at the size of a national mutual, written through the models' tables.

Rows go in with SQLAlchemy core `insert()` executemany, about 10,000 at a time, with ids chosen
here (no ORM object per row, one password hash for every account), so the full size loads in
minutes. Every case gets what its stage implies — an assessment released, a plan shared or
active, activities in every status with evidence, conversations both ways with unread receipts,
check-ins — so that the pages read real data. The audit trail is spread over five years.

Accounts (password `BENCH_PASSWORD`; staff and admins use the demo TOTP secret):
`member1@bench.example.org` (the member whose pages are measured: an active plan, the 5,000-message
conversation), `staff1@bench.example.org` (their lead advisor), `admin1@bench.example.org`.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app

from portal import clock
from portal.activities.models import ActivityProgress, ActivityStatus, StatusChange, Submission
from portal.assessment.models import (
    Acknowledgement,
    AssessmentVersion,
    Factor,
    FactorCategory,
    HistoryEntry,
    MatterKind,
    PerspectiveEntry,
    Position,
    Priority,
    VersionStatus,
)
from portal.audit.models import AuditEvent, Outcome
from portal.auth.models import Role, User
from portal.auth.passwords import hash_password
from portal.cases.models import (
    PROVINCE_TIME_ZONES,
    PROVINCES,
    Case,
    CaseTeamMember,
    MemberProfile,
    Stage,
    StageChange,
)
from portal.checkins.models import CheckIn, CheckInMode, CheckInStatus
from portal.extensions import db
from portal.messaging.models import Conversation, ConversationRead, Message, MessageKind
from portal.plan.models import (
    ActivityKind,
    Goal,
    GoalFactor,
    PlanInput,
    PlannedActivity,
    PlanStatus,
    PlanVersion,
)
from portal.twofactor.models import TotpCredential
from portal.uploads.models import StoredFile

BENCH_PASSWORD = "msp-bench-2026"
BATCH_ROWS = 10_000
MEMBER_EMAIL = "member1@bench.example.org"
STAFF_EMAIL = "staff1@bench.example.org"
ADMIN_EMAIL = "admin1@bench.example.org"


@dataclass(frozen=True)
class Size:
    cases: int
    staff: int
    admins: int
    conversations: int
    messages: int
    big_conversation: int
    activities: int
    audit_events: int

    @classmethod
    def scaled(cls, factor: float) -> Size:
        """The issue's full size times `factor` (1 on PostgreSQL, 0.1 on SQLite)."""

        def n(full: int, least: int) -> int:
            return max(least, round(full * factor))

        return cls(
            cases=n(10_000, 12),
            staff=n(50, 4),
            admins=2,
            conversations=n(50_000, 60),
            messages=n(1_000_000, 1_200),
            big_conversation=n(5_000, 120),
            activities=n(200_000, 240),
            audit_events=n(2_000_000, 2_400),
        )


SCALES = {"full": 1.0, "tenth": 0.1, "tiny": 0.001}

# Stages of the cases, in proportion (the showcase member's case is always in ongoing support).
STAGE_MIX = [
    (Stage.REFERRED, 10),
    (Stage.ASSESSMENT, 15),
    (Stage.PLANNING, 15),
    (Stage.ONGOING_SUPPORT, 45),
    (Stage.CLOSED, 15),
]
# Activities of an active plan, in proportion; NOT_STARTED has no progress row.
STATUS_MIX = [
    (ActivityStatus.NOT_STARTED, 30),
    (ActivityStatus.IN_PROGRESS, 20),
    (ActivityStatus.SUBMITTED, 10),
    (ActivityStatus.COMPLETED, 30),
    (ActivityStatus.RETURNED, 5),
    (ActivityStatus.WAIVED, 5),
]
STATUS_PATH = {
    ActivityStatus.IN_PROGRESS: [ActivityStatus.IN_PROGRESS],
    ActivityStatus.SUBMITTED: [ActivityStatus.IN_PROGRESS, ActivityStatus.SUBMITTED],
    ActivityStatus.COMPLETED: [
        ActivityStatus.IN_PROGRESS,
        ActivityStatus.SUBMITTED,
        ActivityStatus.COMPLETED,
    ],
    ActivityStatus.RETURNED: [
        ActivityStatus.IN_PROGRESS,
        ActivityStatus.SUBMITTED,
        ActivityStatus.RETURNED,
    ],
    ActivityStatus.WAIVED: [ActivityStatus.WAIVED],
}
AUDIT_ACTIONS = [
    ("case.viewed", "case"),
    ("conversation.viewed", "conversation"),
    ("message.sent", "message"),
    ("assessment.viewed", "assessment_version"),
    ("plan.viewed", "plan_version"),
    ("activities.viewed", "case"),
    ("activity.status_changed", "activity"),
    ("evidence.viewed", "submission"),
    ("check_in.viewed", "check_in"),
    ("auth.login", "user"),
]
SPECIALTIES = (
    "Family medicine", "Emergency medicine", "Obstetrics and gynaecology", "General surgery",
    "Anaesthesiology", "Psychiatry", "Internal medicine", "Radiology",
)  # fmt: skip
SENTENCES = (
    "Thank you for the summary of our last call; I have read the module on disclosure.",
    "Could we move the next check-in to a Thursday afternoon? Clinic runs late on Mondays.",
    "I attached the certificate for the documentation workshop I attended last week.",
    "Merci pour vos commentaires sur mon plan; je vais commencer le cours en ligne.",
    "Following up on the practice audit: the results are better than expected.",
    "Please see the reading list for the communication goal; two are short articles.",
)


def _pick(rng: random.Random, mix: list) -> object:
    return rng.choices([value for value, _ in mix], weights=[weight for _, weight in mix])[0]


class Writer:
    """Buffers rows per table and writes them in dependency order, about a batch at a time."""

    def __init__(self, connection: sa.Connection):
        self.connection = connection
        self.rows: dict[sa.Table, list[dict]] = {}
        self.buffered = 0
        self.written = 0
        self.next_ids: dict[sa.Table, int] = {}

    def new_id(self, model) -> int:
        table = model.__table__
        value = self.next_ids.get(table, 1)
        self.next_ids[table] = value + 1
        return value

    def add(self, model, **row) -> dict:
        self.rows.setdefault(model.__table__, []).append(row)
        self.buffered += 1
        return row

    def flush_if_full(self) -> None:
        """Called between cases only: a case's rows are changed until it is complete."""
        if self.buffered >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        for table in db.metadata.sorted_tables:
            rows = self.rows.pop(table, None)
            if rows:
                if self.connection.dialect.name == "postgresql":
                    self._copy(table, rows)
                else:
                    self.connection.execute(table.insert(), rows)
                self.written += len(rows)
        self.buffered = 0

    def _copy(self, table: sa.Table, rows: list[dict]) -> None:
        """PostgreSQL's COPY, several times faster than INSERT; each value goes through its
        column type's own bind processing (UTC datetimes, enum values), as an INSERT would."""
        dialect = self.connection.dialect
        columns = list(rows[0])
        processors = [table.c[name].type.bind_processor(dialect) for name in columns]
        names = ", ".join(f'"{name}"' for name in columns)
        cursor = self.connection.connection.driver_connection.cursor()
        with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(
                    [
                        value if process is None or value is None else process(value)
                        for value, process in zip(row.values(), processors, strict=True)
                    ]
                )


def _counts(total: int, parts: int, rng: random.Random) -> list[int]:
    """`total` split into `parts` positive counts that vary around the mean."""
    if parts <= 0:
        return []
    weights = [rng.uniform(0.5, 1.5) for _ in range(parts)]
    scale = total / sum(weights)
    counts = [max(1, round(w * scale)) for w in weights]
    counts[-1] = max(1, counts[-1] + total - sum(counts))
    return counts


class Loader:
    def __init__(self, writer: Writer, size: Size, *, seed: int = 2026):
        self.w = writer
        self.size = size
        self.rng = random.Random(seed)
        self.now = clock.now().replace(microsecond=0)
        self.password_hash = hash_password(BENCH_PASSWORD)
        self.staff_ids: list[int] = []
        self.admin_ids: list[int] = []

    # --- accounts ---------------------------------------------------------------------------

    def _user(self, *, email: str, name: str, role: Role, created: datetime, zone=None) -> int:
        user_id = self.w.new_id(User)
        self.w.add(
            User,
            id=user_id,
            email=email,
            name=name,
            role=role,
            password_hash=self.password_hash,
            language="fr" if user_id % 4 == 0 else "en",
            time_zone=zone,
            active=True,
            created_at=created,
            password_changed_at=created,
            two_factor_enabled_at=created if role is not Role.MEMBER else None,
        )
        if role is not Role.MEMBER:
            self.w.add(
                TotpCredential,
                user_id=user_id,
                secret=current_app.config["DEMO_TOTP_SECRET"],
                last_used_step=None,
                created_at=created,
            )
        return user_id

    def staff(self) -> None:
        start = self.now - timedelta(days=6 * 365)
        for n in range(1, self.size.staff + 1):
            self.staff_ids.append(
                self._user(
                    email=f"staff{n}@bench.example.org",
                    name=f"Dr. Staff {n}",
                    role=Role.STAFF,
                    created=start,
                )
            )
        for n in range(1, self.size.admins + 1):
            self.admin_ids.append(
                self._user(
                    email=f"admin{n}@bench.example.org",
                    name=f"Admin {n}",
                    role=Role.ADMIN,
                    created=start,
                )
            )

    # --- one case and everything in it ------------------------------------------------------

    def case(self, n: int, *, conversations: list[int], activities: int) -> None:
        rng = self.rng
        showcase = n == 1
        stage = Stage.ONGOING_SUPPORT if showcase else _pick(rng, STAGE_MIX)
        lead = self.staff_ids[0] if showcase else self.staff_ids[n % len(self.staff_ids)]
        referred = self.now - timedelta(
            days=rng.randint(200, 5 * 365), minutes=rng.randint(0, 1440)
        )
        province = PROVINCES[n % len(PROVINCES)]
        member = self._user(
            email=f"member{n}@bench.example.org",
            name=f"Dr. Member {n}",
            role=Role.MEMBER,
            created=referred,
            zone=PROVINCE_TIME_ZONES[province],
        )
        self.w.add(
            MemberProfile,
            user_id=member,
            member_number=f"B-{n:07d}",
            specialty=SPECIALTIES[n % len(SPECIALTIES)],
            province=province,
        )
        case_id = self.w.new_id(Case)
        case = self.w.add(
            Case,
            id=case_id,
            member_id=member,
            lead_advisor_id=lead,
            referred_by_id=lead,
            stage=stage,
            referral_reason="Matters above peers in the same type of work over the last years.",
            referred_at=referred,
            last_activity_at=referred,
            last_contact_at=None,
            closed_at=None,
            closed_by_id=None,
            closing_summary=None,
        )
        team = []
        if rng.random() < 0.3 or showcase:
            other = self.staff_ids[(n + 7) % len(self.staff_ids)]
            if other != lead:
                team.append(other)
                self.w.add(CaseTeamMember, case_id=case_id, staff_id=other, added_at=referred)

        reached = [s for s in list(Stage)[: list(Stage).index(stage) + 1]]
        span = (self.now - referred) / (len(reached) + 1)
        previous = None
        for i, to_stage in enumerate(reached):
            at = referred + span * i
            note = None
            if to_stage is Stage.CLOSED:
                note = "We completed the plan together; thank you for your engagement."
                case.update(closed_at=at, closed_by_id=lead, closing_summary=note)
            self.w.add(
                StageChange,
                id=self.w.new_id(StageChange),
                case_id=case_id,
                from_stage=previous,
                to_stage=to_stage,
                changed_by_id=lead,
                changed_at=at,
                note=note,
            )
            previous = to_stage
        case["last_activity_at"] = referred + span * (len(reached) - 1)

        ctx = _CaseContext(case_id, member, lead, team, referred, span, stage)
        if stage is not Stage.REFERRED:
            self._assessment(ctx, showcase)
        if stage in (Stage.PLANNING, Stage.ONGOING_SUPPORT, Stage.CLOSED):
            self._plan(ctx, activities, showcase)
        last_contact = self._conversations(ctx, conversations)
        if stage in (Stage.ONGOING_SUPPORT, Stage.CLOSED):
            self._check_ins(ctx)
        case["last_contact_at"] = last_contact

    def _assessment(self, ctx: _CaseContext, showcase: bool) -> None:
        released = ctx.stage is not Stage.ASSESSMENT or self.rng.random() < 0.5
        at = ctx.referred + ctx.span
        numbers = [1, 2] if showcase else [1]
        for number in numbers:
            version_id = self.w.new_id(AssessmentVersion)
            self.w.add(
                AssessmentVersion,
                id=version_id,
                case_id=ctx.case_id,
                number=number if released else None,
                status=VersionStatus.RELEASED if released else VersionStatus.DRAFT,
                period_start_year=at.year - 10,
                period_end_year=at.year - 1,
                member_rate=Decimal("0.80"),
                peer_rate=Decimal("0.25"),
                narrative="Four matters in six years; communication at discharge recurs.",
                change_note="Corrected the 2019 count." if number > 1 else None,
                created_at=at,
                created_by_id=ctx.lead,
                updated_at=at,
                released_at=at if released else None,
                released_by_id=ctx.lead if released else None,
            )
            for year in range(at.year - 10, at.year):
                if (year + ctx.case_id) % 3 == 0:
                    self.w.add(
                        HistoryEntry,
                        id=self.w.new_id(HistoryEntry),
                        version_id=version_id,
                        year=year,
                        kind=list(MatterKind)[year % 3],
                        count=1 + year % 2,
                    )
            for position in range(3):
                self.w.add(
                    Factor,
                    id=self.w.new_id(Factor),
                    version_id=version_id,
                    key=f"f{position + 1}",
                    position=position,
                    category=list(FactorCategory)[(ctx.case_id + position) % 6],
                    description="Explanations of risks and follow-up instructions were brief.",
                    priority=list(Priority)[position],
                )
            if not released:
                return
            self.w.add(
                Acknowledgement, version_id=version_id, member_id=ctx.member, acknowledged_at=at
            )
            for key, position in (("f1", Position.AGREE_WITH_CONTEXT), (None, None)):
                self.w.add(
                    PerspectiveEntry,
                    id=self.w.new_id(PerspectiveEntry),
                    case_id=ctx.case_id,
                    version_id=version_id,
                    factor_key=key,
                    position=position,
                    comment="Those were nights with a full waiting room and no scribe.",
                    author_id=ctx.member,
                    created_at=at + timedelta(days=3),
                )

    def _plan(self, ctx: _CaseContext, activities: int, showcase: bool) -> None:
        rng = self.rng
        active = ctx.stage is not Stage.PLANNING
        shared_at = ctx.referred + ctx.span * 2
        versions = [PlanStatus.SUPERSEDED, PlanStatus.ACTIVE] if showcase else []
        versions = versions or [PlanStatus.ACTIVE if active else PlanStatus.SHARED]
        goals_count = 3
        per_goal = _counts(activities, goals_count, rng)
        for number, status in enumerate(versions, start=1):
            version_id = self.w.new_id(PlanVersion)
            signed = status is PlanStatus.ACTIVE or (showcase and number == 1)
            self.w.add(
                PlanVersion,
                id=version_id,
                case_id=ctx.case_id,
                number=number,
                status=status,
                change_note="Added a coaching session." if number > 1 else None,
                created_at=shared_at,
                created_by_id=ctx.lead,
                shared_at=shared_at,
                shared_by_id=ctx.lead,
                member_agreed_at=shared_at + timedelta(days=5) if signed else None,
                member_agreed_by_id=ctx.member if signed else None,
                approved_at=shared_at + timedelta(days=6) if signed else None,
                approved_by_id=ctx.lead if signed else None,
                activated_at=shared_at + timedelta(days=6) if signed else None,
            )
            self.w.add(
                PlanInput,
                id=self.w.new_id(PlanInput),
                case_id=ctx.case_id,
                version_id=version_id,
                author_id=ctx.member,
                created_at=shared_at + timedelta(days=2),
                learning_preferences="online,coaching",
                availability="Evenings, and Friday afternoons.",
                own_goals="Clearer discharge conversations.",
                suggested_activities=None,
                target_key=None,
                comment=None,
            )
            key = 0
            for g, count in enumerate(per_goal):
                goal_id = self.w.new_id(Goal)
                self.w.add(
                    Goal,
                    id=goal_id,
                    version_id=version_id,
                    key=f"g{g + 1}",
                    position=g,
                    title=f"Goal {g + 1}: safer communication at transitions of care",
                    description="",
                )
                self.w.add(GoalFactor, goal_id=goal_id, factor_key=f"f{g + 1}")
                for position in range(count):
                    key += 1
                    due = (shared_at + timedelta(days=30 + 20 * position)).date()
                    self.w.add(
                        PlannedActivity,
                        id=self.w.new_id(PlannedActivity),
                        goal_id=goal_id,
                        key=f"a{key}",
                        position=position,
                        title=f"Activity {key}: disclosure of adverse events (e-learning)",
                        kind=list(ActivityKind)[key % len(ActivityKind)],
                        provider="MSP",
                        url="",
                        estimated_hours=Decimal("2.0"),
                        due_date=due,
                        required=key % 5 != 0,
                    )
                    if status is PlanStatus.ACTIVE:
                        self._progress(ctx, f"a{key}", shared_at, due, showcase)

    def _progress(self, ctx, key: str, start: datetime, due: date, showcase: bool) -> None:
        status = _pick(self.rng, STATUS_MIX)
        if showcase and key in ("a1", "a2", "a3", "a4", "a5", "a6"):
            status = list(ActivityStatus)[int(key[1:]) - 1]  # every status on the showcase
        if status is ActivityStatus.NOT_STARTED:
            return
        at = start + timedelta(days=7)
        previous = ActivityStatus.NOT_STARTED
        for step in STATUS_PATH[status]:
            at = min(at + timedelta(days=self.rng.randint(1, 20)), self.now)
            staff_step = step in (
                ActivityStatus.COMPLETED,
                ActivityStatus.RETURNED,
                ActivityStatus.WAIVED,
            )
            self.w.add(
                StatusChange,
                id=self.w.new_id(StatusChange),
                case_id=ctx.case_id,
                activity_key=key,
                from_status=previous,
                to_status=step,
                changed_by_id=ctx.lead if staff_step else ctx.member,
                changed_at=at,
                comment="Please add the certificate." if step is ActivityStatus.RETURNED else None,
            )
            if step is ActivityStatus.SUBMITTED:
                file_id = self.w.new_id(StoredFile)
                self.w.add(
                    StoredFile,
                    id=file_id,
                    storage_name=f"bench-{file_id:012d}",
                    original_name="certificate.pdf",
                    content_type="application/pdf",
                    size_bytes=48_213,
                    sha256="0" * 64,
                    uploaded_by_id=ctx.member,
                    uploaded_at=at,
                )
                self.w.add(
                    Submission,
                    id=self.w.new_id(Submission),
                    case_id=ctx.case_id,
                    activity_key=key,
                    file_id=file_id,
                    learned="How to structure a disclosure conversation.",
                    practice_change="I now book a follow-up call after each disclosure.",
                    submitted_by_id=ctx.member,
                    submitted_at=at,
                )
            previous = step
        self.w.add(
            ActivityProgress,
            id=self.w.new_id(ActivityProgress),
            case_id=ctx.case_id,
            activity_key=key,
            status=status,
            changed_at=at,
            completed_at=at if status is ActivityStatus.COMPLETED else None,
        )

    def _conversations(self, ctx: _CaseContext, counts: list[int]) -> datetime | None:
        rng = self.rng
        last_contact = None
        for c, count in enumerate(counts):
            conversation_id = self.w.new_id(Conversation)
            started = ctx.referred + timedelta(days=rng.randint(0, 60), hours=c)
            end = self.now - timedelta(hours=rng.randint(1, 24 * 120))
            step = max((end - started) / max(count, 1), timedelta(seconds=30))
            conversation = self.w.add(
                Conversation,
                id=conversation_id,
                case_id=ctx.case_id,
                subject=f"About my plan ({c + 1})",
                started_by_id=ctx.member,
                created_at=started,
                last_message_at=started,
                assigned_to_id=ctx.lead if c % 2 == 0 else None,
                awaiting_reply_since=None,
                reply_due_at=None,
                last_member_message_id=None,
                last_staff_message_id=None,
            )
            # The last one or two messages are the member's in a third of conversations: awaiting
            # an answer, some overdue, unseen by the team and unread by the lead.
            awaiting = c % 3 == 0
            first_unread = None
            at = started
            message_id = None
            waiting_since = None  # each reply keeps when the wait it answers began
            for m in range(count):
                at = started + step * m
                if awaiting and m >= count - 1:
                    kind = MessageKind.MEMBER
                elif m % 10 == 9:
                    kind = MessageKind.NOTE
                else:
                    kind = MessageKind.MEMBER if m % 2 == 0 else MessageKind.STAFF
                message_id = self.w.new_id(Message)
                unseen = kind is MessageKind.MEMBER and m >= count - 2
                wait_started_at = None
                if kind is MessageKind.MEMBER and waiting_since is None:
                    waiting_since = at
                elif kind is MessageKind.STAFF:
                    wait_started_at, waiting_since = waiting_since, None
                self.w.add(
                    Message,
                    id=message_id,
                    conversation_id=conversation_id,
                    author_id=ctx.member if kind is MessageKind.MEMBER else ctx.lead,
                    kind=kind,
                    body=SENTENCES[(m + conversation_id) % len(SENTENCES)],
                    created_at=at,
                    seen_by_team_at=(
                        None if kind is not MessageKind.MEMBER or unseen else at + step / 2
                    ),
                    wait_started_at=wait_started_at,
                )
                if m == max(0, count - 3):
                    first_unread = message_id
                if kind is not MessageKind.NOTE:
                    conversation[f"last_{kind.value}_message_id"] = message_id
            conversation["last_message_at"] = at
            if awaiting:
                conversation["awaiting_reply_since"] = at
                conversation["reply_due_at"] = at + timedelta(days=2)
            last_contact = at if last_contact is None else max(last_contact, at)
            for reader, upto in ((ctx.member, message_id), (ctx.lead, first_unread)):
                self.w.add(
                    ConversationRead,
                    conversation_id=conversation_id,
                    user_id=reader,
                    last_read_message_id=upto,
                    read_at=at,
                )
        return last_contact

    def _check_ins(self, ctx: _CaseContext) -> None:
        start = ctx.referred + ctx.span * 3
        plan = [
            (start, CheckInStatus.HELD),
            (start + timedelta(weeks=6), CheckInStatus.MISSED),
        ]
        if ctx.stage is Stage.ONGOING_SUPPORT:
            plan.append((self.now + timedelta(days=3 + ctx.case_id % 40), CheckInStatus.SCHEDULED))
        for at, status in plan:
            check_in_id = self.w.new_id(CheckIn)
            done = status is not CheckInStatus.SCHEDULED
            self.w.add(
                CheckIn,
                id=check_in_id,
                case_id=ctx.case_id,
                scheduled_at=at.replace(minute=0, second=0),
                duration_minutes=30,
                time_zone="America/Toronto",
                mode=list(CheckInMode)[check_in_id % 3],
                agenda="Progress on the plan; the practice audit results.",
                cadence_weeks=6,
                status=status,
                calendar_uid=f"bench-check-in-{check_in_id}@msp-portal.example.org",
                calendar_sequence=0,
                scheduled_by_id=ctx.lead,
                created_at=at - timedelta(days=14),
                reminded_at=at - timedelta(days=1) if done else None,
                cancelled_at=None,
                outcome_recorded_at=at + timedelta(hours=1) if done else None,
                outcome_recorded_by_id=ctx.lead if done else None,
                internal_notes="Engaged; follow up on the audit." if done else None,
                member_summary="We reviewed your progress."
                if status is CheckInStatus.HELD
                else None,
                plan_change=None,
            )

    # --- the audit trail --------------------------------------------------------------------

    def audit(self, count: int, cases: list[tuple[int, int, int]], tick: Callable[[int], None]):
        """`count` events over five years, in time order (ids grow with time, as in life)."""
        rng = self.rng
        start = self.now - timedelta(days=5 * 365)
        span = (self.now - start).total_seconds()
        for i in range(count):
            case_id, member, lead = cases[rng.randrange(len(cases))]
            action, object_type = AUDIT_ACTIONS[i % len(AUDIT_ACTIONS)]
            by_member = i % 3 == 0
            actor = member if by_member else lead
            self.w.add(
                AuditEvent,
                id=self.w.new_id(AuditEvent),
                occurred_at=start + timedelta(seconds=span * i / count + rng.random()),
                actor_id=actor,
                actor_role="member" if by_member else "staff",
                action=action,
                object_type=object_type,
                object_id=case_id,
                case_id=None if action == "auth.login" else case_id,
                ip_address="203.0.113.7",
                outcome=Outcome.SUCCESS if i % 97 else Outcome.DENIED,
                detail=None,
            )
            if i % 10_000 == 9_999:
                self.w.flush_if_full()
                tick(10_000)


@dataclass
class _CaseContext:
    case_id: int
    member: int
    lead: int
    team: list[int]
    referred: datetime
    span: timedelta
    stage: Stage


def is_empty() -> bool:
    return db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def load(size: Size, progress: Callable[[str, int], object]) -> dict[str, int]:
    """Load `size` into the (empty, migrated) database. `progress(label, length)` returns a
    click-style progress bar (a context manager with `update(n)`)."""
    connection = db.session.connection()
    writer = Writer(connection)
    loader = Loader(writer, size)
    rng = random.Random(7)
    loader.staff()

    conversations_per_case = _counts(size.conversations, size.cases, rng)
    other_messages = size.messages - size.big_conversation
    other_conversations = size.conversations - 1
    # Messages of every conversation but the showcase member's big one.
    message_counts = iter(_counts(other_messages, other_conversations, rng))
    plan_cases = round(size.cases * 0.75)
    activity_counts = _counts(size.activities, plan_cases, rng)
    with progress("cases, plans, activities, messages", size.cases) as bar:
        for n in range(1, size.cases + 1):
            big = [size.big_conversation] if n == 1 else []
            others = conversations_per_case[n - 1] - len(big)
            counts = big + [next(message_counts, 1) for _ in range(others)]
            loader.case(n, conversations=counts, activities=activity_counts[(n - 1) % plan_cases])
            writer.flush_if_full()
            bar.update(1)
        writer.flush()
    # The audit events' actors: each case's member and lead, read back in one query.
    rows = connection.execute(sa.select(Case.id, Case.member_id, Case.lead_advisor_id)).all()
    case_refs = [tuple(row) for row in rows]
    with progress("audit events", size.audit_events) as bar:
        loader.audit(size.audit_events, case_refs, bar.update)
        writer.flush()
    _finish(connection)
    return {table.name: next_id - 1 for table, next_id in writer.next_ids.items()} | {
        "rows": writer.written
    }


def _finish(connection: sa.Connection) -> None:
    """Sequences past the ids chosen here (PostgreSQL), and fresh planner statistics."""
    if connection.dialect.name == "postgresql":
        for table in db.metadata.sorted_tables:
            if "id" in table.c and table.c.id.primary_key and table.c.id.autoincrement:
                last = sa.select(sa.func.max(table.c.id)).scalar_subquery()
                sequence = sa.func.pg_get_serial_sequence(table.name, "id")
                connection.execute(
                    sa.select(sa.func.setval(sequence, sa.func.coalesce(last, 0) + 1, False))
                )
    connection.execute(sa.text("ANALYZE"))
