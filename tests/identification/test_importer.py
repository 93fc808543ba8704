"""Importing the register's members and matters files: the checks of every row, all or nothing,
idempotence, the audit trail and the command line."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import UTC, date, datetime

import pytest
from flask_babel import force_locale

from portal.audit.models import AuditEvent, Outcome
from portal.cases.models import TypeOfWork
from portal.extensions import db
from portal.identification import importer
from portal.identification.cli import identify_cli
from portal.identification.importer import (
    IMPORT_ERRORS_KEPT,
    MESSAGES,
    error_message,
    import_register,
)
from portal.identification.models import ImportOutcome, Matter, RegisterImport, RegisterMember

TODAY = date(2030, 1, 15)
MEMBER_COLUMNS = (
    "member_number",
    "name",
    "email",
    "language",
    "type_of_work",
    "province",
    "member_since",
)
MATTER_COLUMNS = ("matter_number", "kind", "member_number", "opened_on", "factors")


TYPES_OF_WORK = {
    "family_medicine": ("Family medicine", "Médecine familiale"),
    "emergency_medicine": ("Emergency medicine", "Médecine d'urgence"),
    "dermatology": ("Dermatology", "Dermatologie"),
}


@pytest.fixture(autouse=True)
def types_of_work(app):
    """The types the tests use: the migration seeds them, but PostgreSQL's tables are emptied
    between tests."""
    known = set(db.session.scalars(db.select(TypeOfWork.code)))
    for code, (name_en, name_fr) in TYPES_OF_WORK.items():
        if code not in known:
            db.session.add(TypeOfWork(code=code, name_en=name_en, name_fr=name_fr))
    db.session.commit()


def member(number: str = "M-1", **values) -> dict:
    return {
        "member_number": number,
        "name": f"Dr. {number}",
        "email": f"{number.strip().lower()}@example.org",
        "language": "en",
        "type_of_work": "family_medicine",
        "province": "ON",
        "member_since": "2010-03-01",
        **values,
    }


def matter(number: str = "X-1", member_number: str = "M-1", **values) -> dict:
    return {
        "matter_number": number,
        "kind": "legal_action",
        "member_number": member_number,
        "opened_on": "2024-05-06",
        "factors": "communication;documentation",
        **values,
    }


def csv_bytes(rows: list[dict], columns=None, *, bom: bool = False, newline="\r\n") -> bytes:
    """The rows as a CSV file with a header; `columns` (default: the first row's keys) orders
    them."""
    columns = columns or list(rows[0])
    text = io.StringIO()
    writer = csv.writer(text, lineterminator=newline)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(column, "") for column in columns])
    return ("\ufeff" if bom else "").encode() + text.getvalue().encode()


def members_file(*rows: dict, **options) -> bytes:
    return csv_bytes(list(rows), options.pop("columns", MEMBER_COLUMNS), **options)


def matters_file(*rows: dict, **options) -> bytes:
    return csv_bytes(list(rows), options.pop("columns", MATTER_COLUMNS), **options)


def run_import(members: bytes | None = None, matters: bytes | None = None, **options):
    result = import_register(
        members=io.BytesIO(members) if members is not None else None,
        matters=io.BytesIO(matters) if matters is not None else None,
        members_name="members.csv" if members is not None else None,
        matters_name="matters.csv" if matters is not None else None,
        by=options.pop("by", None),
        source="cli",
        today=options.pop("today", TODAY),
        **options,
    )
    db.session.commit()
    return result


def errors_of(result: RegisterImport) -> list[tuple]:
    return [(e["file"], e["line"], e["column"], e["code"]) for e in result.errors]


def register() -> tuple[list[tuple], list[tuple]]:
    """The register's rows as plain tuples, to compare before and after."""
    db.session.expire_all()
    members = db.session.execute(
        db.select(
            RegisterMember.member_number,
            RegisterMember.name,
            RegisterMember.email,
            RegisterMember.language,
            RegisterMember.type_of_work_id,
            RegisterMember.province,
            RegisterMember.member_since,
            RegisterMember.updated_at,
            RegisterMember.last_matter_added_at,
        ).order_by(RegisterMember.member_number)
    ).all()
    matters = db.session.execute(
        db.select(
            Matter.matter_number,
            Matter.kind,
            RegisterMember.member_number,
            Matter.opened_on,
            Matter.factors,
        )
        .join(RegisterMember)
        .order_by(Matter.matter_number)
    ).all()
    return [tuple(m) for m in members], [tuple(m) for m in matters]


def count(model) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model))


