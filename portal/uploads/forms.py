"""A form field for attachments, reusable by any feature that takes uploads."""

from __future__ import annotations

from flask import current_app
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_wtf.file import MultipleFileField
from wtforms.validators import ValidationError

from portal.uploads.services import CheckedUpload, UploadRejected, check_upload, megabytes

ACCEPT = ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"


def _limits() -> str:
    config = current_app.config
    return _(
        "Optional. PDF, PNG or JPEG files, at most %(size)s each and %(count)d at a time.",
        size=megabytes(config["UPLOAD_MAX_BYTES"]),
        count=config["UPLOAD_MAX_FILES"],
    )


class UploadsField(MultipleFileField):
    """Up to UPLOAD_MAX_FILES files, each checked by content. Once the form validates,
    `field.uploads` holds the accepted files, ready for `uploads.services.store_upload`."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("description", LazyString(_limits))
        kwargs.setdefault("render_kw", {"accept": ACCEPT})
        super().__init__(label, validators, **kwargs)
        self.uploads: list[CheckedUpload] = []

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        # A file input left empty still sends a part, without a file name.
        self.data = [file for file in self.data or [] if file and file.filename]

    def pre_validate(self, form):
        self.uploads = []
        files = self.data or []
        most = current_app.config["UPLOAD_MAX_FILES"]
        if len(files) > most:
            raise ValidationError(_("Attach at most %(count)d files.", count=most))
        problems = []
        for file in files:
            try:
                self.uploads.append(check_upload(file))
            except UploadRejected as problem:
                problems.append(str(problem))
        if problems:
            self.uploads = []
            raise ValidationError(" ".join(problems))
