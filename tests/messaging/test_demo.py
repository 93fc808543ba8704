"""`flask demo` gives messaging something real to show: conversations for both demo members (one
in French), unread messages on each side, an attachment, internal notes and an overdue one."""

from portal import clock
from portal.auth.models import User
from portal.extensions import db
from portal.messaging import services
from portal.messaging.models import Conversation, Message, MessageAttachment, MessageKind
from portal.uploads.services import detect_content_type, upload_dir


def _user(email: str) -> User:
    return db.session.scalars(db.select(User).where(User.email == email)).one()


def test_demo_conversations(app):
    assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0
    member, member2 = _user("member@example.org"), _user("member2@example.org")
    advisor = _user("advisor@example.org")
    conversations = db.session.scalars(db.select(Conversation)).all()
    owners = {c.case.member.email for c in conversations}
    assert owners == {"member@example.org", "member2@example.org"}
    assert services.unread_count_for(member) >= 1
    assert services.unread_count_for(member2) >= 1
    assert services.unread_count_for(advisor) >= 1
    assert any(services.is_overdue(c, clock.now()) for c in conversations)
    assert db.session.scalar(
        db.select(db.func.count()).select_from(Message).where(Message.kind == MessageKind.NOTE)
    )
    attachment = db.session.scalars(db.select(MessageAttachment)).one()
    data = (upload_dir() / attachment.file.storage_name).read_bytes()
    assert detect_content_type(data) == "application/pdf"
    assert attachment.message.conversation.case.member_id == member.id