def type_of_work_id(code: str) -> int:
    return db.session.scalar(db.select(TypeOfWork.id).where(TypeOfWork.code == code))


# --- A clean import ---------------------------------------------------------------------------


def test_a_clean_import_stores_both_files(app, frozen_clock):
    members = members_file(
        member(" m-001 ", email="Jane.Doe@Example.org", language="FR", province="qc"),
        member("M-002", type_of_work="emergency_medicine"),
    )
    matters = matters_file(
        matter("X-1", " m-001 ", factors=" communication ; ;documentation "),
        matter("X-2", "M-002", kind="college_complaint", factors=""),
        matter("X-3", "M-002", kind="hospital_matter"),
    )
    result = run_import(members, matters)

    assert result.outcome is ImportOutcome.IMPORTED and result.id is not None
    assert result.error_count == 0 and result.errors == []
    assert result.counts == {
        "members": {"new": 2, "changed": 0, "unchanged": 0},
        "matters": {"new": 3, "changed": 0, "unchanged": 0},
    }
    assert result.members_filename == "members.csv" and result.matters_filename == "matters.csv"
    assert result.members_sha256 == hashlib.sha256(members).hexdigest()
    assert result.matters_sha256 == hashlib.sha256(matters).hexdigest()
    assert result.source == "cli" and result.finished_at is not None

    first = db.session.scalars(
        db.select(RegisterMember).where(RegisterMember.member_number == "M-001")
    ).one()
    assert (first.email, first.language, first.province) == ("jane.doe@example.org", "fr", "QC")
    assert first.type_of_work_id == type_of_work_id("family_medicine")
    assert first.member_since == date(2010, 3, 1)
    assert first.imported_at == first.updated_at == frozen_clock()
    assert first.last_matter_added_at == frozen_clock()
    members_rows, matters_rows = register()
    assert [row[0] for row in members_rows] == ["M-001", "M-002"]
    assert matters_rows == [
        ("X-1", "legal_action", "M-001", date(2024, 5, 6), "communication;documentation"),
        ("X-2", "college_complaint", "M-002", date(2024, 5, 6), ""),
        ("X-3", "hospital_matter", "M-002", date(2024, 5, 6), "communication;documentation"),
    ]


def test_a_byte_order_mark_and_any_column_order_are_accepted(app):
    columns = tuple(reversed(MEMBER_COLUMNS))
    result = run_import(
        members_file(member("M-1"), member("M-2"), columns=columns, bom=True),
        matters_file(
            matter(),
            columns=("factors", "opened_on", "member_number", "kind", "matter_number"),
            bom=True,
            newline="\n",
        ),
    )
    assert result.outcome is ImportOutcome.IMPORTED, result.errors
    assert count(RegisterMember) == 2 and count(Matter) == 1
    assert db.session.scalar(db.select(RegisterMember.name).filter_by(member_number="M-1")) == (
        "Dr. M-1"
    )


def test_one_file_alone_can_be_imported(app):
    result = run_import(members_file(member("M-1")))
    assert result.outcome is ImportOutcome.IMPORTED
    assert result.counts == {"members": {"new": 1, "changed": 0, "unchanged": 0}}
    assert result.matters_filename is None and result.matters_sha256 is None


def test_matters_can_refer_to_members_imported_earlier(app):
    run_import(members_file(member("M-1"), member("M-2")))
    result = run_import(matters=matters_file(matter("X-1", "m-1"), matter("X-2", "M-2")))
    assert result.outcome is ImportOutcome.IMPORTED, result.errors
    assert result.counts == {"matters": {"new": 2, "changed": 0, "unchanged": 0}}
    assert [row[2] for row in register()[1]] == ["M-1", "M-2"]


# --- Every row checked -------------------------------------------------------------------------

