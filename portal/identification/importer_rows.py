"""Reading the register's CSV files row by row: the header, each value's checks, and the batches
the importer writes to its staging tables. Nothing here touches the database, and nothing holds
more than one batch: a file of a million rows is read in the memory of a few thousand.

A row is checked on its own here; what needs the whole file or the register (a number twice in
the file, a matter's member nowhere) is checked by the importer in SQL once the rows are staged.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import IO

from email_validator import EmailNotValidError, validate_email

from portal.assessment.models import MatterKind
from portal.auth.services import normalise_email
from portal.cases.models import PROVINCES

# The models' String lengths, for the columns whose values are free text or numbers.
MAX_LENGTHS = {
    "member_number": 32,
    "name": 200,
    "email": 254,
    "matter_number": 32,
    "factors": 500,
}
EARLIEST = date(1900, 1, 1)
VALUE_SHOWN = 60  # characters of a refused value kept with its error
STAGED_AS = {"type_of_work": "type_of_work_id"}

_MEMBER_NUMBER = re.compile(r"[A-Z0-9-]+")
_MATTER_NUMBER = re.compile(r"[A-Za-z0-9._/-]+")
_CODE = re.compile(r"[A-Za-z0-9_-]+")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# Undecodable bytes arrive as lone surrogates (errors="surrogateescape"), so a bad byte is
# reported at its own line and column instead of stopping the file where the decoder was.
_UNDECODABLE = re.compile(r"[\udc80-\udcff]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SUSPECT = re.compile(r"[\x00-\x1f\x7f-\x9f\udc80-\udcff]")


class Invalid(Exception):
    """A value refused; `code` says why."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class RowError:
    line: int | None
    position: int  # the column's place in the header, so errors sort as the file reads
    column: str | None
    code: str
    value: str | None


@dataclass(frozen=True)
class FileSpec:
    """One file of the register: its columns in staging order, and each one's check, which
    returns the value to stage or raises Invalid."""

    name: str
    key: str  # the column that identifies a row
    parsers: dict[str, Callable[[str], object]]

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self.parsers)

    @property
    def staged_columns(self) -> tuple[str, ...]:
        """The staging table's columns: a type of work is staged as its id."""
        return tuple(STAGED_AS.get(name, name) for name in self.parsers)


def shown_value(value: str) -> str:
    """A refused value as it can be stored and shown: control characters written out (\\x00),
    undecodable bytes as U+FFFD, at most VALUE_SHOWN characters."""
    value = _UNDECODABLE.sub("\ufffd", value)
    value = _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", value)
    return value[:VALUE_SHOWN]


def _text(column: str, *, required: bool = True) -> Callable[[str], str]:
    limit = MAX_LENGTHS[column]

    def parse(raw: str) -> str:
        value = raw.strip()
        if required and not value:
            raise Invalid("required")
        if len(value) > limit:
            raise Invalid("too_long")
        return value

    return parse


def parse_member_number(raw: str) -> str:
    """Upper case, as the portal's member profiles have them, so the two can be matched."""
    value = raw.strip().upper()
    if not value:
        raise Invalid("required")
    if len(value) > MAX_LENGTHS["member_number"]:
        raise Invalid("too_long")
    if not _MEMBER_NUMBER.fullmatch(value):
        raise Invalid("member_number")
    return value


_email_text = _text("email")


def parse_email(raw: str) -> str:
    value = _email_text(raw)
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        raise Invalid("email") from None
    return normalise_email(value)


def _choice(choices: dict[str, object], code: str, normalise: Callable[[str], str]):
    def parse(raw: str) -> object:
        value = normalise(raw.strip())
        if not value:
            raise Invalid("required")
        try:
            return choices[value]
        except KeyError:
            raise Invalid(code) from None

    return parse


def _date(today: date) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip()
        if not value:
            raise Invalid("required")
        if not _ISO_DATE.fullmatch(value):
            raise Invalid("date")
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise Invalid("date") from None
        if day > today:
            raise Invalid("future_date")
        if day < EARLIEST:
            raise Invalid("too_early")
        return value  # staged as text: the same on both databases, and already canonical

    return parse


_factors_text = _text("factors", required=False)


def parse_factors(raw: str) -> str:
    codes = [code.strip() for code in raw.split(";") if code.strip()]
    if not all(_CODE.fullmatch(code) for code in codes):
        raise Invalid("factors")
    return _factors_text(";".join(codes))


_matter_number_text = _text("matter_number")


def parse_matter_number(raw: str) -> str:
    """The mutual's own identifier: letters, digits and . _ / - (it is shown on profiles)."""
    value = _matter_number_text(raw)
    if not _MATTER_NUMBER.fullmatch(value):
        raise Invalid("matter_number")
    return value


