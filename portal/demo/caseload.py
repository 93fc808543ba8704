"""Demo content for the caseload: more of advisor@example.org's members, at every stage, so that
sorting, filtering, the no-contact flag, a closed case and a break-glass opening can be seen."""

from __future__ import annotations

import uuid
from datetime import timedelta

from portal import clock
from portal.audit.services import record
from portal.auth.models import User
from portal.auth.services import find_user_by_email
from portal.cases.closing import close_case
from portal.cases.models import Case, Stage
from portal.cases.services import current_case_of, grant_break_glass
from portal.checkins.models import CheckIn, CheckInMode
from portal.extensions import db

# (email, name, language, member number, specialty, province, reason, stages, days since contact)
MEMBERS = (
    (
        "n.williams@example.org",
        "Dr. Noah Williams",
        "en",
        "M-400112",
        "General surgery",
        "AB",
        "Two legal actions in three years after post-operative complications; consent "
        "discussions were questioned in both.",
        [(Stage.REFERRED, 6)],
        None,
    ),
    (
        "f.haddad@example.org",
        "Dr. Fatima Haddad",
        "en",
        "M-400245",
        "Internal medicine",
        "NS",
        "Three college complaints in four years about communication with families.",
        [(Stage.REFERRED, 70), (Stage.ASSESSMENT, 35)],
        18,
    ),
    (
        "m.lefebvre@example.org",
        "Dr Marc Lefebvre",
        "fr",
        "M-400378",
        "Psychiatry",
        "QC",
        "Deux plaintes au collège et une affaire hospitalière en cinq ans ; tenue de dossiers.",
        [(Stage.REFERRED, 120), (Stage.ASSESSMENT, 90), (Stage.PLANNING, 30)],
        9,
    ),
    (
        "o.chen@example.org",
        "Dr. Olivia Chen",
        "en",
        "M-400401",
        "Paediatrics",
        "BC",
        "A legal action and two hospital matters in four years; follow-up of test results.",
        [
            (Stage.REFERRED, 300),
            (Stage.ASSESSMENT, 260),
            (Stage.PLANNING, 210),
            (Stage.ONGOING_SUPPORT, 160),
        ],
        79,  # flagged: no contact for 11 weeks
    ),
    (
        "e.roy@example.org",
        "Dr. Ethan Roy",
        "en",
        "M-400533",
        "Anaesthesiology",
        "MB",
        "Three matters in three years, above peers in anaesthesiology; handover practices.",
        [
            (Stage.REFERRED, 200),
            (Stage.ASSESSMENT, 170),
            (Stage.PLANNING, 120),
            (Stage.ONGOING_SUPPORT, 90),
        ],
        4,
    ),
    (
        "g.morin@example.org",
        "Dr. Grace Morin",
        "en",
        "M-400689",
        "Emergency medicine",
        "NB",
        "Four college complaints in six years about discharge communication.",
        [
            (Stage.REFERRED, 600),
            (Stage.ASSESSMENT, 560),
            (Stage.PLANNING, 500),
            (Stage.ONGOING_SUPPORT, 450),
        ],
        20,
    ),
)

CLOSING_SUMMARY = (
    "Over eighteen months you completed the disclosure workshop, the documentation audit and "
    "six coaching sessions. Your discharge conversations now follow a teach-back routine, and "
    "no new matter has been opened since your referral. Thank you for your commitment. Your "
    "records remain available here, and the MSP team is glad to hear from you at any time."
)
BREAK_GLASS_REASON = (
    "Covering the urgent line: the member called about a new college complaint while "
    "Dr. Tremblay is away today."
)


def load_caseload_demo(advisor: User, advisor2: User) -> None:
    from portal.demo import _member_with_case  # the shared demo helper (defined beside load_demo)

    now = clock.now()
    cases: dict[str, Case] = {}
    for email, name, language, number, specialty, province, reason, stages, contact in MEMBERS:
        case = _member_with_case(
            email=email,
            name=name,
            language=language,
            member_number=number,
            specialty=specialty,
            province=province,
            reason=reason,
            stages=stages,
            lead=advisor,
        )
        case.last_contact_at = now - timedelta(days=contact) if contact is not None else None
        cases[email] = case
    db.session.flush()

    # A check-in next week.
    roy = cases["e.roy@example.org"]
    db.session.add(
        CheckIn(
            case_id=roy.id,
            scheduled_at=(now + timedelta(days=6)).replace(hour=17, minute=0, second=0),
            time_zone="America/Winnipeg",
            mode=CheckInMode.VIDEO,
            agenda="Progress on the handover checklist; the coaching schedule.",
            cadence_weeks=6,
            calendar_uid=f"{uuid.uuid4()}@msp-portal.example.org",
            scheduled_by_id=advisor.id,
        )
    )

    # The end of the program for one member.
    close_case(cases["g.morin@example.org"], by=advisor, summary=CLOSING_SUMMARY)

    # advisor2 is not on Dr. Haddad's case, and opened it for a stated reason.
    haddad = cases["f.haddad@example.org"]
    grant_break_glass(haddad, staff=advisor2, reason=BREAK_GLASS_REASON)
    record(
        "case.viewed",
        actor=advisor2,
        object_type="case",
        object_id=haddad.id,
        case_id=haddad.id,
        detail="case page",
    )

    # What member@example.org sees under "Who viewed my file".
    member_case = current_case_of(find_user_by_email("member@example.org"))
    for how in ("case page", "timeline"):
        record(
            "case.viewed",
            actor=advisor,
            object_type="case",
            object_id=member_case.id,
            case_id=member_case.id,
            detail=how,
        )