MEMBER_PROBLEMS = [
    ("member_number", "", "required"),
    ("member_number", "M" * 33, "too_long"),
    ("member_number", "M 7", "member_number"),
    ("name", "  ", "required"),
    ("name", "N" * 201, "too_long"),
    ("email", "not-an-address", "email"),
    ("email", "a" * 250 + "@x.org", "too_long"),
    ("language", "de", "language"),
    ("type_of_work", "astrology", "type_of_work"),
    ("province", "XX", "province"),
    ("member_since", "2025-02-30", "date"),
    ("member_since", "01/03/2010", "date"),
    ("member_since", "2030-01-16", "future_date"),
    ("member_since", "1899-12-31", "too_early"),
    ("name", "Jane\x00Doe", "control_character"),
    ("email", "jane\t@example.org", "control_character"),
]


@pytest.mark.parametrize(("column", "value", "code"), MEMBER_PROBLEMS)
def test_a_bad_member_value_is_reported_at_its_line_and_column(app, column, value, code):
    # Line 3 starts a quoted name over two lines (itself refused): the bad row is on line 5.
    members = members_file(
        member("M-1"), member("M-2", name="Jane\nDoe"), member("M-3", **{column: value})
    )
    result = run_import(members, matters_file(matter("X-1", "M-1")))

    assert result.outcome is ImportOutcome.REFUSED
    assert errors_of(result) == [
        ("members", 3, "name", "control_character"),
        ("members", 5, column, code),
    ]
    assert result.error_count == 2 and result.counts == {}
    assert result.errors[1]["value"] == value.replace("\x00", "\\x00").replace("\t", "\\x09")[:60]
    assert count(RegisterMember) == 0 and count(Matter) == 0


MATTER_PROBLEMS = [
    ("matter_number", "", "required"),
    ("matter_number", "X" * 33, "too_long"),
    ("kind", "lawsuit", "kind"),
    ("kind", "", "required"),
    ("member_number", "M-404", "unknown_member"),
    ("member_number", "", "required"),
    ("opened_on", "2024-13-01", "date"),
    ("opened_on", "2030-02-01", "future_date"),
    ("factors", "f" * 501, "too_long"),
    ("factors", "communication\x1b", "control_character"),
]


@pytest.mark.parametrize(("column", "value", "code"), MATTER_PROBLEMS)
def test_a_bad_matter_value_is_reported_at_its_line_and_column(app, column, value, code):
    matters = matters_file(
        matter("X-1"),
        matter("X-2", factors="communication\r\ndocumentation"),
        matter("X-3", **{column: value}),
    )
    result = run_import(members_file(member("M-1")), matters)

    assert result.outcome is ImportOutcome.REFUSED
    assert errors_of(result) == [
        ("matters", 3, "factors", "control_character"),
        ("matters", 5, column, code),
    ]
    assert count(RegisterMember) == 0 and count(Matter) == 0


def test_an_inactive_type_of_work_is_refused(app):
    db.session.execute(
        db.update(TypeOfWork).where(TypeOfWork.code == "dermatology").values(active=False)
    )
    db.session.commit()
    result = run_import(members_file(member("M-1", type_of_work="dermatology")))
    assert errors_of(result) == [("members", 2, "type_of_work", "type_of_work")]


def test_a_number_twice_in_a_file_is_reported_where_it_repeats(app):
    members = members_file(member("M-1"), member("M-2"), member("m-1 "), member("M-1"))
    matters = matters_file(matter("X-1"), matter("X-1", "M-2"))
    result = run_import(members, matters)
    assert errors_of(result) == [
        ("members", 4, "member_number", "duplicate"),
        ("members", 5, "member_number", "duplicate"),
        ("matters", 3, "matter_number", "duplicate"),
    ]
    assert result.errors[0]["value"] == "M-1"


def test_undecodable_bytes_are_reported_where_they_are(app):
    members = members_file(member("M-1"), member("M-2")).replace(b"Dr. M-2", b"Dr. \xe9\xff")
    result = run_import(members)
    assert errors_of(result) == [("members", 3, "name", "encoding")]
    assert result.errors[0]["value"] == "Dr. \ufffd\ufffd"


def test_a_row_with_too_many_or_too_few_values_is_refused(app):
    members = members_file(member("M-1"), member("M-2")) + b"M-3,Dr. Three\r\n"
    members = members.replace(b"2010-03-01\r\nM-2", b"2010-03-01,extra\r\nM-2", 1)
    result = run_import(members)
    assert errors_of(result) == [
        ("members", 2, None, "field_count"),
        ("members", 4, None, "field_count"),
    ]


