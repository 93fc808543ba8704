"""Checking, storing and serving uploads.

A file is accepted for what it *is*, never for what it is called: its bytes must be a whole PDF,
PNG or JPEG. It is written under a random name in UPLOAD_DIR (outside `static/`, never served by
the web server directly) before its row is committed; if the transaction does not commit, the file
is removed again, so the disk holds no orphans and the database no row without its file.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from flask import abort, current_app, send_file
from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import event
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage

from portal.auth.models import User
from portal.extensions import db
from portal.uploads.models import StoredFile

log = logging.getLogger(__name__)

PDF, PNG, JPEG = "application/pdf", "image/png", "image/jpeg"
EXTENSIONS = {PDF: (".pdf",), PNG: (".png",), JPEG: (".jpg", ".jpeg")}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Files written in the current transaction, removed again unless it commits.
_PENDING = "uploads.pending_paths"


class UploadRejected(Exception):
    """A file refused for a reason its uploader can be told (already translated)."""


class UploadStorageError(Exception):
    """The upload folder could not be written: nothing was stored."""


@dataclass(frozen=True)
class CheckedUpload:
    name: str
    content_type: str
    data: bytes


def detect_content_type(data: bytes) -> str | None:
    """The type these bytes really are (PDF, PNG or JPEG, each whole), or None."""
    if data.startswith(b"%PDF-") and b"%%EOF" in data[-1024:]:
        return PDF
    if (
        data.startswith(PNG_SIGNATURE)
        and data[12:16] == b"IHDR"
        and data.rstrip(b"\x00")[-8:-4] == b"IEND"
    ):
        return PNG
    if data.startswith(b"\xff\xd8\xff") and data.rstrip(b"\x00")[-2:] == b"\xff\xd9":
        return JPEG
    return None


def sanitise_filename(name: str | None) -> str:
    """A display name: no folders, no control characters, at most 120 characters."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    name = " ".join(name.split()).strip(" .")
    if len(name) > 120:
        stem, dot, extension = name.rpartition(".")
        extension = extension[:10] if dot else ""
        name = (stem if dot else name)[: 120 - len(extension) - 1] + (
            "." + extension if extension else ""
        )
    return name or _("attachment")


def megabytes(size: int) -> str:
    return _("%(size)s MB", size=format_decimal(size / (1024 * 1024), format="#,##0.#"))


def check_upload(file: FileStorage) -> CheckedUpload:
    """The file's name, real type and bytes, or UploadRejected with a message for its uploader."""
    name = sanitise_filename(file.filename)
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    data = file.stream.read(limit + 1)
    if not data:
        raise UploadRejected(_("%(name)s is empty. Choose the file again.", name=name))
    if len(data) > limit:
        raise UploadRejected(
            _("%(name)s is larger than %(limit)s.", name=name, limit=megabytes(limit))
        )
    content_type = detect_content_type(data)
    if content_type is None:
        raise UploadRejected(
            _("%(name)s is not a PDF, PNG or JPEG file, or it is damaged.", name=name)
        )
    return CheckedUpload(name=name, content_type=content_type, data=data)


def upload_dir() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def store_upload(upload: CheckedUpload, *, uploaded_by: User | None) -> StoredFile:
    """Write the file under a random name and add its row to the session (the caller commits).
    If the transaction then does not commit, the file is removed again."""
    storage_name = secrets.token_hex(24)
    path = upload_dir() / storage_name
    pending = db.session.info.setdefault(_PENDING, [])
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        pending.append(path)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(upload.data)
            stream.flush()
            os.fsync(stream.fileno())
    except OSError as error:
        log.error("upload folder %s is not writable: %s", path.parent, error)
        raise UploadStorageError(str(error)) from error
    stored = StoredFile(
        storage_name=storage_name,
        original_name=upload.name,
        content_type=upload.content_type,
        size_bytes=len(upload.data),
        sha256=hashlib.sha256(upload.data).hexdigest(),
        uploaded_by_id=uploaded_by.id if uploaded_by else None,
    )
    db.session.add(stored)
    return stored


def download_name(stored: StoredFile) -> str:
    """The original name, with the extension of what the file really is."""
    extensions = EXTENSIONS[stored.content_type]
    name = stored.original_name
    return name if name.lower().endswith(extensions) else name + extensions[0]


def file_response(stored: StoredFile):
    """The file as a download. Call only after the caller's own access check."""
    path = upload_dir() / stored.storage_name
    if not path.is_file():
        log.error("stored file %s is missing from %s", stored.id, path.parent)
        abort(404)
    response = send_file(
        path,
        mimetype=stored.content_type,
        as_attachment=True,
        download_name=download_name(stored),
        conditional=False,
        etag=False,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Opened in the browser anyway, the file can run nothing and load nothing.
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


@event.listens_for(Session, "after_commit")
def _keep_committed_files(session: Session) -> None:
    session.info.pop(_PENDING, None)


@event.listens_for(Session, "after_transaction_end")
def _remove_uncommitted_files(session: Session, transaction) -> None:
    if transaction.parent is not None:
        return
    for path in session.info.pop(_PENDING, ()):
        try:
            path.unlink(missing_ok=True)
        except OSError as error:
            log.error("could not remove uncommitted upload %s: %s", path, error)
