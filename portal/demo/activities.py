"""Demo content for the educational activities: a small catalog in English and French, and
member2's activities in every status, with evidence files, made through the real services."""

from __future__ import annotations

import struct
import zlib
from datetime import timedelta
from decimal import Decimal

from portal import clock
from portal.activities import services as activities
from portal.assessment.models import FactorCategory
from portal.auth.models import User
from portal.demo.programme import _as_of, _case_of
from portal.extensions import db
from portal.plan import services as plan
from portal.plan.models import ActivityKind
from portal.uploads.services import PDF, PNG, CheckedUpload

CATALOG = [
    (
        "Informed consent: documenting the discussion",
        "Consentement éclairé : documenter la discussion",
        ActivityKind.ELEARNING,
        "The mutual",
        "1.5",
        "1.5",
        [FactorCategory.DOCUMENTATION, FactorCategory.COMMUNICATION],
    ),
    (
        "Disclosure of adverse events workshop",
        "Atelier sur la divulgation des événements indésirables",
        ActivityKind.WORKSHOP,
        "Provincial association",
        "7",
        "7",
        [FactorCategory.COMMUNICATION, FactorCategory.PROFESSIONALISM],
    ),
    (
        "Office systems for test-result follow-up",
        "Systèmes de bureau pour le suivi des résultats",
        ActivityKind.COURSE,
        "College of family physicians",
        "4",
        "4",
        [FactorCategory.OFFICE_SYSTEMS],
    ),
    (
        "Physician wellness: fatigue and scheduling",
        "Mieux-être des médecins : fatigue et horaires",
        ActivityKind.COACHING,
        "Physician health program",
        "3",
        None,
        [FactorCategory.WELLNESS],
    ),
]


def certificate_pdf(text: str) -> bytes:
    """A one-page certificate (ASCII text, a core font): enough to be a real PDF."""
    from fpdf import FPDF  # some 20 MB: only when demo data is made, not whenever the CLI loads

    document = FPDF()
    document.add_page()
    document.set_font("Helvetica", size=16)
    document.cell(0, 10, text)
    return bytes(document.output())


def attendance_png() -> bytes:
    """A 1x1 grey PNG, made whole (signature, IHDR, IDAT, IEND) so it passes the content check."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x80"))
        + chunk(b"IEND", b"")
    )


def _load_catalog(admin: User) -> None:
    for title_en, title_fr, kind, provider, hours, credits, categories in CATALOG:
        activities.save_entry(
            None,
            activities.EntryDetails(
                title_en=title_en,
                title_fr=title_fr,
                kind=kind,
                provider=provider,
                estimated_hours=Decimal(hours),
                credits=Decimal(credits) if credits else None,
                categories=categories,
            ),
            by=admin,
        )


def _revise_plan(case, advisor, member) -> None:
    """Version 3: two more activities, one of which is now overdue."""
    today = clock.now().date()
    with _as_of(60):
        draft = plan.start_draft(case, by=advisor)
        consent, disclosure = draft.goals[0], draft.goals[1]
        for goal, title, kind, hours, due_in in (
            (
                disclosure,
                "Reading: apology legislation and disclosure",
                ActivityKind.READING,
                "2",
                25,
            ),
            (
                consent,
                "Coaching session on consent conversations",
                ActivityKind.COACHING,
                "1.5",
                -3,
            ),
        ):
            plan.save_activity(
                draft,
                None,
                goal=goal,
                details=plan.ActivityDetails(
                    title=title,
                    kind=kind,
                    provider="The mutual",
                    estimated_hours=Decimal(hours),
                    due_date=today + timedelta(days=due_in),
                    required=True,
                ),
            )
        plan.share(
            draft,
            case=case,
            by=advisor,
            change_note="Added a reading on disclosure and a coaching session on consent.",
        )
    with _as_of(58):
        plan.member_agrees(draft, case=case, member=member)
    with _as_of(57):
        plan.advisor_approves(draft, case=case, advisor=advisor)


def load_activities_demo() -> None:
    admin = db.session.scalar(db.select(User).where(User.email == "admin@example.org"))
    advisor = db.session.scalar(db.select(User).where(User.email == "advisor@example.org"))
    _load_catalog(admin)
    case = _case_of("member2@example.org")
    member = case.member
    _revise_plan(case, advisor, member)
    version = plan.active_version(case)
    by_title = {a.title: a for g in version.goals for a in g.activities}

    def evidence(name, data, kind):
        return CheckedUpload(name=name, content_type=kind, data=data)

    consent = by_title["Informed consent: documenting the discussion"]
    with _as_of(30):
        activities.start_activity(case, consent, by=member)
    with _as_of(25):
        activities.submit_evidence(
            case,
            consent,
            by=member,
            upload=evidence("certificat-consentement.pdf", certificate_pdf("Certificate"), PDF),
            learned="Noter les options et les risques discutés, et les questions de la patiente.",
            practice_change="J'utilise maintenant un modèle de note de consentement structuré.",
        )
    with _as_of(23):
        activities.verify_activity(case, consent, by=advisor)

    audit = by_title["Chart audit of 20 consent notes"]
    with _as_of(10):
        activities.start_activity(case, audit, by=member)
    with _as_of(2):
        activities.submit_evidence(
            case,
            audit,
            by=member,
            upload=evidence("audit-dossiers.png", attendance_png(), PNG),
            learned="Douze notes sur vingt ne mentionnaient pas les solutions de rechange.",
            practice_change="Je révise mes notes de consentement chaque vendredi.",
        )

    with _as_of(6):
        activities.start_activity(
            case, by_title["Disclosure of adverse events workshop"], by=member
        )

    reading = by_title["Reading: apology legislation and disclosure"]
    with _as_of(12):
        activities.submit_evidence(
            case,
            reading,
            by=member,
            upload=evidence("lecture.pdf", certificate_pdf("Reading log"), PDF),
            learned="La loi sur les excuses protège l'expression de regrets.",
            practice_change="Je présente mes excuses plus tôt lors d'une divulgation.",
        )
    with _as_of(11):
        activities.return_activity(
            case,
            reading,
            by=advisor,
            comment=(
                "Le relevé de lecture ne montre pas votre nom. Pouvez-vous en joindre un autre ?"
            ),
        )

    with _as_of(40):
        activities.waive_activity(
            case,
            by_title["Online module: record keeping"],
            by=advisor,
            reason="Déjà couvert par l'audit de dossiers.",
        )
    # "Coaching session on consent conversations" stays not started, and is overdue.
