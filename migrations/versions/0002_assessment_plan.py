"""Assessment (drafts, released versions, history, factors, the member's perspective) and the
education plan (versions, goals, activities, the member's input).

Reviewed by hand: released assessment versions and shared plan versions are kept immutable by the
services; factor, goal and activity keys are stable across versions.

Revision ID: 0002_assessment_plan
Revises: 0001_foundation
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

from portal.db_types import UTCDateTime

revision = "0002_assessment_plan"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "assessment_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "released",
                name="status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("period_start_year", sa.Integer(), nullable=False),
        sa.Column("period_end_year", sa.Integer(), nullable=False),
        sa.Column("member_rate", sa.Numeric(precision=7, scale=2), nullable=True),
        sa.Column("peer_rate", sa.Numeric(precision=7, scale=2), nullable=True),
        sa.Column("narrative", sa.Text(), nullable=False),
        sa.Column("change_note", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("released_at", UTCDateTime(), nullable=True),
        sa.Column("released_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_assessment_versions_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_assessment_versions_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["released_by_id"],
            ["users.id"],
            name=op.f("fk_assessment_versions_released_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_versions")),
        sa.UniqueConstraint("case_id", "number", name="uq_assessment_versions_case_id_number"),
    )
    with op.batch_alter_table("assessment_versions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_assessment_versions_case_id_status", ["case_id", "status"], unique=False
        )

    op.create_table(
        "plan_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "shared",
                "active",
                "superseded",
                name="status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("change_note", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("shared_at", UTCDateTime(), nullable=True),
        sa.Column("shared_by_id", sa.Integer(), nullable=True),
        sa.Column("member_agreed_at", UTCDateTime(), nullable=True),
        sa.Column("member_agreed_by_id", sa.Integer(), nullable=True),
        sa.Column("approved_at", UTCDateTime(), nullable=True),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("activated_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["approved_by_id"], ["users.id"], name=op.f("fk_plan_versions_approved_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_plan_versions_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_plan_versions_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["member_agreed_by_id"],
            ["users.id"],
            name=op.f("fk_plan_versions_member_agreed_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["shared_by_id"], ["users.id"], name=op.f("fk_plan_versions_shared_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_versions")),
        sa.UniqueConstraint("case_id", "number", name="uq_plan_versions_case_id_number"),
    )
    with op.batch_alter_table("plan_versions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_plan_versions_case_id_status", ["case_id", "status"], unique=False
        )

    op.create_table(
        "assessment_acknowledgements",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("acknowledged_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["users.id"], name=op.f("fk_assessment_acknowledgements_member_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["assessment_versions.id"],
            name=op.f("fk_assessment_acknowledgements_version_id_assessment_versions"),
        ),
        sa.PrimaryKeyConstraint("version_id", name=op.f("pk_assessment_acknowledgements")),
    )
    op.create_table(
        "assessment_factors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "communication",
                "documentation",
                "professionalism",
                "clinical_knowledge",
                "office_systems",
                "wellness",
                "other",
                name="category",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "priority",
            sa.Enum(
                "high",
                "medium",
                "low",
                name="priority",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["assessment_versions.id"],
            name=op.f("fk_assessment_factors_version_id_assessment_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_factors")),
    )
    with op.batch_alter_table("assessment_factors", schema=None) as batch_op:
        batch_op.create_index("ix_assessment_factors_version_id", ["version_id"], unique=False)

    op.create_table(
        "assessment_history_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "legal_action",
                "college_complaint",
                "hospital_matter",
                name="kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["assessment_versions.id"],
            name=op.f("fk_assessment_history_entries_version_id_assessment_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_history_entries")),
        sa.UniqueConstraint(
            "version_id", "year", "kind", name="uq_assessment_history_entries_cell"
        ),
    )
    op.create_table(
        "assessment_perspectives",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("factor_key", sa.String(length=32), nullable=True),
        sa.Column(
            "position",
            sa.Enum(
                "agree",
                "agree_with_context",
                "disagree",
                name="position",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_assessment_perspectives_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_assessment_perspectives_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["assessment_versions.id"],
            name=op.f("fk_assessment_perspectives_version_id_assessment_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_perspectives")),
    )
    with op.batch_alter_table("assessment_perspectives", schema=None) as batch_op:
        batch_op.create_index(
            "ix_assessment_perspectives_case_id_created_at", ["case_id", "created_at"], unique=False
        )

    op.create_table(
        "plan_goals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["plan_versions.id"],
            name=op.f("fk_plan_goals_version_id_plan_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_goals")),
    )
    with op.batch_alter_table("plan_goals", schema=None) as batch_op:
        batch_op.create_index("ix_plan_goals_version_id", ["version_id"], unique=False)

    op.create_table(
        "plan_inputs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("learning_preferences", sa.String(length=100), nullable=True),
        sa.Column("availability", sa.Text(), nullable=True),
        sa.Column("own_goals", sa.Text(), nullable=True),
        sa.Column("suggested_activities", sa.Text(), nullable=True),
        sa.Column("target_key", sa.String(length=32), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_plan_inputs_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_plan_inputs_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["plan_versions.id"],
            name=op.f("fk_plan_inputs_version_id_plan_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_inputs")),
    )
    with op.batch_alter_table("plan_inputs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_plan_inputs_case_id_created_at", ["case_id", "created_at"], unique=False
        )

    op.create_table(
        "plan_activities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "elearning",
                "workshop",
                "course",
                "coaching",
                "reading",
                "practice_audit",
                "reflective_exercise",
                name="kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("provider", sa.String(length=200), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("estimated_hours", sa.Numeric(precision=6, scale=1), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["goal_id"], ["plan_goals.id"], name=op.f("fk_plan_activities_goal_id_plan_goals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_activities")),
    )
    with op.batch_alter_table("plan_activities", schema=None) as batch_op:
        batch_op.create_index("ix_plan_activities_goal_id", ["goal_id"], unique=False)

    op.create_table(
        "plan_goal_factors",
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.Column("factor_key", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["goal_id"], ["plan_goals.id"], name=op.f("fk_plan_goal_factors_goal_id_plan_goals")
        ),
        sa.PrimaryKeyConstraint("goal_id", "factor_key", name=op.f("pk_plan_goal_factors")),
    )


def downgrade():
    op.drop_table("plan_goal_factors")
    with op.batch_alter_table("plan_activities", schema=None) as batch_op:
        batch_op.drop_index("ix_plan_activities_goal_id")

    op.drop_table("plan_activities")
    with op.batch_alter_table("plan_inputs", schema=None) as batch_op:
        batch_op.drop_index("ix_plan_inputs_case_id_created_at")

    op.drop_table("plan_inputs")
    with op.batch_alter_table("plan_goals", schema=None) as batch_op:
        batch_op.drop_index("ix_plan_goals_version_id")

    op.drop_table("plan_goals")
    with op.batch_alter_table("assessment_perspectives", schema=None) as batch_op:
        batch_op.drop_index("ix_assessment_perspectives_case_id_created_at")

    op.drop_table("assessment_perspectives")
    op.drop_table("assessment_history_entries")
    with op.batch_alter_table("assessment_factors", schema=None) as batch_op:
        batch_op.drop_index("ix_assessment_factors_version_id")

    op.drop_table("assessment_factors")
    op.drop_table("assessment_acknowledgements")
    with op.batch_alter_table("plan_versions", schema=None) as batch_op:
        batch_op.drop_index("ix_plan_versions_case_id_status")

    op.drop_table("plan_versions")
    with op.batch_alter_table("assessment_versions", schema=None) as batch_op:
        batch_op.drop_index("ix_assessment_versions_case_id_status")

    op.drop_table("assessment_versions")
