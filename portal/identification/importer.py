"""Importing the register: the members file and the matters file, all or nothing.

The files are streamed (importer_rows reads them in batches) into temporary staging tables, then
checked and merged with set-based SQL, so that a register of a million matters is imported in
flat memory. Everything happens in a savepoint: one refused row anywhere rolls both files back,
and the import is kept with its errors instead. Rows are matched by their numbers, so importing
the same files again changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import IO

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from portal import clock
from portal.audit.models import Outcome
from portal.audit.services import record
from portal.auth.models import User
from portal.cases.models import TypeOfWork
from portal.db_types import UTCDateTime
from portal.extensions import db
from portal.identification.importer_rows import (
    MAX_LENGTHS,
    Batch,
    FileReader,
    FileSpec,
    HashingReader,
    RowError,
    matters_spec,
    members_spec,
)
from portal.identification.models import ImportOutcome, Matter, RegisterImport, RegisterMember

IMPORT_ERRORS_KEPT = 1000
BATCH_SIZE = 5000
FILE_ORDER = {"members": 0, "matters": 1}

MESSAGES = {
    "required": _l("Line %(line)d, column %(column)s: a value is required."),
    "too_long": _l("Line %(line)d, column %(column)s: longer than %(max)d characters."),
    "email": _l("Line %(line)d, column %(column)s: not a valid e-mail address."),
    "date": _l("Line %(line)d, column %(column)s: not a date written YYYY-MM-DD."),
    "future_date": _l("Line %(line)d, column %(column)s: the date is in the future."),
    "too_early": _l("Line %(line)d, column %(column)s: the date is before 1900."),
    "kind": _l(
        "Line %(line)d, column %(column)s: the kind must be legal_action, college_complaint "
        "or hospital_matter."
    ),
    "language": _l("Line %(line)d, column %(column)s: the language must be en or fr."),
    "province": _l(
        "Line %(line)d, column %(column)s: %(value)s is not the code of a province or territory "
        "(such as ON or QC)."
    ),
    "type_of_work": _l(
        "Line %(line)d, column %(column)s: %(value)s is not the code of a type of work in use."
    ),
    "member_number": _l(
        "Line %(line)d, column %(column)s: a member number has only letters, digits and hyphens."
    ),
    "matter_number": _l(
        "Line %(line)d, column %(column)s: a matter number has only letters, digits and . _ / -."
    ),
    "factors": _l(
        "Line %(line)d, column %(column)s: factors are codes of letters, digits, _ and -, "
        "separated by ;."
    ),
    "unknown_member": _l(
        "Line %(line)d, column %(column)s: member %(value)s is neither in the members file nor "
        "in the register."
    ),
    "duplicate": _l("Line %(line)d, column %(column)s: %(value)s is already on an earlier line."),
    "control_character": _l(
        "Line %(line)d, column %(column)s: the value contains a control character (such as a "
        "line break or a NUL)."
    ),
    "encoding": _l(
        "Line %(line)d, column %(column)s: the value is not UTF-8 text; save the file as CSV UTF-8."
    ),
    "field_count": _l(
        "Line %(line)d: the row has %(value)s values, not one for each column of the header."
    ),
    "malformed": _l("Line %(line)d: the file cannot be read as CSV from this line on."),
    "unknown_column": _l("Line %(line)d: %(column)s is not a column of this file."),
    "missing_column": _l("Line %(line)d: the column %(column)s is missing."),
    "duplicate_column": _l("Line %(line)d: the column %(column)s is there twice."),
    "empty_file": _l("The file is empty: it has no header row."),
    "no_files": _l("No file was given: give the members file, the matters file or both."),
}
UNKNOWN_ERROR = _l("Line %(line)d, column %(column)s: the value is refused.")


def error_message(error: dict) -> str:
    """The reason for one of a refused import's errors, in the current language (the request's,
    or `force_locale`'s outside a request)."""
    template = MESSAGES.get(error["code"], UNKNOWN_ERROR)
    return str(template) % {
        "line": error.get("line") or 0,
        "column": error.get("column") or "",
        "value": error.get("value") or "",
        "max": MAX_LENGTHS.get(error.get("column") or "", 0),
    }


