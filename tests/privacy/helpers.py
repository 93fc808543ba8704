"""Plain helpers for the archive tests: a member's file filled through the real services, and
reading a downloaded archive."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass

from portal.activities import services as activities
from portal.assessment import services as assessment
from portal.assessment.models import Position
from portal.audit.services import record
from portal.checkins import services as checkins
from portal.extensions import db
from portal.messaging.models import MessageKind
from portal.plan import services as plan
from tests.activities.helpers import activate_plan, activity, pdf_bytes, upload
from tests.checkins.helpers import schedule
from tests.messaging.helpers import checked, post, start_conversation
from tests.programme import release_assessment

# Words that are in the portal but must never be in the member's archive.
DRAFT_ASSESSMENT = "DRAFT-ASSESSMENT-SECRET"
DRAFT_PLAN = "DRAFT-PLAN-SECRET"
INTERNAL_NOTE = "INTERNAL-NOTE-SECRET"
NOTE_ATTACHMENT = "note-attachment-secret"
CHECK_IN_NOTES = "INTERNAL-CHECKIN-SECRET"
OTHER_MEMBER = "OTHER-MEMBER-SECRET"
NEVER_IN_ARCHIVE = (
    DRAFT_ASSESSMENT,
    DRAFT_PLAN,
    INTERNAL_NOTE,
    NOTE_ATTACHMENT,
    CHECK_IN_NOTES,
    OTHER_MEMBER,
)

# An evidence file's name as an uploader might try it (the archive must make it safe).
HOSTILE_NAME = "..\\../CON:<evil>?.pdf"


def fill_file(case, lead, frozen_clock) -> dict:
    """Every kind of record on the member's case, through the services: a released assessment with
    the member's perspective and acknowledgement, an active plan with input, evidence (sent,
    returned, sent again under the same name, and one under a hostile name), a conversation with
    attachments both ways, check-ins (one held, one with a request to reschedule), staff views of
    the file; and what the member must not see: drafts, an internal note with an attachment, a
    check-in's internal notes. Returns the bytes of each file, by the name it should have in the
    archive."""
    member = case.member
    version = activate_plan(case, lead)
    released = assessment.released_version(case)
    assessment.record_perspective(
        released,
        case=case,
        member=member,
        responses=[
            assessment.FactorResponse(
                released.factors[0].key,
                Position.AGREE_WITH_CONTEXT,
                "A very busy clinic that year.",
            )
        ],
        overall="I want to improve my discharge conversations.",
    )
    assessment.acknowledge(released, case=case, member=member)
    plan.record_input(
        version,
        case=case,
        member=member,
        given=plan.MemberInput(availability="Evenings after clinic", comment="Looks right to me."),
    )
    db.session.commit()

    files = {
        "evidence/certificate.pdf": pdf_bytes("evidence one"),
        "evidence/Certificate (2).pdf": pdf_bytes("evidence two"),
        "evidence/CON__evil__.pdf": pdf_bytes("evidence three"),
        "attachments/my-notes.pdf": pdf_bytes("member attachment"),
        "attachments/my-notes (2).pdf": pdf_bytes("staff attachment"),
    }
    first = activity(case, "Communication e-learning")
    activities.submit_evidence(
        case,
        first,
        by=member,
        upload=upload("certificate.pdf", files["evidence/certificate.pdf"]),
        learned="Teach-back works.",
        practice_change="I will use teach-back at every discharge.",
    )
    db.session.commit()
    activities.return_activity(case, first, by=lead, comment="Please add the page with your name.")
    db.session.commit()
    activities.submit_evidence(
        case,
        first,
        by=member,
        upload=upload("Certificate.PDF", files["evidence/Certificate (2).pdf"]),
        learned="Teach-back works, second try.",
        practice_change="Every discharge.",
    )
    activities.submit_evidence(
        case,
        activity(case, "Teach-back workshop"),
        by=member,
        upload=upload(HOSTILE_NAME, files["evidence/CON__evil__.pdf"]),
        learned="Role play helps.",
        practice_change="Practise with colleagues.",
    )
    db.session.commit()

    conversation = start_conversation(
        case,
        member,
        subject="About my workshop",
        body="Can I move the workshop to the spring?",
        uploads=[checked("my-notes.pdf", files["attachments/my-notes.pdf"])],
    )
    post(
        conversation,
        lead,
        MessageKind.NOTE,
        INTERNAL_NOTE,
        uploads=[checked(f"{NOTE_ATTACHMENT}.pdf", pdf_bytes("note attachment"))],
    )
    post(
        conversation,
        lead,
        MessageKind.STAFF,
        "Yes, of course: see the attached dates.",
        uploads=[checked("my-notes.pdf", files["attachments/my-notes (2).pdf"])],
    )

    held = schedule(case, lead)
    frozen_clock.advance(days=4)
    checkins.record_outcome(
        held,
        by=lead,
        outcome=checkins.Outcome(
            held=True,
            internal_notes=CHECK_IN_NOTES,
            member_summary="We reviewed your progress together.",
            plan_change=None,
        ),
    )
    db.session.commit()
    upcoming = schedule(case, lead)
    checkins.request_reschedule(
        upcoming, member=member, reason="I am on call that day.", preferred_times="Tuesday mornings"
    )

    record("case.viewed", actor=lead, object_type="case", object_id=case.id, case_id=case.id)
    record("assessment.viewed", actor=member, case_id=case.id, detail="page v1")  # their own
    record("plan.viewed", actor=lead, case_id=case.id, detail="staff v1")

    draft = assessment.start_draft(case, by=lead)
    assessment.update_summary(
        draft,
        period_start_year=draft.period_start_year,
        period_end_year=draft.period_end_year,
        member_rate=None,
        peer_rate=None,
        narrative=DRAFT_ASSESSMENT,
    )
    plan_draft = plan.start_draft(case, by=lead)
    plan.save_goal(plan_draft, None, title=DRAFT_PLAN, description="", factor_keys=[])
    db.session.commit()
    return files


def fill_other_file(case, lead) -> None:
    """Another member's records, none of which may reach the first member's archive."""
    release_assessment(case, lead)
    start_conversation(
        case,
        case.member,
        subject=OTHER_MEMBER,
        body=OTHER_MEMBER,
        uploads=[checked(f"{OTHER_MEMBER}.pdf", pdf_bytes("other member"))],
    )


@dataclass
class Archive:
    names: list[str]
    readme: str
    data: dict
    files: dict[str, bytes]

    @property
    def everything(self) -> str:
        """Every entry's name and text (files as Latin-1), to search for what must not be there."""
        texts = [*self.names, self.readme, json.dumps(self.data, ensure_ascii=False)]
        texts += [content.decode("latin-1") for content in self.files.values()]
        return "\n".join(texts)


def read_archive(content: bytes) -> Archive:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        return Archive(
            names=names,
            readme=archive.read("README.html").decode("utf-8"),
            data=json.loads(archive.read("data.json")),
            files={
                name: archive.read(name)
                for name in names
                if name not in {"README.html", "data.json"}
            },
        )