def members_spec(*, today: date, types_of_work: dict[str, int]) -> FileSpec:
    """`types_of_work`: the active types' codes and ids."""
    return FileSpec(
        name="members",
        key="member_number",
        parsers={
            "member_number": parse_member_number,
            "name": _text("name"),
            "email": parse_email,
            "language": _choice({"en": "en", "fr": "fr"}, "language", str.lower),
            "type_of_work": _choice(types_of_work, "type_of_work", str.lower),
            "province": _choice({p: p for p in PROVINCES}, "province", str.upper),
            "member_since": _date(today),
        },
    )


def matters_spec(*, today: date) -> FileSpec:
    return FileSpec(
        name="matters",
        key="matter_number",
        parsers={
            "matter_number": parse_matter_number,
            "kind": _choice({k.value: k.value for k in MatterKind}, "kind", str.lower),
            "member_number": parse_member_number,
            "opened_on": _date(today),
            "factors": parse_factors,
        },
    )


class HashingReader(io.RawIOBase):
    """Reads a binary stream while computing its SHA-256; never closes the stream it reads."""

    def __init__(self, stream: IO[bytes]):
        super().__init__()
        self._stream = stream
        self._digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._stream.read(len(buffer))
        size = len(data)
        buffer[:size] = data
        self._digest.update(data)
        return size

    def hexdigest(self) -> str:
        """The digest of the whole stream: what was not read yet is read (and dropped) first."""
        while data := self._stream.read(1 << 20):
            self._digest.update(data)
        return self._digest.hexdigest()


@dataclass
class Batch:
    rows: list[tuple] = field(default_factory=list)  # (line, *values in spec.columns order)
    errors: list[RowError] = field(default_factory=list)
    rows_read: int = 0  # rows read so far in the file, this batch included


class FileReader:
    """Reads one file in batches. After the header, `positions` maps each column to its place."""

    def __init__(self, source: HashingReader, spec: FileSpec, batch_size: int):
        self.source = source
        self.spec = spec
        self.batch_size = batch_size
        self.positions: dict[str, int] = {}

    def batches(self) -> Iterator[Batch]:
        text = io.TextIOWrapper(
            io.BufferedReader(self.source, 1 << 16),
            encoding="utf-8-sig",
            errors="surrogateescape",
            newline="",
        )
        try:
            yield from self._read(csv.reader(text, strict=True))
        finally:
            text.detach()

    def _read(self, reader) -> Iterator[Batch]:
        batch = Batch()
        records = self._records(reader)
        header = next(records, None)
        if header is None:
            batch.errors.append(RowError(None, 0, None, "empty_file", None))
            yield batch
            return
        line, names = header
        if names is None:
            batch.errors.append(RowError(line, 0, None, "malformed", None))
        else:
            batch.errors.extend(self._header_errors(line, names))
        if batch.errors:
            yield batch
            return
        plan = [(self.positions[name], name, self.spec.parsers[name]) for name in self.spec.columns]
        width = len(names)
        for line, record in records:
            if record is None:
                batch.errors.append(RowError(line, 0, None, "malformed", None))
                break
            batch.rows_read += 1
            if len(record) != width:
                batch.errors.append(RowError(line, 0, None, "field_count", str(len(record))))
            else:
                self._check(line, record, plan, batch)
            if batch.rows_read % self.batch_size == 0:
                yield batch
                batch = Batch(rows_read=batch.rows_read)
        if batch.errors or batch.rows or not batch.rows_read:
            yield batch

    @staticmethod
    def _records(reader) -> Iterator[tuple[int, list[str] | None]]:
        """(line where the record starts, values) for each record that is not blank. The line is
        a physical one: a quoted value over several lines moves the following records down. CSV
        that cannot be read ends the file with (line, None)."""
        end = 0
        while True:
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error:
                yield end + 1, None
                return
            start, end = end + 1, reader.line_num
            if any(value.strip() for value in record):
                yield start, record

    def _header_errors(self, line: int, names: list[str]) -> Iterator[RowError]:
        expected = self.spec.columns
        for position, raw in enumerate(names):
            name = raw.strip().lower()
            if name not in expected:
                yield RowError(line, position, shown_value(raw), "unknown_column", shown_value(raw))
            elif name in self.positions:
                yield RowError(line, position, name, "duplicate_column", name)
            else:
                self.positions[name] = position
        for extra, name in enumerate(n for n in expected if n not in self.positions):
            yield RowError(line, len(names) + extra, name, "missing_column", None)

    def _check(self, line: int, record: list[str], plan, batch: Batch) -> None:
        suspect = _SUSPECT.search("".join(record)) is not None
        values = []
        key_valid = True
        for position, name, parse in plan:
            raw = record[position]
            try:
                if suspect and _SUSPECT.search(raw):
                    raise Invalid("encoding" if _UNDECODABLE.search(raw) else "control_character")
                values.append(parse(raw))
            except Invalid as invalid:
                batch.errors.append(RowError(line, position, name, invalid.code, shown_value(raw)))
                values.append(None)
                key_valid = key_valid and name != self.spec.key
        # A row with a usable number is staged even when another value is refused, so that the
        # numbers it repeats or refers to are checked too.
        if key_valid:
            batch.rows.append((line, *values))