def import_register(
    *,
    members: IO[bytes] | None,
    matters: IO[bytes] | None,
    members_name: str | None,
    matters_name: str | None,
    by: User | None,
    source: str,
    today: date,
    progress: Callable[[str, int], None] | None = None,
) -> RegisterImport:
    """Import the given files (either may be None, not both) and return the import, flushed:
    imported, or refused with its errors and nothing of either file kept. Adds the import and
    its audit event to the session; the caller commits."""
    result = RegisterImport(
        source=source,
        by=by,
        started_at=clock.now(),
        members_filename=members_name[:255] if members is not None and members_name else None,
        matters_filename=matters_name[:255] if matters is not None and matters_name else None,
        counts={},
        error_count=0,
        errors=[],
    )
    if members is None and matters is None:
        result.error_count = 1
        result.errors = [
            {"file": None, "line": None, "column": None, "code": "no_files", "value": None}
        ]
        return _finish(result)
    report = progress or (lambda stage, rows: None)
    db.session.flush()
    _begin_transaction(db.session.connection())
    savepoint = db.session.begin_nested()
    try:
        staging = _Staging(db.session.connection())
        specs = [
            (members_spec(today=today, types_of_work=_active_types_of_work()), members),
            (matters_spec(today=today), matters),
        ]
        for spec, stream in specs:
            if stream is not None:
                digest = staging.load(spec, HashingReader(stream), report)
                setattr(result, f"{spec.name}_sha256", digest)
        report("checking", 0)
        staging.check()
        result.error_count = staging.error_count()
        if result.error_count:
            result.errors = staging.first_errors(IMPORT_ERRORS_KEPT)
            savepoint.rollback()
        else:
            report("merging", 0)
            now = clock.now()
            result.counts = {
                spec.name: staging.merge(spec.name, now) for spec, stream in specs if stream
            }
            staging.drop()
            savepoint.commit()
    except BaseException:
        if savepoint.is_active:
            savepoint.rollback()
        raise
    _expire_register()
    return _finish(result)


def _finish(result: RegisterImport) -> RegisterImport:
    result.outcome = ImportOutcome.REFUSED if result.error_count else ImportOutcome.IMPORTED
    result.finished_at = clock.now()
    db.session.add(result)
    db.session.flush()
    record(
        "register.import_refused" if result.error_count else "register.imported",
        actor=result.by,
        outcome=Outcome.FAILURE if result.error_count else Outcome.SUCCESS,
        object_type="register_import",
        object_id=result.id,
        detail=_detail(result),
    )
    return result


def _detail(result: RegisterImport) -> str:
    files = []
    for name in FILE_ORDER:
        filename = getattr(result, f"{name}_filename")
        digest = getattr(result, f"{name}_sha256")
        if filename is None and digest is None:
            continue
        described = f"{name} {(filename or '-')[:48]} (sha256 {(digest or '-')[:12]})"
        counts = result.counts.get(name)
        if counts:
            described += (
                f": {counts['new']} new, {counts['changed']} changed, "
                f"{counts['unchanged']} unchanged"
            )
        files.append(described)
    if result.error_count:
        files.append(f"refused, errors: {result.error_count}")
    return "; ".join(files) or "no files"


def _active_types_of_work() -> dict[str, int]:
    rows = db.session.execute(sa.select(TypeOfWork.code, TypeOfWork.id).where(TypeOfWork.active))
    return {code.lower(): type_id for code, type_id in rows}


def _begin_transaction(connection: sa.Connection) -> None:
    """Make sure the database has begun a real transaction before the savepoint.

    pysqlite begins one only before a write; a SAVEPOINT outside any transaction would begin
    one of its own, and releasing it would commit the import before the caller decides to."""
    driver = connection.connection.driver_connection
    if connection.dialect.name == "sqlite" and not driver.in_transaction:
        driver.execute("BEGIN")


def _expire_register() -> None:
    """The rows were written with SQL: what the session holds of them may be out of date."""
    for loaded in list(db.session.identity_map.values()):
        if isinstance(loaded, RegisterMember | Matter):
            db.session.expire(loaded)


