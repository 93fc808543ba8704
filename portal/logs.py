"""What the portal writes to its logs carries no secret.

Passwords, sign-in codes and message bodies are never handed to a logger; SQL statements are logged
and raised without their values (`hide_parameters` in config.py). The one secret that travels in a
URL is the single-use token of a link (`/invitation/<token>`, `/reset-password/<token>`…): an
access log would print it, so the development server's access log shows `…` in its place.
"""

from __future__ import annotations

import logging
import re

from flask import Flask

ACCESS_LOGGERS = ("werkzeug",)
HIDDEN = "…"


class HideLinkTokens(logging.Filter):
    """Replaces the token of every route with a `<token>` part, in the record's text and
    arguments."""

    def __init__(self, app: Flask):
        super().__init__()
        prefixes = sorted(
            {
                re.escape(rule.rule.split("<token>")[0])
                for rule in app.url_map.iter_rules()
                if "token" in rule.arguments
            }
        )
        self.pattern = re.compile(f'({"|".join(prefixes)})[^/?#\\s"]+') if prefixes else None

    def hide(self, value):
        if self.pattern is None or not isinstance(value, str):
            return value
        return self.pattern.sub(lambda match: match.group(1) + HIDDEN, value)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.hide(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(self.hide(argument) for argument in record.args)
        return True


def hide_link_tokens_in_access_logs(app: Flask) -> None:
    for name in ACCESS_LOGGERS:
        logger = logging.getLogger(name)
        # One filter per logger, whichever app was created last (the tests create many).
        for old in [f for f in logger.filters if isinstance(f, HideLinkTokens)]:
            logger.removeFilter(old)
        logger.addFilter(HideLinkTokens(app))
