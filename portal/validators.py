"""Form validators every feature shares."""

import unicodedata

from flask_babel import lazy_gettext as _l
from wtforms.validators import StopValidation


def visible_text(text: str | None) -> str:
    """`text` without the characters a reader cannot see at its ends: white space of every kind
    (non-breaking spaces included) and format characters such as the zero-width space (U+200B)
    and word joiner (U+2060)."""
    if not text:
        return ""
    start, end = 0, len(text)
    while start < end and _invisible(text[start]):
        start += 1
    while end > start and _invisible(text[end - 1]):
        end -= 1
    return text[start:end]


def _invisible(char: str) -> bool:
    return char.isspace() or unicodedata.category(char) in ("Cf", "Zs", "Zl", "Zp")


class Meaningful:
    """Required, and more than spaces or invisible characters: text made only of those is no
    reason, name or comment."""

    field_flags = {"required": True}

    def __init__(self, message=None):
        self.message = message

    def __call__(self, form, field):
        if not visible_text(field.data if isinstance(field.data, str) else ""):
            field.errors[:] = []
            raise StopValidation(self.message or _l("This field is required."))
