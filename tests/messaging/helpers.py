"""Plain helpers for the messaging tests (fixtures are in conftest.py)."""

from __future__ import annotations

import struct
import zlib

from flask import current_app

from portal.auth.models import User
from portal.cases.models import Case
from portal.extensions import db
from portal.messaging import services
from portal.messaging.demo import tiny_pdf
from portal.messaging.models import CannedReply, Conversation, MessageKind
from portal.uploads.services import JPEG, PDF, PNG, CheckedUpload


def pdf_bytes(text: str = "hello") -> bytes:
    return tiny_pdf(text)


def png_bytes() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def jpeg_bytes() -> bytes:
    # Start of image, a JFIF header, end of image: enough for a content check.
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def checked(name: str = "report.pdf", data: bytes | None = None) -> CheckedUpload:
    data = data if data is not None else pdf_bytes()
    kind = {b"%PDF": PDF, b"\x89PNG": PNG}.get(data[:4], JPEG)
    return CheckedUpload(name=name, content_type=kind, data=data)


def start_conversation(
    case: Case, author: User, *, subject="A question", body="Hello team", uploads=()
) -> Conversation:
    conversation = services.start_conversation(
        case, author=author, subject=subject, body=body, uploads=list(uploads)
    )
    db.session.commit()
    return conversation


def post(conversation: Conversation, author: User, kind: MessageKind, body: str, uploads=()):
    message = services.post_message(
        conversation, author=author, kind=kind, body=body, uploads=list(uploads)
    )
    db.session.commit()
    return message


def routing_objects(case: Case, member: User, staff: User, admin: User, upload_dir) -> dict:
    """A conversation on `case` with an attachment, and a canned reply: real objects for the
    access-rule walk (tests/security/test_access_rules.py)."""
    current_app.config["UPLOAD_DIR"] = str(upload_dir)
    conversation = start_conversation(case, member, uploads=[checked()])
    post(conversation, staff, MessageKind.STAFF, "Thank you")
    canned = CannedReply(title="Thanks", body_en="Thank you.", body_fr="Merci.")
    db.session.add(canned)
    db.session.commit()
    attachment = services.transcript_messages(conversation, member)[0].attachments[0]
    return {
        "conversation_id": conversation.id,
        "attachment_id": attachment.id,
        "canned_reply_id": canned.id,
    }
