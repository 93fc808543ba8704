"""Plain helpers for the activities tests: an active plan of known activities, evidence files,
and reading the text of a generated PDF."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from portal import clock
from portal.activities import services
from portal.activities.services import local_today
from portal.assessment import services as assessment
from portal.cases.models import Case
from portal.extensions import db
from portal.plan import services as plan
from portal.plan.models import ActivityKind, PlannedActivity
from portal.uploads.services import JPEG, PDF, PNG, CheckedUpload
from tests.messaging.helpers import jpeg_bytes, pdf_bytes, png_bytes
from tests.programme import release_assessment

__all__ = ["jpeg_bytes", "pdf_bytes", "png_bytes"]


@dataclass
class Planned:
    goal: int  # index of the goal (0 or 1)
    title: str
    hours: str | None = "2"
    due_in: int | None = 30  # days from today
    required: bool = True


DEFAULT = [
    Planned(0, "Communication e-learning", "2", 30),
    Planned(0, "Teach-back workshop", "4", 5),
    Planned(1, "Documentation audit", "6", -3),
    Planned(1, "Optional reading", "1.5", None, required=False),
]


def activate_plan(case: Case, staff, activities: list[Planned] = DEFAULT):
    """Release an assessment, share a plan of two goals with `activities`, and have both sides
    sign it off: the plan is active. Returns the active version."""
    release_assessment(case, staff)
    factors = assessment.released_version(case).factors
    draft = plan.start_draft(case, by=staff)
    goals = [
        plan.save_goal(draft, None, title=title, description="", factor_keys=[factors[0].key])
        for title in ("Clearer conversations", "Better records")
    ]
    today = local_today()
    for item in activities:
        plan.save_activity(
            draft,
            None,
            goal=goals[item.goal],
            details=plan.ActivityDetails(
                title=item.title,
                kind=ActivityKind.ELEARNING,
                provider="The mutual",
                estimated_hours=Decimal(item.hours) if item.hours else None,
                due_date=today + timedelta(days=item.due_in) if item.due_in is not None else None,
                required=item.required,
            ),
        )
    plan.share(draft, case=case, by=staff, change_note=None)
    plan.member_agrees(draft, case=case, member=case.member)
    plan.advisor_approves(draft, case=case, advisor=staff)
    db.session.commit()
    return plan.active_version(case)


def activity(case: Case, title: str) -> PlannedActivity:
    version = plan.active_version(case)
    return next(a for g in version.goals for a in g.activities if a.title == title)


def upload(name="certificate.pdf", data: bytes | None = None) -> CheckedUpload:
    data = data if data is not None else pdf_bytes()
    kind = {b"%PDF": PDF, b"\x89PNG": PNG}.get(data[:4], JPEG)
    return CheckedUpload(name=name, content_type=kind, data=data)


def submit(case: Case, title: str, *, learned="I learned.", change="I will change."):
    submission = services.submit_evidence(
        case,
        activity(case, title),
        by=case.member,
        upload=upload(),
        learned=learned,
        practice_change=change,
    )
    db.session.commit()
    return submission


def complete(case: Case, title: str, staff) -> None:
    submit(case, title)
    services.verify_activity(case, activity(case, title), by=staff)
    db.session.commit()


def today() -> date:
    return clock.now().date()


_LITERAL = re.compile(rb"\((?P<body>(?:\\.|[^\\)])*)\)\s*Tj", re.S)
_BFCHAR = re.compile(rb"beginbfchar\s*(.*?)\s*endbfchar", re.S)
_PAIR = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>")
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _unescape(body: bytes) -> bytes:
    out, index = bytearray(), 0
    while index < len(body):
        char = body[index : index + 1]
        if char == b"\\":
            following = body[index + 1 : index + 2]
            out += _ESCAPES.get(following, following)
            index += 2
        else:
            out += char
            index += 1
    return bytes(out)


def pdf_text(data: bytes) -> str:
    """The text of an uncompressed fpdf2 PDF in a Unicode font: each shown string decoded with
    each font's ToUnicode map (glyph ids differ between fonts), one decoding per line."""
    maps = []
    for block in _BFCHAR.findall(data):
        maps.append({int(a, 16): chr(int(b, 16)) for a, b in _PAIR.findall(block)})
    lines = []
    for match in _LITERAL.finditer(data):
        raw = _unescape(match.group("body"))
        codes = [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw) - 1, 2)]
        for mapping in maps:
            if all(code in mapping for code in codes):
                lines.append("".join(mapping[code] for code in codes))
    return "\n".join(lines)


def routing_objects(case: Case, staff) -> dict:
    """For the access-rule walk (tests/security/test_access_rules.py): the case's shared plan
    made active, evidence submitted for its activity, and a catalog entry. Uploads go to the
    UPLOAD_DIR the caller has set."""
    from portal.activities.models import CatalogEntry

    version = plan.shared_version(case)
    plan.member_agrees(version, case=case, member=case.member)
    plan.advisor_approves(version, case=case, advisor=staff)
    db.session.commit()
    key = version.goals[0].activities[0].key
    submission = services.submit_evidence(
        case,
        version.goals[0].activities[0],
        by=case.member,
        upload=upload(),
        learned="Learned",
        practice_change="Change",
    )
    entry = CatalogEntry(title_en="Module", title_fr="Module", kind=ActivityKind.ELEARNING)
    db.session.add(entry)
    db.session.commit()
    return {"activity_key": key, "submission_id": submission.id, "entry_id": entry.id}
