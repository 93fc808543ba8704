"""Everything the portal holds about a member that the member may see, gathered for the archive
they download (the right of access under Canadian privacy law).

Each kind of record is read through the function the member's own page uses, or with that
feature's own visibility rule (`assessment.services.released_versions`,
`plan.services.shared_versions`, `messaging.services.visible_kinds`, …): the archive never shows
more than the portal does — no draft, no internal note, nothing of another member. Each kind costs
one query (or a fixed few), whatever the number of records. Functions add to the session; the
caller commits.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from portal import clock
from portal.activities import services as activities
from portal.activities.models import ActivityStatus, StatusChange, Submission
from portal.assessment import services as assessment
from portal.assessment.models import Acknowledgement, AssessmentVersion, Factor, PerspectiveEntry
from portal.audit.models import AuditEvent
from portal.audit.services import record
from portal.auth.models import User
from portal.cases import services as cases
from portal.cases.models import Case, MemberProfile, StageChange
from portal.checkins import services as checkins
from portal.checkins.models import CheckIn
from portal.extensions import db
from portal.messaging import services as messaging
from portal.messaging.models import Conversation, Message, MessageAttachment
from portal.notifications.models import Frequency
from portal.notifications.services import frequency_for
from portal.plan import services as plan
from portal.plan.models import Goal, PlanInput, PlannedActivity, PlanStatus, PlanVersion
from portal.uploads.models import StoredFile
from portal.uploads.services import EXTENSIONS, sanitise_filename, upload_dir

EVIDENCE_FOLDER = "evidence"
ATTACHMENTS_FOLDER = "attachments"


@dataclass
class ArchivedFile:
    """A stored file and its path in the archive; `missing` when storage no longer has it."""

    stored: StoredFile
    path: str
    missing: bool = False


@dataclass
class ActivityRecord:
    """One activity of the member's plan with everything recorded on it."""

    key: str
    activity: PlannedActivity | None  # as the latest plan version that has it describes it
    in_active_plan: bool
    status: ActivityStatus
    history: list[StatusChange]  # oldest first
    submissions: list[Submission]  # oldest first


@dataclass
class ConversationRecord:
    conversation: Conversation
    messages: list[Message]  # what the member sees (never internal notes), oldest first


@dataclass
class MemberData:
    member: User
    generated_at: datetime
    profile: MemberProfile | None
    email_frequency: Frequency
    case: Case | None
    stage_changes: list[StageChange] = field(default_factory=list)
    assessments: list[AssessmentVersion] = field(default_factory=list)  # released, oldest first
    acknowledged: dict[int, datetime] = field(default_factory=dict)  # version id → when
    perspectives: list[PerspectiveEntry] = field(default_factory=list)
    factors: dict[str, Factor] = field(default_factory=dict)  # key → latest released wording
    plans: list[PlanVersion] = field(default_factory=list)  # shown to the member, oldest first
    plan_inputs: list[PlanInput] = field(default_factory=list)
    activities: list[ActivityRecord] = field(default_factory=list)
    conversations: list[ConversationRecord] = field(default_factory=list)
    check_ins: list[CheckIn] = field(default_factory=list)
    views: list[AuditEvent] = field(default_factory=list)  # the member's view log
    viewer_names: dict[int, str] = field(default_factory=dict)
    files: dict[int, ArchivedFile] = field(default_factory=dict)  # stored file id → place

    @property
    def plan_items(self) -> dict[str, str]:
        """Goal and activity key → title (latest wording), for input on an item."""
        titles: dict[str, str] = {}
        for version in self.plans:
            for goal in version.goals:
                titles[goal.key] = goal.title
                for activity in goal.activities:
                    titles[activity.key] = activity.title
        return titles


def collect(member: User) -> MemberData:
    """Everything `member` may see of their own records, each kind in a fixed number of
    queries."""
    case = cases.current_case_of(member)
    data = MemberData(
        member=member,
        generated_at=clock.now(),
        profile=cases.profile_of(member),
        email_frequency=frequency_for(member),
        case=case,
    )
    if case is None:
        return data
    data.stage_changes = list(case.stage_changes)
    data.assessments = _released_assessments(case)
    data.acknowledged = _acknowledged(data.assessments)
    data.factors = {f.key: f for version in data.assessments for f in version.factors}
    data.perspectives = assessment.perspectives_of(case)
    data.plans = _shared_plans(case)
    data.plan_inputs = plan.inputs_of(case)
    data.activities = _activities(case, data.plans)
    data.conversations = _conversations(member)
    data.check_ins = checkins.check_ins_of(case)
    data.views = list(db.session.scalars(cases.view_log_query(case)))
    data.viewer_names = cases.actor_names(data.views)
    data.files = _place_files(data)
    return data


def record_export(data: MemberData) -> None:
    """The member downloaded their archive: a read of their whole file, audited."""
    record(
        "privacy.archive_downloaded",
        actor=data.member,
        object_type="user",
        object_id=data.member.id,
        case_id=data.case.id if data.case else None,
        detail=f"{len(data.files)} files",
    )


# --- Each kind of record ---------------------------------------------------------------------


def _released_assessments(case: Case) -> list[AssessmentVersion]:
    """Every released version (the assessment feature decides which), with its content."""
    ids = [version.id for version in assessment.released_versions(case)]
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(AssessmentVersion)
            .where(AssessmentVersion.id.in_(ids))
            .options(
                selectinload(AssessmentVersion.history),
                selectinload(AssessmentVersion.factors),
                joinedload(AssessmentVersion.released_by),
            )
            .order_by(AssessmentVersion.number)
        )
    )


