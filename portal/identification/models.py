"""Program step 1, identification: the mutual's register (members and their medical-legal
matters), the screening runs computed from it, and the advisors' decisions.

The register is the mutual's whole membership, not the portal's accounts: a register member gets
an account only when an advisor refers them (the case's MemberProfile has the same member number).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from flask_babel import gettext as _
from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.assessment.models import MatterKind
from portal.auth.models import User
from portal.cases.models import TypeOfWork
from portal.db_types import UTCDateTime, str_enum, utcnow
from portal.extensions import db


class RegisterMember(db.Model):
    __tablename__ = "register_members"
    __table_args__ = (Index("ix_register_members_type_of_work_id", "type_of_work_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_number: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(2))
    type_of_work_id: Mapped[int] = mapped_column(ForeignKey("types_of_work.id"))
    province: Mapped[str] = mapped_column(String(2))
    member_since: Mapped[date] = mapped_column(Date)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # When a matter of theirs last arrived in the register: a decided member comes back to the
    # screening queue only after this moves past the decision.
    last_matter_added_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    type_of_work: Mapped[TypeOfWork] = relationship()


class Matter(db.Model):
    """One medical-legal matter in the register. The assessment's history is counted from these."""

    __tablename__ = "register_matters"
    __table_args__ = (Index("ix_register_matters_member_id_opened_on", "member_id", "opened_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    matter_number: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[MatterKind] = mapped_column(str_enum(MatterKind, "kind"))
    member_id: Mapped[int] = mapped_column(ForeignKey("register_members.id"))
    opened_on: Mapped[date] = mapped_column(Date)
    factors: Mapped[str] = mapped_column(String(500), default="")  # codes separated by ;
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ImportOutcome(StrEnum):
    IMPORTED = "imported"
    REFUSED = "refused"


class RegisterImport(db.Model):
    """One import of the register's files, kept whether it was imported or refused (with its
    errors), so that the page after the upload and the audit trail can say what happened."""

    __tablename__ = "register_imports"
    __table_args__ = (Index("ix_register_imports_started_at", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    outcome: Mapped[ImportOutcome] = mapped_column(str_enum(ImportOutcome, "outcome"))
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    source: Mapped[str] = mapped_column(String(8))  # "web" or "cli"
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    members_filename: Mapped[str | None] = mapped_column(String(255))
    members_sha256: Mapped[str | None] = mapped_column(String(64))
    matters_filename: Mapped[str | None] = mapped_column(String(255))
    matters_sha256: Mapped[str | None] = mapped_column(String(64))
    # {"members": {"new": n, "changed": n, "unchanged": n}, "matters": {...}}
    counts: Mapped[dict] = mapped_column(JSON, default=dict)
    error_count: Mapped[int] = mapped_column(default=0)
    # The first errors (IMPORT_ERRORS_KEPT): [{"file", "line", "column", "code", "value"}]
    errors: Mapped[list] = mapped_column(JSON, default=list)

    by: Mapped[User | None] = relationship()


class ScreeningRun(db.Model):
    """One screening of the whole register on a date. Stored as computed and never changed: the
    parameters, the peer groups' figures and the recurrence model's fit and back-test."""

    __tablename__ = "screening_runs"
    __table_args__ = (Index("ix_screening_runs_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    screening_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    trigger: Mapped[str] = mapped_column(String(16))  # import, nightly, manual, demo
    parameters: Mapped[dict] = mapped_column(JSON)
    member_count: Mapped[int]
    matter_count: Mapped[int]
    flagged_count: Mapped[int]
    # {type_of_work_id: {"members", "exposure", "observed": {kind: n}, "rates": {kind: r},
    #  "frailty_variance"}}; JSON keys are strings.
    peer_groups: Mapped[dict] = mapped_column(JSON)
    # {"features", "coefficients", "intercept", "auc", "fitted_on", "train", "test", ...}
    model: Mapped[dict] = mapped_column(JSON)
    duration_ms: Mapped[int]

    created_by: Mapped[User | None] = relationship()


class Limit(StrEnum):
    """The funnel-plot limit a member's count lies above."""

    P95 = "95"
    P998 = "99.8"


class ScreeningResult(db.Model):
    """A flagged member's figures in one run. Only flagged members are kept: a profile's figures
    for anyone else are computed from the run's peer groups on the spot."""

    __tablename__ = "screening_results"
    __table_args__ = (Index("ix_screening_results_run_id_rank", "run_id", "rank"),)

    run_id: Mapped[int] = mapped_column(ForeignKey("screening_runs.id"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("register_members.id"), primary_key=True)
    rank: Mapped[int]
    observed: Mapped[int]
    expected: Mapped[float] = mapped_column(Float)
    ratio: Mapped[float] = mapped_column(Float)
    shrunken_ratio: Mapped[float] = mapped_column(Float)
    probability_above_2: Mapped[float] = mapped_column(Float)
    limit_crossed: Mapped[Limit | None] = mapped_column(str_enum(Limit, "limit_crossed"))
    recent_observed: Mapped[int]
    rising: Mapped[bool] = mapped_column(Boolean)
    rising_p: Mapped[float | None] = mapped_column(Float)
    high: Mapped[bool] = mapped_column(Boolean)  # P(true ratio > 2) at or above the threshold
    score: Mapped[float | None] = mapped_column(Float)

    member: Mapped[RegisterMember] = relationship()


class Decision(StrEnum):
    REFER = "refer"
    WATCH = "watch"
    NOT_NOW = "not_now"

    @property
    def label(self) -> str:
        if self is Decision.REFER:
            return _("Referred")
        if self is Decision.WATCH:
            return _("Watch")
        return _("Not now")


class ScreeningDecision(db.Model):
    """An advisor's decision on a screened member, with the figures it was based on. Appended:
    a later decision supersedes, never overwrites."""

    __tablename__ = "screening_decisions"
    __table_args__ = (
        Index("ix_screening_decisions_member_id_decided_at", "member_id", "decided_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("register_members.id"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("screening_runs.id"))
    decision: Mapped[Decision] = mapped_column(str_enum(Decision, "decision"))
    reason: Mapped[str] = mapped_column(Text)
    review_on: Mapped[date | None] = mapped_column(Date)  # Watch: back in the queue on this date
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))  # Refer: the new case
    figures: Mapped[dict] = mapped_column(JSON)
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    decided_by: Mapped[User] = relationship()