def test_blank_lines_are_skipped_but_counted(app):
    members = members_file(member("M-1"), member("M-2", email="bad"))
    members = members.replace(b"\r\nM-2", b"\r\n\r\n,,,,,,\r\nM-2")
    result = run_import(members)
    assert errors_of(result) == [("members", 5, "email", "email")]


def test_an_unknown_or_missing_column_refuses_the_file(app):
    extra = members_file(member("M-1"), columns=(*MEMBER_COLUMNS, "notes"))
    missing = matters_file(matter(), columns=("matter_number", "kind", "member_number"))
    result = run_import(extra, missing)
    assert errors_of(result) == [
        ("members", 1, "notes", "unknown_column"),
        ("matters", 1, "opened_on", "missing_column"),
        ("matters", 1, "factors", "missing_column"),
    ]
    twice = run_import(members_file(member("M-1"), columns=(*MEMBER_COLUMNS, "Name ")))
    assert errors_of(twice) == [("members", 1, "name", "duplicate_column")]
    assert count(RegisterMember) == 0


def test_an_empty_file_and_no_file_are_refused(app):
    assert errors_of(run_import(b"\xef\xbb\xbf\r\n")) == [("members", None, None, "empty_file")]
    header_only = run_import(members_file(), matters_file())
    assert header_only.outcome is ImportOutcome.IMPORTED
    assert header_only.counts["members"] == {"new": 0, "changed": 0, "unchanged": 0}
    nothing = run_import()
    assert nothing.outcome is ImportOutcome.REFUSED
    assert errors_of(nothing) == [(None, None, None, "no_files")]


@pytest.mark.parametrize(
    "broken", [b'M-3,"Dr. Three', b'M-3,"Dr. Three' + b"x" * 140_000, b'M-3,"Dr." Three']
)
def test_unreadable_csv_stops_the_file_with_an_error(app, monkeypatch, broken):
    monkeypatch.setattr(importer, "BATCH_SIZE", 2)
    members = members_file(member("M-1"), member("M-2")) + broken + b"\r\nM-4,,,,,,\r\n"
    result = run_import(members)
    assert errors_of(result) == [("members", 4, None, "malformed")]
    assert result.members_sha256 == hashlib.sha256(members).hexdigest()


def test_only_the_first_errors_are_kept_in_file_order(app):
    members = members_file(*(member(f"M-{n}", email="bad") for n in range(IMPORT_ERRORS_KEPT)))
    matters = matters_file(matter("X-1", "M-0", kind="lawsuit"))
    result = run_import(members, matters)
    assert result.error_count == IMPORT_ERRORS_KEPT + 1
    assert len(result.errors) == IMPORT_ERRORS_KEPT
    assert [e["line"] for e in result.errors] == list(range(2, IMPORT_ERRORS_KEPT + 2))
    assert {e["file"] for e in result.errors} == {"members"}


# --- All or nothing ----------------------------------------------------------------------------


def test_one_error_anywhere_keeps_both_files_out(app, frozen_clock):
    run_import(members_file(member("M-1"), member("M-2")), matters_file(matter("X-1")))
    before = register()
    frozen_clock.advance(days=1)

    members = members_file(member("M-1", name="Renamed"), member("M-2"), member("M-3"))
    matters = matters_file(matter("X-1", "M-2"), matter("X-2", "M-3"), matter("X-3", kind="?"))
    result = run_import(members, matters)

    assert result.outcome is ImportOutcome.REFUSED
    assert errors_of(result) == [("matters", 4, "kind", "kind")]
    assert register() == before


def test_the_caller_commits(app):
    import_register(
        members=io.BytesIO(members_file(member("M-1"))),
        matters=None,
        members_name="members.csv",
        matters_name=None,
        by=None,
        source="cli",
        today=TODAY,
    )
    db.session.rollback()
    assert count(RegisterMember) == 0 and count(RegisterImport) == 0


# --- Idempotence and changes ---------------------------------------------------------------------


def test_importing_the_same_files_again_changes_nothing(app, frozen_clock):
    members = members_file(member("M-1"), member("M-2"))
    matters = matters_file(matter("X-1"), matter("X-2", "M-2"), matter("X-3", "M-2"))
    run_import(members, matters)
    before = register()
    frozen_clock.advance(days=1)

    again = run_import(members, matters)
    assert again.counts == {
        "members": {"new": 0, "changed": 0, "unchanged": 2},
        "matters": {"new": 0, "changed": 0, "unchanged": 3},
    }
    assert register() == before
    assert count(RegisterImport) == 2