def _acknowledged(versions: list[AssessmentVersion]) -> dict[int, datetime]:
    if not versions:
        return {}
    rows = db.session.scalars(
        select(Acknowledgement).where(Acknowledgement.version_id.in_([v.id for v in versions]))
    )
    return {row.version_id: row.acknowledged_at for row in rows}


def _shared_plans(case: Case) -> list[PlanVersion]:
    """Every version the member has been shown (the plan feature decides which), with content."""
    ids = [version.id for version in plan.shared_versions(case)]
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(PlanVersion)
            .where(PlanVersion.id.in_(ids))
            .options(
                selectinload(PlanVersion.goals).options(
                    selectinload(Goal.factor_links), selectinload(Goal.activities)
                ),
                joinedload(PlanVersion.member_agreed_by),
                joinedload(PlanVersion.approved_by),
            )
            .order_by(PlanVersion.number)
        )
    )


def _by_key(rows) -> dict[str, list]:
    grouped: dict[str, list] = defaultdict(list)
    for row in rows:
        grouped[row.activity_key].append(row)
    return grouped


def _activities(case: Case, plans: list[PlanVersion]) -> list[ActivityRecord]:
    """The active plan's activities in its order, then any activity of an earlier version that
    has a status, history or evidence of its own."""
    described: dict[str, PlannedActivity] = {}
    for version in plans:  # oldest first: the latest wording wins
        for goal in version.goals:
            for activity in goal.activities:
                described[activity.key] = activity
    active = next((v for v in plans if v.status is PlanStatus.ACTIVE), None)
    active_keys = [a.key for g in active.goals for a in g.activities] if active else []
    progress = activities.progress_by_key(case)
    history = _by_key(
        db.session.scalars(
            select(StatusChange)
            .where(StatusChange.case_id == case.id)
            .options(joinedload(StatusChange.changed_by))
            .order_by(StatusChange.changed_at, StatusChange.id)
        )
    )
    submissions = _by_key(
        db.session.scalars(
            select(Submission)
            .where(Submission.case_id == case.id)
            .options(joinedload(Submission.file))
            .order_by(Submission.submitted_at, Submission.id)
        )
    )
    recorded = set(progress) | set(history) | set(submissions)
    earlier = [key for key in described if key in recorded and key not in active_keys]
    earlier += sorted(recorded - set(described))
    return [
        ActivityRecord(
            key=key,
            activity=described.get(key),
            in_active_plan=key in active_keys,
            status=progress[key].status if key in progress else ActivityStatus.NOT_STARTED,
            history=history.get(key, []),
            submissions=submissions.get(key, []),
        )
        for key in active_keys + earlier
    ]


def _conversations(member: User) -> list[ConversationRecord]:
    """The member's conversations (as their Messages page lists them) and every message of them
    the member may see, in two queries for all conversations."""
    conversations = list(db.session.scalars(messaging.member_conversations_query(member)))
    if not conversations:
        return []
    messages: dict[int, list[Message]] = defaultdict(list)
    for message in db.session.scalars(
        select(Message)
        .where(
            Message.conversation_id.in_([c.id for c in conversations]),
            Message.kind.in_(messaging.visible_kinds(member)),
        )
        .options(
            joinedload(Message.author),
            selectinload(Message.attachments).joinedload(MessageAttachment.file),
        )
        .order_by(Message.id)
    ):
        messages[message.conversation_id].append(message)
    return [ConversationRecord(c, messages.get(c.id, [])) for c in conversations]


# --- Files -----------------------------------------------------------------------------------

# Characters some systems refuse in file names, and the names Windows reserves.
_UNSAFE = re.compile(r'[<>:"/\\|?*]')
_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{n}" for n in range(1, 10)),
    *(f"LPT{n}" for n in range(1, 10)),
}


def archive_file_name(stored: StoredFile, taken: set[str]) -> str:
    """A name for `stored` in its archive folder: the uploader's name made safe on every system
    (no folders, no control or reserved characters), with the extension of what the file really
    is, and unique in the folder whatever the case of its letters ("report (2).pdf"). Adds the
    name to `taken`."""
    name = _UNSAFE.sub("_", sanitise_filename(stored.original_name))
    extensions = EXTENSIONS.get(stored.content_type, ("",))
    stem, extension = name, extensions[0]
    for known in extensions:
        if known and name.lower().endswith(known):
            stem, extension = name[: -len(known)], known
            break
    stem = stem.rstrip(" .") or "file"
    if stem.split(".")[0].upper() in _RESERVED:
        stem = "_" + stem
    name, number = stem + extension, 2
    while name.casefold() in taken:
        name, number = f"{stem} ({number}){extension}", number + 1
    taken.add(name.casefold())
    return name


def _place_files(data: MemberData) -> dict[int, ArchivedFile]:
    """Where each evidence file and attachment goes in the archive, and whether storage still
    has it (a stat per file; the bytes are read only when the archive is written)."""
    placed: dict[int, ArchivedFile] = {}
    taken: dict[str, set[str]] = {EVIDENCE_FOLDER: set(), ATTACHMENTS_FOLDER: set()}

    def place(stored: StoredFile, folder: str) -> None:
        if stored.id in placed:
            return
        path = f"{folder}/{archive_file_name(stored, taken[folder])}"
        missing = not (upload_dir() / stored.storage_name).is_file()
        placed[stored.id] = ArchivedFile(stored, path, missing)

    for item in data.activities:
        for submission in item.submissions:
            place(submission.file, EVIDENCE_FOLDER)
    for thread in data.conversations:
        for message in thread.messages:
            for attachment in message.attachments:
                place(attachment.file, ATTACHMENTS_FOLDER)
    return placed
