"""Password policy and hashing: argon2id, 12 to 128 characters, no composition rules, and none of
the 20,000 most common passwords (NIST SP 800-63B, OWASP ASVS V6)."""

import gzip
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import lazy_gettext as _l

MIN_LENGTH = 12
MAX_LENGTH = 128
COMMON_PASSWORDS = Path(__file__).parent / "data" / "common-passwords.txt.gz"

_hasher = PasswordHasher()  # argon2id with the library's RFC 9106 "low memory" parameters

# A hash of a random password: verifying against it when an account has no usable password keeps
# the time a failed login takes the same whether or not the account exists.
_DUMMY_HASH = _hasher.hash("a password no account has 9f8e7d6c")


@cache
def _common_passwords() -> frozenset[str]:
    with gzip.open(COMMON_PASSWORDS, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip().lower() for line in lines if line.strip())


def password_problem(password: str, *, email: str | None = None):
    """Why `password` is refused, as a translatable message; None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return _l("Use at least %(n)d characters.", n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _l("Use at most %(n)d characters.", n=MAX_LENGTH)
    if password.lower() in _common_passwords():
        return _l("This password is too common; choose another.")
    if email and password.lower() == email.lower():
        return _l("Your password must not be your email address.")
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