def test_changed_rows_are_counted_and_a_matter_may_move(app, frozen_clock):
    first_time = frozen_clock()
    run_import(
        members_file(member("M-1"), member("M-2"), member("M-3")),
        matters_file(matter("X-1", "M-1"), matter("X-2", "M-1")),
    )
    later = frozen_clock.advance(days=3)
    result = run_import(
        members_file(member("M-1", province="BC"), member("M-2"), member("M-3", name="Dr. Three")),
        matters_file(matter("X-1", "M-2"), matter("X-2", "M-1", opened_on="2024-05-07")),
    )
    assert result.counts == {
        "members": {"new": 0, "changed": 2, "unchanged": 1},
        "matters": {"new": 0, "changed": 2, "unchanged": 0},
    }
    updated = dict(
        db.session.execute(db.select(RegisterMember.member_number, RegisterMember.updated_at)).all()
    )
    assert updated == {"M-1": later, "M-2": first_time, "M-3": later}
    assert [(row[0], row[2], row[3]) for row in register()[1]] == [
        ("X-1", "M-2", date(2024, 5, 6)),
        ("X-2", "M-1", date(2024, 5, 7)),
    ]


def test_a_new_matter_marks_its_member(app, frozen_clock):
    first_time = frozen_clock()
    run_import(
        members_file(member("M-1"), member("M-2"), member("M-3")),
        matters_file(matter("X-1", "M-1"), matter("X-2", "M-2")),
    )
    later = frozen_clock.advance(days=10)
    result = run_import(
        matters=matters_file(matter("X-1", "M-1"), matter("X-2", "M-2"), matter("X-3", "M-2"))
    )
    assert result.counts == {"matters": {"new": 1, "changed": 0, "unchanged": 2}}
    marked = dict(
        db.session.execute(
            db.select(RegisterMember.member_number, RegisterMember.last_matter_added_at)
        ).all()
    )
    assert marked == {"M-1": first_time, "M-2": later, "M-3": None}


def test_the_session_sees_what_the_import_wrote(app):
    run_import(members_file(member("M-1")))
    loaded = db.session.scalars(db.select(RegisterMember)).one()
    import_register(
        members=io.BytesIO(members_file(member("M-1", name="Dr. Renamed"))),
        matters=None,
        members_name="members.csv",
        matters_name=None,
        by=None,
        source="web",
        today=TODAY,
    )
    assert loaded.name == "Dr. Renamed"


# --- Audit, messages, progress -------------------------------------------------------------------


def test_both_outcomes_are_audited(app, make_admin):
    admin = make_admin()
    members = members_file(member("M-1"))
    imported = run_import(members, matters_file(matter()), by=admin)
    refused = run_import(members_file(member("M-2", email="bad")), by=admin)

    events = db.session.scalars(
        db.select(AuditEvent)
        .where(AuditEvent.object_type == "register_import")
        .order_by(AuditEvent.id)
    ).all()
    assert [(e.action, e.outcome, e.object_id, e.actor_id) for e in events] == [
        ("register.imported", Outcome.SUCCESS, imported.id, admin.id),
        ("register.import_refused", Outcome.FAILURE, refused.id, admin.id),
    ]
    assert "members.csv" in events[0].detail and "matters.csv" in events[0].detail
    assert hashlib.sha256(members).hexdigest()[:12] in events[0].detail
    assert "1 new, 0 changed, 0 unchanged" in events[0].detail
    assert (
        "refused, errors: 1" in events[1].detail and refused.members_sha256[:12] in events[1].detail
    )
    assert imported.by_id == admin.id


def test_a_long_file_name_keeps_the_audit_detail_short(app):
    result = import_register(
        members=io.BytesIO(members_file(member("M-1"))),
        matters=io.BytesIO(matters_file(matter())),
        members_name="m" * 300 + ".csv",
        matters_name="n" * 300 + ".csv",
        by=None,
        source="web",
        today=TODAY,
    )
    db.session.commit()
    assert len(result.members_filename) == 255
    event = db.session.scalars(db.select(AuditEvent)).one()
    assert len(event.detail) <= 255 and result.matters_sha256[:12] in event.detail


