"""A local SMTP server for development: every email it receives is kept as an `.eml` file.

`make run` starts it (unless MAIL_SERVER is set) so that a newcomer can open the invitation and
reset emails the portal sends, from `instance/mail/`. The tests use the same server.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller


class EmlDirectoryHandler:
    """aiosmtpd handler writing each accepted message to `<directory>/<time>-<n>.eml`."""

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.count = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.count += 1
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")
        recipient = re.sub(r"[^A-Za-z0-9@._-]", "_", envelope.rcpt_tos[0])
        path = self.directory / f"{stamp}-{self.count:04d}-{recipient}.eml"
        path.write_bytes(envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"


def start_mailcatcher(
    directory: str | Path, host: str = "127.0.0.1", port: int = 8025
) -> Controller:
    controller = Controller(EmlDirectoryHandler(directory), hostname=host, port=port)
    controller.start()
    return controller


def read_mailbox(directory: str | Path) -> list[EmailMessage]:
    """Every message kept in `directory`, oldest first."""
    return [
        message_from_bytes(path.read_bytes(), policy=policy.default)
        for path in sorted(Path(directory).glob("*.eml"))
    ]