class _Staging:
    """The import's temporary tables, on the session's connection, inside its savepoint: the
    rows (with their line numbers) and the errors found, checked and merged with SQL."""

    TABLES = ("import_members", "import_matters", "import_errors")

    def __init__(self, connection: sa.Connection):
        self.connection = connection
        self.postgresql = connection.dialect.name == "postgresql"
        self.staged: dict[str, int] = {}
        self.positions: dict[str, dict[str, int]] = {}
        text = "VARCHAR" if self.postgresql else "TEXT"
        day = "DATE" if self.postgresql else "TEXT"
        for table, columns in (
            (
                "import_members",
                f"member_number {text} NOT NULL, name {text}, email {text}, language {text}, "
                f"type_of_work_id INTEGER, province {text}, member_since {day}",
            ),
            (
                "import_matters",
                f"matter_number {text} NOT NULL, kind {text}, member_number {text}, "
                f"opened_on {day}, factors {text}",
            ),
            (
                "import_errors",
                f"file_order INTEGER NOT NULL, position INTEGER NOT NULL, file {text}, "
                f"column_name {text}, code {text} NOT NULL, value {text}",
            ),
        ):
            self._sql(f"CREATE TEMPORARY TABLE {table} (line INTEGER, {columns})")

    def _sql(self, statement: str, **parameters) -> sa.CursorResult:
        query = sa.text(statement)
        if "now" in parameters:
            query = query.bindparams(sa.bindparam("now", type_=UTCDateTime()))
        return self.connection.execute(query, parameters)

    def _write(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        if not rows:
            return
        driver = self.connection.connection.driver_connection
        names = ", ".join(columns)
        if self.postgresql:
            statement = f"COPY {table} ({names}) FROM STDIN"
            with driver.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(columns))
            driver.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # nosec B608: names are the code's own constants

    def load(self, spec: FileSpec, source: HashingReader, report) -> str:
        """Stage one file's rows and row errors, batch by batch; returns the file's SHA-256."""
        reader = FileReader(source, spec, BATCH_SIZE)
        for batch in reader.batches():
            self._write(f"import_{spec.name}", ("line", *spec.staged_columns), batch.rows)
            self._write_errors(spec.name, batch)
            self.staged[spec.name] = self.staged.get(spec.name, 0) + len(batch.rows)
            report(spec.name, batch.rows_read)
        self.positions[spec.name] = reader.positions
        return source.hexdigest()

    def _write_errors(self, file: str, batch: Batch) -> None:
        rows = [self._error_row(file, error) for error in batch.errors]
        self._write(
            "import_errors",
            ("file_order", "line", "position", "file", "column_name", "code", "value"),
            rows,
        )

    @staticmethod
    def _error_row(file: str, error: RowError) -> tuple:
        order = FILE_ORDER[file]
        return (order, error.line, error.position, file, error.column, error.code, error.value)

    def check(self) -> None:
        """What a row alone cannot tell: a number twice in its file, a matter's member nowhere."""
        self._sql("CREATE INDEX import_members_number ON import_members (member_number, line)")
        self._sql("CREATE INDEX import_matters_number ON import_matters (matter_number, line)")
        if self.postgresql:
            for table in self.TABLES:
                self._sql(f"ANALYZE {table}")
        for file, key in (("members", "member_number"), ("matters", "matter_number")):
            if key not in self.positions.get(file, {}):
                continue  # the file was not given, or its header was refused
            self._sql(
                f"INSERT INTO import_errors "  # nosec B608: names are the code's own constants
                f"(file_order, line, position, file, column_name, code, value) "
                f"SELECT :order, s.line, :position, :file, :key, 'duplicate', s.{key} "
                f"FROM import_{file} s WHERE EXISTS (SELECT 1 FROM import_{file} e "
                f"WHERE e.{key} = s.{key} AND e.line < s.line)",
                order=FILE_ORDER[file],
                position=self.positions[file][key],
                file=file,
                key=key,
            )
        if "member_number" in self.positions.get("matters", {}):
            self._sql(
                "INSERT INTO import_errors "
                "(file_order, line, position, file, column_name, code, value) "
                "SELECT :order, s.line, :position, 'matters', 'member_number', 'unknown_member', "
                "s.member_number FROM import_matters s WHERE s.member_number IS NOT NULL "
                "AND NOT EXISTS (SELECT 1 FROM import_members m "
                "WHERE m.member_number = s.member_number) "
                "AND NOT EXISTS (SELECT 1 FROM register_members r "
                "WHERE r.member_number = s.member_number)",
                order=FILE_ORDER["matters"],
                position=self.positions["matters"]["member_number"],
            )

    def error_count(self) -> int:
        return self._sql("SELECT COUNT(*) FROM import_errors").scalar_one()

    def first_errors(self, limit: int) -> list[dict]:
        rows = self._sql(
            "SELECT file, line, column_name, code, value FROM import_errors "
            "ORDER BY file_order, COALESCE(line, 0), position, code LIMIT :limit",
            limit=limit,
        )
        return [
            {"file": file, "line": line, "column": column, "code": code, "value": value}
            for file, line, column, code, value in rows
        ]

    def merge(self, file: str, now) -> dict[str, int]:
        """Write one file's staged rows to the register; returns its counts."""
        merged = self._merge_members(now) if file == "members" else self._merge_matters(now)
        new, changed = merged
        return {"new": new, "changed": changed, "unchanged": self.staged[file] - new - changed}

    def _merge_members(self, now) -> tuple[int, int]:
        columns = ("name", "email", "language", "type_of_work_id", "province", "member_since")
        changed = self._sql(
            "UPDATE register_members SET "  # nosec B608: names are the code's own constants
            + ", ".join(f"{c} = s.{c}" for c in columns)
            + ", updated_at = :now FROM import_members s "
            "WHERE register_members.member_number = s.member_number AND ("
            + " OR ".join(f"register_members.{c} <> s.{c}" for c in columns)
            + ")",
            now=now,
        ).rowcount
        new = self._sql(
            "INSERT INTO register_members (member_number, "  # nosec B608: names are the code's own constants
            + ", ".join(columns)
            + ", imported_at, updated_at) SELECT s.member_number, "  # nosec B608: names are the code's own constants
            + ", ".join(f"s.{c}" for c in columns)
            + ", :now, :now FROM import_members s WHERE NOT EXISTS (SELECT 1 FROM "  # nosec B608: names are the code's own constants
            "register_members r WHERE r.member_number = s.member_number) ORDER BY s.line",
            now=now,
        ).rowcount
        return new, changed

    def _merge_matters(self, now) -> tuple[int, int]:
        # Before the new matters are in: their members are the ones who got a new matter.
        self._sql(
            "UPDATE register_members SET last_matter_added_at = :now WHERE member_number IN "
            "(SELECT s.member_number FROM import_matters s WHERE NOT EXISTS (SELECT 1 FROM "
            "register_matters m WHERE m.matter_number = s.matter_number))",
            now=now,
        )
        changed = self._sql(
            "UPDATE register_matters SET kind = s.kind, member_id = r.id, "
            "opened_on = s.opened_on, factors = s.factors "
            "FROM import_matters s JOIN register_members r ON r.member_number = s.member_number "
            "WHERE register_matters.matter_number = s.matter_number AND ("
            "register_matters.kind <> s.kind OR register_matters.member_id <> r.id OR "
            "register_matters.opened_on <> s.opened_on OR register_matters.factors <> s.factors)"
        ).rowcount
        new = self._sql(
            "INSERT INTO register_matters "
            "(matter_number, kind, member_id, opened_on, factors, imported_at) "
            "SELECT s.matter_number, s.kind, r.id, s.opened_on, s.factors, :now "
            "FROM import_matters s JOIN register_members r ON r.member_number = s.member_number "
            "WHERE NOT EXISTS (SELECT 1 FROM register_matters m "
            "WHERE m.matter_number = s.matter_number) ORDER BY s.line",
            now=now,
        ).rowcount
        return new, changed

    def drop(self) -> None:
        for table in self.TABLES:
            self._sql(f"DROP TABLE {table}")
