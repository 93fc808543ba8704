"""Demo conversations for `flask demo`: unread messages, an attachment, internal notes, an overdue
conversation, in English and in French."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal import clock
from portal.auth.models import User
from portal.cases.models import Case
from portal.extensions import db
from portal.messaging import services
from portal.messaging.models import CannedReply, MessageKind
from portal.uploads.services import PDF, CheckedUpload


def tiny_pdf(text: str) -> bytes:
    """A one-page PDF showing `text` (ASCII), with a correct cross-reference table."""
    stream = f"BT /F1 14 Tf 72 720 Td ({text}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _user(email: str) -> User:
    return db.session.scalars(select(User).where(User.email == email)).one()


def _case_of(member: User) -> Case:
    return db.session.scalars(select(Case).where(Case.member_id == member.id)).one()


def load_messaging_demo() -> None:
    """Conversations for member@ and member2@ (French), written as if over the past weeks: the
    portal's clock is set back for each step, as the tests do."""
    real_now = clock.now
    member, member2 = _user("member@example.org"), _user("member2@example.org")
    advisor, advisor2 = _user("advisor@example.org"), _user("advisor2@example.org")
    case, case2 = _case_of(member), _case_of(member2)
    start = real_now()

    def at(days_ago: float):
        moment = start - timedelta(days=days_ago)
        clock.now = lambda: moment

    try:
        # 1. Answered, with the member's PDF attachment; the reply is unread by the member.
        at(9)
        documents = services.start_conversation(
            case,
            author=member,
            subject="Documents for my assessment",
            body=(
                "Hello,\n\nAttached is the summary of my continuing education for the last two "
                "years, as discussed on the phone.\n\nJordan Lee"
            ),
            uploads=[
                CheckedUpload(
                    name="CME summary 2024-2025.pdf",
                    content_type=PDF,
                    data=tiny_pdf("Continuing education summary - demo"),
                )
            ],
        )
        at(8.9)
        services.record_view(documents, advisor, services.thread_page(documents, advisor, 1))
        at(8.8)
        services.post_message(
            documents,
            author=advisor,
            kind=MessageKind.NOTE,
            body="Summary checked against the college record: complete. Use it for factor 3.",
        )
        at(8)
        services.post_message(
            documents,
            author=advisor,
            kind=MessageKind.STAFF,
            body=(
                "Thank you, Dr. Lee. We have received your summary and added it to your "
                "assessment file. I will call you next week to discuss the education plan."
            ),
        )

        # 2. Overdue: the member's question has waited longer than the response time.
        at(6)
        overdue = services.start_conversation(
            case,
            author=member,
            subject="Question about the communication workshop",
            body=(
                "Is the workshop on disclosure conversations available online, or only in "
                "person? My shifts make weekday travel difficult."
            ),
        )
        services.assign(overdue, advisor, by=advisor)

        # 3. In French, with internal notes; two replies the member has not read yet.
        at(20)
        french = services.start_conversation(
            case2,
            author=member2,
            subject="Suivi de mon plan de formation",
            body=(
                "Bonjour,\n\nJ'ai terminé le module sur le consentement éclairé. Pouvons-nous "
                "planifier la prochaine rencontre de suivi?\n\nAmélie Gagnon"
            ),
        )
        at(19.5)
        services.record_view(french, advisor2, services.thread_page(french, advisor2, 1))
        services.post_message(
            french,
            author=advisor2,
            kind=MessageKind.NOTE,
            body="Module completion confirmed in the e-learning system. Propose a date in May.",
        )
        services.post_message(
            french,
            author=advisor,
            kind=MessageKind.NOTE,
            body="Agreed. Samuel takes the follow-up meetings for this case.",
        )
        services.assign(french, advisor2, by=advisor)
        at(19)
        services.post_message(
            french,
            author=advisor2,
            kind=MessageKind.STAFF,
            body=(
                "Bonjour Dre Gagnon,\n\nFélicitations pour le module. Je vous propose une "
                "rencontre le 14 mai à 12 h 30, par téléphone. Cela vous convient-il?"
            ),
        )
        at(2)
        services.post_message(
            french,
            author=advisor2,
            kind=MessageKind.STAFF,
            body="Petit rappel : merci de confirmer la date de notre rencontre de suivi.",
        )

        # 4. Recent and unread by the team.
        at(0.1)
        services.start_conversation(
            case2,
            author=member2,
            subject="Question sur l'audit de dossiers",
            body=(
                "Pour l'audit de mes dossiers, dois-je choisir moi-même les dossiers à "
                "examiner, ou est-ce l'équipe qui les choisit?"
            ),
        )
    finally:
        clock.now = real_now

    db.session.add_all(
        [
            CannedReply(
                title="Acknowledgement",
                body_en=(
                    "Thank you for your message. We have received it and will reply within "
                    "two business days."
                ),
                body_fr=(
                    "Merci de votre message. Nous l'avons bien reçu et nous vous répondrons "
                    "dans un délai de deux jours ouvrables."
                ),
                updated_by_id=_user("admin@example.org").id,
            ),
            CannedReply(
                title="Meeting proposal",
                body_en=(
                    "Could we schedule a follow-up call? Please suggest two times that suit you."
                ),
                body_fr=(
                    "Pourrions-nous planifier un appel de suivi? Proposez-moi deux moments qui "
                    "vous conviennent."
                ),
                updated_by_id=_user("admin@example.org").id,
            ),
        ]
    )
