"""The assessment (program step 2): drafts private to staff, immutable released versions, and the
member's own perspective, appended and never overwritten."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.auth.models import User
from portal.db_types import UTCDateTime, str_enum, utcnow
from portal.extensions import db


class MatterKind(StrEnum):
    LEGAL_ACTION = "legal_action"
    COLLEGE_COMPLAINT = "college_complaint"
    HOSPITAL_MATTER = "hospital_matter"


class FactorCategory(StrEnum):
    COMMUNICATION = "communication"
    DOCUMENTATION = "documentation"
    PROFESSIONALISM = "professionalism"
    CLINICAL_KNOWLEDGE = "clinical_knowledge"
    OFFICE_SYSTEMS = "office_systems"
    WELLNESS = "wellness"
    OTHER = "other"


class Priority(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class VersionStatus(StrEnum):
    DRAFT = "draft"
    RELEASED = "released"


class Position(StrEnum):
    AGREE = "agree"
    AGREE_WITH_CONTEXT = "agree_with_context"
    DISAGREE = "disagree"


class AssessmentVersion(db.Model):
    """A draft (number is None) or a released version. Released versions are never changed: a
    correction is a new draft, released as the next number with a note of what changed."""

    __tablename__ = "assessment_versions"
    __table_args__ = (
        UniqueConstraint("case_id", "number", name="uq_assessment_versions_case_id_number"),
        Index("ix_assessment_versions_case_id_status", "case_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    number: Mapped[int | None]
    status: Mapped[VersionStatus] = mapped_column(
        str_enum(VersionStatus, "status"), default=VersionStatus.DRAFT
    )
    period_start_year: Mapped[int]
    period_end_year: Mapped[int]
    # Matters per year, the member's and their peers' in the same type of work.
    member_rate: Mapped[Decimal | None] = mapped_column(Numeric(8, 3))
    peer_rate: Mapped[Decimal | None] = mapped_column(Numeric(8, 3))
    # "register" when the history and rates were computed from the register at referral (staff
    # correct a computed figure only with a note, appended to figures_notes); None when typed.
    figures_source: Mapped[str | None] = mapped_column(String(16))
    figures_computed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    figures_notes: Mapped[str | None] = mapped_column(Text)
    narrative: Mapped[str] = mapped_column(Text, default="")
    change_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    released_by: Mapped[User | None] = relationship(foreign_keys=[released_by_id])
    history: Mapped[list[HistoryEntry]] = relationship(
        order_by="(HistoryEntry.year, HistoryEntry.kind)", cascade="all, delete-orphan"
    )
    factors: Mapped[list[Factor]] = relationship(
        order_by="Factor.position", cascade="all, delete-orphan"
    )

    @property
    def is_draft(self) -> bool:
        return self.status is VersionStatus.DRAFT


class HistoryEntry(db.Model):
    """How many matters of one kind the member had in one year."""

    __tablename__ = "assessment_history_entries"
    __table_args__ = (
        UniqueConstraint("version_id", "year", "kind", name="uq_assessment_history_entries_cell"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("assessment_versions.id"))
    year: Mapped[int]
    kind: Mapped[MatterKind] = mapped_column(str_enum(MatterKind, "kind"))
    count: Mapped[int]


class Factor(db.Model):
    """A contributing factor. `key` stays the same across versions, so the member's responses and
    the plan's goals follow a factor through corrections."""

    __tablename__ = "assessment_factors"
    __table_args__ = (Index("ix_assessment_factors_version_id", "version_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("assessment_versions.id"))
    key: Mapped[str] = mapped_column(String(32))
    position: Mapped[int]
    category: Mapped[FactorCategory] = mapped_column(str_enum(FactorCategory, "category"))
    description: Mapped[str] = mapped_column(Text)
    priority: Mapped[Priority] = mapped_column(str_enum(Priority, "priority"))


class PerspectiveEntry(db.Model):
    """One contribution of the member's perspective: on a factor (with a position) or overall
    (factor_key is None). Appended, never edited."""

    __tablename__ = "assessment_perspectives"
    __table_args__ = (
        Index("ix_assessment_perspectives_case_id_created_at", "case_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("assessment_versions.id"))
    factor_key: Mapped[str | None] = mapped_column(String(32))
    position: Mapped[Position | None] = mapped_column(str_enum(Position, "position"))
    comment: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    version: Mapped[AssessmentVersion] = relationship()


class Acknowledgement(db.Model):
    """The member has reviewed a released version."""

    __tablename__ = "assessment_acknowledgements"

    version_id: Mapped[int] = mapped_column(ForeignKey("assessment_versions.id"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    acknowledged_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