ONE_OF_EACH = [
    {"file": "members", "line": 7, "column": column, "code": code, "value": "x"}
    for code, column in [
        *((code, "email") for code in MESSAGES),
        ("too_long", "name"),
        ("never_heard_of", "name"),
    ]
]


def test_every_error_has_a_message(app):
    with app.test_request_context():
        assert error_message(ONE_OF_EACH[0] | {"code": "email"}) == (
            "Line 7, column email: not a valid e-mail address."
        )
        assert "200" in error_message(ONE_OF_EACH[0] | {"code": "too_long", "column": "name"})
        field_count = {**ONE_OF_EACH[0], "code": "field_count", "column": None, "value": "9"}
        assert error_message(field_count).startswith("Line 7: the row has 9 values")
        for error in ONE_OF_EACH:
            assert error_message(error)
        no_files = {"file": None, "line": None, "column": None, "code": "no_files", "value": None}
        assert error_message(no_files).startswith("No file was given")


def test_messages_format_in_french(app):
    with app.test_request_context(headers={"Accept-Language": "fr"}), force_locale("fr"):
        for error in ONE_OF_EACH:
            assert isinstance(error_message(error), str) and error_message(error)


def test_a_large_file_is_imported_in_batches(app):
    members = members_file(*(member(f"M-{n}") for n in range(500)))
    matters = csv_bytes([matter(f"X-{n}", f"M-{n % 500}") for n in range(20_000)], MATTER_COLUMNS)
    stages = []
    result = run_import(members, matters, progress=lambda stage, rows: stages.append((stage, rows)))
    assert result.counts["matters"] == {"new": 20_000, "changed": 0, "unchanged": 0}
    assert count(Matter) == 20_000
    assert [rows for stage, rows in stages if stage == "matters"] == [
        5000,
        10_000,
        15_000,
        20_000,
    ]
    assert ("merging", 0) in stages and stages[0] == ("members", 500)


# --- The command line ----------------------------------------------------------------------------


def test_the_command_imports_and_prints_the_counts(app, tmp_path):
    (tmp_path / "members.csv").write_bytes(members_file(member("M-1"), member("M-2")))
    (tmp_path / "matters.csv").write_bytes(matters_file(matter()))
    runner = app.test_cli_runner()
    args = [
        "import",
        "--members",
        str(tmp_path / "members.csv"),
        "--matters",
        str(tmp_path / "matters.csv"),
    ]
    result = runner.invoke(identify_cli, args)
    assert result.exit_code == 0, result.output
    assert "members: 2 new, 0 changed, 0 unchanged" in result.stdout
    assert "matters: 1 new, 0 changed, 0 unchanged" in result.stdout
    assert "matters: 1 rows" in result.stderr
    db.session.expire_all()
    stored = db.session.scalars(db.select(RegisterImport)).one()
    assert stored.source == "cli" and stored.by_id is None
    assert stored.members_filename == "members.csv"

    again = runner.invoke(identify_cli, args)
    assert "members: 0 new, 0 changed, 2 unchanged" in again.stdout


def test_the_command_lists_the_errors_and_fails(app, tmp_path):
    (tmp_path / "matters.csv").write_bytes(
        matters_file(matter("X-1", "M-9"), matter("X-2", "M-9", opened_on="2025-02-30"))
    )
    result = app.test_cli_runner().invoke(
        identify_cli, ["import", "--matters", str(tmp_path / "matters.csv")]
    )
    assert result.exit_code == 1
    assert "refused, nothing imported: 3 errors" in result.stderr
    assert (
        "matters: Line 2, column member_number: member M-9 is neither in the members file nor "
        "in the register." in result.stderr
    )
    assert "matters: Line 3, column opened_on: not a date written YYYY-MM-DD." in result.stderr
    db.session.expire_all()
    assert db.session.scalars(db.select(RegisterImport.outcome)).one() is ImportOutcome.REFUSED
    assert count(Matter) == 0


def test_the_command_needs_a_file(app):
    result = app.test_cli_runner().invoke(identify_cli, ["import"])
    assert result.exit_code == 2 and "--members" in result.output


def test_frozen_timestamps_are_utc(app, frozen_clock):
    run_import(members_file(member("M-1")))
    stored = db.session.scalars(db.select(RegisterImport)).one()
    assert stored.started_at == datetime(2030, 1, 15, 12, tzinfo=UTC) == stored.finished_at
