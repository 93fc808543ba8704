"""Thin views: load with the access check → form → service → commit → redirect or render."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from portal import clock, ratelimits
from portal.access import Access, access
from portal.audit.services import record
from portal.auth.forms import ConfirmForm
from portal.cases.services import current_case_of, ensure_case_open, get_case_for
from portal.extensions import db
from portal.messaging import bp, services
from portal.messaging.forms import (
    AssignForm,
    CannedReplyForm,
    InboxFilterForm,
    NewConversationForm,
    NoteForm,
    ReplyForm,
)
from portal.messaging.models import CannedReply, MessageKind
from portal.notifications.services import frequency_for
from portal.pagination import paginate
from portal.uploads.services import UploadStorageError, file_response


def _storage_failed(form) -> None:
    """The upload folder could not be written: nothing was kept, and the form comes back with
    what was typed."""
    db.session.rollback()
    form.attachments.errors.append(
        _(
            "Your files could not be saved, so nothing was sent. Please try again later; "
            "if it happens again, call the MSP team."
        )
    )


def _notice() -> dict:
    return {
        "response_days": current_app.config["MESSAGING_RESPONSE_BUSINESS_DAYS"],
        "urgent_phone": current_app.config["MESSAGING_URGENT_PHONE"],
    }


# --- Members' and staff's lists ------------------------------------------------------------------


@bp.route("/")
@access(Access.MEMBER)
def index():
    page = paginate(services.member_conversations_query(current_user), request.args.get("page"))
    unread = services.unread_by_conversation(current_user, [c.id for c in page.items])
    return render_template(
        "messaging/index.html",
        page=page,
        unread=unread,
        frequency=frequency_for(current_user),
        case=current_case_of(current_user),
    )


@bp.route("/inbox")
@access(Access.STAFF)
def inbox():
    form = InboxFilterForm(formdata=request.args)
    if not form.validate():
        form.show.data = ""
    now = clock.now()
    query = services.inbox_query(
        current_user, show=form.show.data or None, search=form.q.data, now=now
    )
    page = paginate(query, request.args.get("page"))
    unread = services.unread_by_conversation(current_user, [c.id for c in page.items])
    return render_template(
        "messaging/inbox.html",
        page=page,
        unread=unread,
        form=form,
        now=now,
        filters={"show": form.show.data or None, "q": form.q.data or None},
        frequency=frequency_for(current_user),
    )


# --- Starting a conversation ---------------------------------------------------------------------


def _within_limits(form) -> bool:
    """The per-user limits on messages and files; a refused form keeps its text."""
    if not ratelimits.allow("message", current_user):
        form.form_errors.append(
            _(
                "You have sent many messages in a short time. Wait a few minutes, then send "
                "again: your text is kept below."
            )
        )
        return False
    if form.attachments.uploads and not ratelimits.allow("upload", current_user):
        form.attachments.errors.append(
            _("You have sent many files today. Send the message without them, or try tomorrow.")
        )
        return False
    return True


def _start(case, form: NewConversationForm):
    if form.validate_on_submit() and _within_limits(form):
        try:
            conversation = services.start_conversation(
                case,
                author=current_user,
                subject=form.subject.data,
                body=form.body.data,
                uploads=form.attachments.uploads,
            )
        except UploadStorageError:
            _storage_failed(form)
        else:
            db.session.commit()
            flash(_("Your message was sent."), "success")
            return redirect(url_for("messaging.show", conversation_id=conversation.id))
    return render_template("messaging/new.html", form=form, case=case, **_notice())


@bp.route("/new", methods=["GET", "POST"])
@access(Access.MEMBER)
def new():
    case = current_case_of(current_user)
    if case is None:
        flash(_("You have no case in the program, so there is no team to write to."), "error")
        return redirect(url_for("messaging.index"))
    ensure_case_open(case)
    return _start(case, NewConversationForm())


@bp.route("/cases/<int:case_id>/new", methods=["GET", "POST"])
@access(Access.STAFF)
def start_for_case(case_id: int):
    case = get_case_for(current_user, case_id)
    return _start(case, NewConversationForm())


# --- A conversation -----------------------------------------------------------------------------


def _conversation_page(conversation, *, reply_form=None, note_form=None):
    """Render the thread (an audited view that marks what is shown as read)."""
    thread = services.thread_page(conversation, current_user, request.args.get("page"))
    services.record_view(conversation, current_user, thread)
    reply_form = reply_form or ReplyForm(formdata=None)
    context = {}
    if current_user.is_staff:
        reply_form.canned_reply_id.choices = [SelectChoice(0, "—")] + [
            SelectChoice(c.id, c.title) for c in services.canned_replies()
        ]
        assign_form = AssignForm(formdata=None, assignee_id=conversation.assigned_to_id or 0)
        assign_form.assignee_id.choices = _assignee_choices(conversation)
        context = {
            "note_form": note_form or NoteForm(formdata=None),
            "assign_form": assign_form,
            "confirm_form": ConfirmForm(formdata=None),
        }
    page = render_template(
        "messaging/show.html",
        conversation=conversation,
        thread=thread,
        reply_form=reply_form,
        now=clock.now(),
        **context,
        **_notice(),
    )
    # Committed after rendering: a commit expires every loaded object, and the page would then
    # reload its messages one by one. The page already sees the view's own writes (read marker,
    # receipts) inside this transaction; if the commit fails, an error page is sent instead.
    db.session.commit()
    return page


def _assignee_choices(conversation) -> list[SelectChoice]:
    return [SelectChoice(0, _("Nobody: the whole case team is notified"))] + [
        SelectChoice(user.id, user.name) for user in services.assignee_choices(conversation)
    ]


@bp.route("/<int:conversation_id>")
@access(Access.AUTHENTICATED)
def show(conversation_id: int):
    conversation = services.get_conversation_for(current_user, conversation_id)
    return _conversation_page(conversation)


@bp.route("/<int:conversation_id>/reply", methods=["POST"])
@access(Access.AUTHENTICATED)
def reply(conversation_id: int):
    conversation = services.get_conversation_for(current_user, conversation_id)
    form = ReplyForm()
    if current_user.is_staff and form.insert_canned.data:
        # Inserting changes nothing: the page comes back with the text added to the draft.
        canned = db.session.get(CannedReply, form.canned_reply_id.data or 0)
        if canned is not None:
            form.body.data = services.with_canned_text(
                form.body.data, canned, conversation.case.member.language
            )
        return _conversation_page(conversation, reply_form=form)
    if form.validate_on_submit() and _within_limits(form):
        kind = MessageKind.STAFF if current_user.is_staff else MessageKind.MEMBER
        try:
            services.post_message(
                conversation,
                author=current_user,
                kind=kind,
                body=form.body.data,
                uploads=form.attachments.uploads,
            )
        except UploadStorageError:
            _storage_failed(form)
        else:
            db.session.commit()
            flash(_("Your message was sent."), "success")
            return redirect(url_for("messaging.show", conversation_id=conversation_id))
    return _conversation_page(conversation, reply_form=form)


@bp.route("/<int:conversation_id>/notes", methods=["POST"])
@access(Access.STAFF)
def add_note(conversation_id: int):
    conversation = services.get_conversation_for(current_user, conversation_id)
    form = NoteForm()
    if form.validate_on_submit() and _within_limits(form):
        try:
            services.post_message(
                conversation,
                author=current_user,
                kind=MessageKind.NOTE,
                body=form.body.data,
                uploads=form.attachments.uploads,
            )
        except UploadStorageError:
            _storage_failed(form)
        else:
            db.session.commit()
            flash(_("Your internal note was added. The member cannot see it."), "success")
            return redirect(url_for("messaging.show", conversation_id=conversation_id))
    return _conversation_page(conversation, note_form=form)


@bp.route("/<int:conversation_id>/assign", methods=["POST"])
@access(Access.STAFF)
def assign(conversation_id: int):
    conversation = services.get_conversation_for(current_user, conversation_id)
    candidates = services.assignee_choices(conversation)
    form = AssignForm()
    form.assignee_id.choices = [SelectChoice(0, "")] + [
        SelectChoice(u.id, u.name) for u in candidates
    ]
    if form.validate_on_submit():
        assignee = next((u for u in candidates if u.id == form.assignee_id.data), None)
        services.assign(conversation, assignee, by=current_user)
        db.session.commit()
        if assignee is None:
            flash(_("The conversation is unassigned: the whole case team is notified."), "success")
        else:
            flash(_("The conversation is assigned to %(name)s.", name=assignee.name), "success")
    else:
        flash(_("Choose someone from the list."), "error")
    return redirect(url_for("messaging.show", conversation_id=conversation_id))


@bp.route("/<int:conversation_id>/no-reply-needed", methods=["POST"])
@access(Access.STAFF)
def no_reply_needed(conversation_id: int):
    conversation = services.get_conversation_for(current_user, conversation_id)
    if ConfirmForm().validate_on_submit():
        services.mark_no_reply_needed(conversation, by=current_user)
        db.session.commit()
        flash(_("The conversation no longer awaits a reply."), "success")
    return redirect(url_for("messaging.show", conversation_id=conversation_id))


@bp.route("/<int:conversation_id>/transcript")
@access(Access.AUTHENTICATED)
def transcript(conversation_id: int):
    conversation = services.get_conversation_for(current_user, conversation_id)
    messages = services.transcript_messages(conversation, current_user)
    record(
        "conversation.downloaded",
        object_type="conversation",
        object_id=conversation.id,
        case_id=conversation.case_id,
    )
    db.session.commit()
    body = render_template("messaging/transcript.txt", conversation=conversation, messages=messages)
    response = current_app.response_class(body, mimetype="text/plain")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="conversation-{conversation.id}.txt"'
    )
    return response


@bp.route("/attachments/<int:attachment_id>")
@access(Access.AUTHENTICATED)
def attachment(attachment_id: int):
    found = services.get_attachment_for(current_user, attachment_id)
    record(
        "attachment.downloaded",
        object_type="attachment",
        object_id=found.id,
        case_id=found.message.conversation.case_id,
    )
    db.session.commit()
    return file_response(found.file)


# --- Canned replies (admins) --------------------------------------------------------------------


@bp.route("/canned-replies", methods=["GET", "POST"])
@access(Access.ADMIN)
def canned_replies():
    form = CannedReplyForm()
    if form.validate_on_submit():
        services.save_canned_reply(
            None,
            title=form.title.data,
            body_en=form.body_en.data,
            body_fr=form.body_fr.data,
            by=current_user,
        )
        db.session.commit()
        flash(_("The canned reply is saved."), "success")
        return redirect(url_for("messaging.canned_replies"))
    return render_template(
        "messaging/canned_replies.html",
        replies=services.canned_replies(),
        form=form,
        confirm_form=ConfirmForm(formdata=None),
    )


@bp.route("/canned-replies/<int:canned_reply_id>", methods=["GET", "POST"])
@access(Access.ADMIN)
def edit_canned_reply(canned_reply_id: int):
    canned = db.session.get(CannedReply, canned_reply_id) or abort(404)
    form = CannedReplyForm(obj=canned)
    if form.validate_on_submit():
        services.save_canned_reply(
            canned,
            title=form.title.data,
            body_en=form.body_en.data,
            body_fr=form.body_fr.data,
            by=current_user,
        )
        db.session.commit()
        flash(_("The canned reply is saved."), "success")
        return redirect(url_for("messaging.canned_replies"))
    return render_template("messaging/canned_reply_edit.html", form=form, canned=canned)


@bp.route("/canned-replies/<int:canned_reply_id>/delete", methods=["POST"])
@access(Access.ADMIN)
def delete_canned_reply(canned_reply_id: int):
    canned = db.session.get(CannedReply, canned_reply_id) or abort(404)
    if ConfirmForm().validate_on_submit():
        services.delete_canned_reply(canned, by=current_user)
        db.session.commit()
        flash(_("The canned reply is deleted."), "success")
    return redirect(url_for("messaging.canned_replies"))
