"""The portal's one source of the current time.

Every timeout, expiry and timestamp asks `clock.now()`, so tests can move time with
`monkeypatch.setattr(clock, "now", ...)` instead of sleeping.
"""

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)
