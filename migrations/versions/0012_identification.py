"""Program step 1, identification: the managed list of types of work (the peer groups), the
register (members and matters), its imports, the screening runs with their flagged members, and
the advisors' decisions; assessment figures computed from the register; a referral's type of work.

Reviewed by hand: the types of work are seeded here (English and French names); existing member
profiles are linked to the type whose English name they were typed with; the assessment rates gain
a decimal (0.125 matters a year, not 0.13), which widens the column and loses nothing.

Revision ID: 0012_identification
Revises: 0011_report_snapshots
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

import portal.db_types

TYPES_OF_WORK = [
    ("family_medicine", "Family medicine", "Médecine familiale"),
    ("emergency_medicine", "Emergency medicine", "Médecine d'urgence"),
    ("obstetrics_gynaecology", "Obstetrics and gynaecology", "Obstétrique et gynécologie"),
    ("general_surgery", "General surgery", "Chirurgie générale"),
    ("orthopaedic_surgery", "Orthopaedic surgery", "Chirurgie orthopédique"),
    ("internal_medicine", "Internal medicine", "Médecine interne"),
    ("anaesthesiology", "Anaesthesiology", "Anesthésiologie"),
    ("diagnostic_radiology", "Diagnostic radiology", "Radiologie diagnostique"),
    ("paediatrics", "Paediatrics", "Pédiatrie"),
    ("psychiatry", "Psychiatry", "Psychiatrie"),
    ("dermatology", "Dermatology", "Dermatologie"),
    ("ophthalmology", "Ophthalmology", "Ophtalmologie"),
]

revision = "0012_identification"
down_revision = "0011_report_snapshots"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "types_of_work",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=False),
        sa.Column("name_fr", sa.String(length=120), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_types_of_work")),
        sa.UniqueConstraint("code", name=op.f("uq_types_of_work_code")),
    )
    types = sa.table(
        "types_of_work",
        sa.column("code", sa.String),
        sa.column("name_en", sa.String),
        sa.column("name_fr", sa.String),
        sa.column("active", sa.Boolean),
    )
    op.bulk_insert(
        types,
        [
            {"code": code, "name_en": en, "name_fr": fr, "active": True}
            for code, en, fr in TYPES_OF_WORK
        ],
    )
    op.create_table(
        "register_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "imported",
                "refused",
                name="outcome",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("started_at", portal.db_types.UTCDateTime(), nullable=False),
        sa.Column("finished_at", portal.db_types.UTCDateTime(), nullable=True),
        sa.Column("members_filename", sa.String(length=255), nullable=True),
        sa.Column("members_sha256", sa.String(length=64), nullable=True),
        sa.Column("matters_filename", sa.String(length=255), nullable=True),
        sa.Column("matters_sha256", sa.String(length=64), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["by_id"], ["users.id"], name=op.f("fk_register_imports_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_imports")),
    )
    with op.batch_alter_table("register_imports", schema=None) as batch_op:
        batch_op.create_index("ix_register_imports_started_at", ["started_at"], unique=False)

    op.create_table(
        "register_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_number", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("type_of_work_id", sa.Integer(), nullable=False),
        sa.Column("province", sa.String(length=2), nullable=False),
        sa.Column("member_since", sa.Date(), nullable=False),
        sa.Column("imported_at", portal.db_types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", portal.db_types.UTCDateTime(), nullable=False),
        sa.Column("last_matter_added_at", portal.db_types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["type_of_work_id"],
            ["types_of_work.id"],
            name=op.f("fk_register_members_type_of_work_id_types_of_work"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_members")),
        sa.UniqueConstraint("member_number", name=op.f("uq_register_members_member_number")),
    )
    with op.batch_alter_table("register_members", schema=None) as batch_op:
        batch_op.create_index(
            "ix_register_members_type_of_work_id", ["type_of_work_id"], unique=False
        )

    op.create_table(
        "screening_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("screening_date", sa.Date(), nullable=False),
        sa.Column("created_at", portal.db_types.UTCDateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("member_count", sa.Integer(), nullable=False),
        sa.Column("matter_count", sa.Integer(), nullable=False),
        sa.Column("flagged_count", sa.Integer(), nullable=False),
        sa.Column("peer_groups", sa.JSON(), nullable=False),
        sa.Column("model", sa.JSON(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_screening_runs_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_runs")),
    )
    with op.batch_alter_table("screening_runs", schema=None) as batch_op:
        batch_op.create_index("ix_screening_runs_created_at", ["created_at"], unique=False)

    op.create_table(
        "register_matters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("matter_number", sa.String(length=32), nullable=False),
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
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("factors", sa.String(length=500), nullable=False),
        sa.Column("imported_at", portal.db_types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["register_members.id"],
            name=op.f("fk_register_matters_member_id_register_members"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_matters")),
        sa.UniqueConstraint("matter_number", name=op.f("uq_register_matters_matter_number")),
    )
    with op.batch_alter_table("register_matters", schema=None) as batch_op:
        batch_op.create_index(
            "ix_register_matters_member_id_opened_on", ["member_id", "opened_on"], unique=False
        )

    op.create_table(
        "screening_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column(
            "decision",
            sa.Enum(
                "refer",
                "watch",
                "not_now",
                name="decision",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("review_on", sa.Date(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=False),
        sa.Column("decided_at", portal.db_types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_screening_decisions_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_screening_decisions_decided_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["register_members.id"],
            name=op.f("fk_screening_decisions_member_id_register_members"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["screening_runs.id"],
            name=op.f("fk_screening_decisions_run_id_screening_runs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_decisions")),
    )
    with op.batch_alter_table("screening_decisions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_screening_decisions_member_id_decided_at", ["member_id", "decided_at"], unique=False
        )

    op.create_table(
        "screening_results",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("observed", sa.Integer(), nullable=False),
        sa.Column("expected", sa.Float(), nullable=False),
        sa.Column("ratio", sa.Float(), nullable=False),
        sa.Column("shrunken_ratio", sa.Float(), nullable=False),
        sa.Column("probability_above_2", sa.Float(), nullable=False),
        sa.Column(
            "limit_crossed",
            sa.Enum(
                "95",
                "99.8",
                name="limit_crossed",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("recent_observed", sa.Integer(), nullable=False),
        sa.Column("rising", sa.Boolean(), nullable=False),
        sa.Column("rising_p", sa.Float(), nullable=True),
        sa.Column("high", sa.Boolean(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["register_members.id"],
            name=op.f("fk_screening_results_member_id_register_members"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["screening_runs.id"],
            name=op.f("fk_screening_results_run_id_screening_runs"),
        ),
        sa.PrimaryKeyConstraint("run_id", "member_id", name=op.f("pk_screening_results")),
    )
    with op.batch_alter_table("screening_results", schema=None) as batch_op:
        batch_op.create_index("ix_screening_results_run_id_rank", ["run_id", "rank"], unique=False)

    with op.batch_alter_table("assessment_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("figures_source", sa.String(length=16), nullable=True))
        batch_op.add_column(
            sa.Column("figures_computed_at", portal.db_types.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(sa.Column("figures_notes", sa.Text(), nullable=True))
        batch_op.alter_column(
            "member_rate",
            existing_type=sa.NUMERIC(precision=7, scale=2),
            type_=sa.Numeric(precision=8, scale=3),
            existing_nullable=True,
        )
        batch_op.alter_column(
            "peer_rate",
            existing_type=sa.NUMERIC(precision=7, scale=2),
            type_=sa.Numeric(precision=8, scale=3),
            existing_nullable=True,
        )

    with op.batch_alter_table("member_profiles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("type_of_work_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_member_profiles_type_of_work_id_types_of_work"),
            "types_of_work",
            ["type_of_work_id"],
            ["id"],
        )
    op.execute(
        "UPDATE member_profiles SET type_of_work_id = (SELECT id FROM types_of_work "
        "WHERE lower(types_of_work.name_en) = lower(member_profiles.specialty))"
    )


def downgrade():
    with op.batch_alter_table("member_profiles", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_member_profiles_type_of_work_id_types_of_work"), type_="foreignkey"
        )
        batch_op.drop_column("type_of_work_id")

    with op.batch_alter_table("assessment_versions", schema=None) as batch_op:
        batch_op.alter_column(
            "peer_rate",
            existing_type=sa.Numeric(precision=8, scale=3),
            type_=sa.NUMERIC(precision=7, scale=2),
            existing_nullable=True,
        )
        batch_op.alter_column(
            "member_rate",
            existing_type=sa.Numeric(precision=8, scale=3),
            type_=sa.NUMERIC(precision=7, scale=2),
            existing_nullable=True,
        )
        batch_op.drop_column("figures_notes")
        batch_op.drop_column("figures_computed_at")
        batch_op.drop_column("figures_source")

    with op.batch_alter_table("screening_results", schema=None) as batch_op:
        batch_op.drop_index("ix_screening_results_run_id_rank")

    op.drop_table("screening_results")
    with op.batch_alter_table("screening_decisions", schema=None) as batch_op:
        batch_op.drop_index("ix_screening_decisions_member_id_decided_at")

    op.drop_table("screening_decisions")
    with op.batch_alter_table("register_matters", schema=None) as batch_op:
        batch_op.drop_index("ix_register_matters_member_id_opened_on")

    op.drop_table("register_matters")
    with op.batch_alter_table("screening_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_screening_runs_created_at")

    op.drop_table("screening_runs")
    with op.batch_alter_table("register_members", schema=None) as batch_op:
        batch_op.drop_index("ix_register_members_type_of_work_id")

    op.drop_table("register_members")
    with op.batch_alter_table("register_imports", schema=None) as batch_op:
        batch_op.drop_index("ix_register_imports_started_at")

    op.drop_table("register_imports")
    op.drop_table("types_of_work")
