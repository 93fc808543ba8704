"""Password policy and hashing: argon2id, 12 to 128 characters, no composition rules, and none of
the 20,000 most common passwords (NIST SP 800-63B, OWASP ASVS V6)."""

import gzip
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import lazy_gettext as _l

MIN_LENGTH = 12
MAX_LENGTH = 128
COMMON_PASSWORDS = Path(__file__).parent / "data" / "common-passwords.txt.gz"

# argon2id with OWASP's recommended configuration (Password Storage Cheat Sheet: 19 MiB, t=2,
# p=1). argon2-cffi's default (RFC 9106's 64 MiB, t=3, p=4) took each gunicorn worker that checked a
# password from about 120 MB to 182 MB, above the 150 MB a worker may use (docs/performance.md),
# and multiplied the memory a burst of sign-ins can demand. Hashes made with other parameters are
# still verified, and replaced with these at the next sign-in (`needs_rehash`).
# The test suite asks for the cheapest parameters so that it is not dominated by hashing.
HASHERS = {
    "standard": PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1),
    "fast-for-tests": PasswordHasher(time_cost=1, memory_cost=8, parallelism=1),
}


def _hasher() -> PasswordHasher:
    return HASHERS[current_app.config["PASSWORD_HASHING"]]


@cache
def _dummy_hash(profile: str) -> str:
    """A hash of a random password: verifying against it when an account has no usable password
    keeps the time a failed sign-in takes the same whether or not the account exists."""
    return HASHERS[profile].hash("a password no account has 9f8e7d6c")


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
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    profile = current_app.config["PASSWORD_HASHING"]
    try:
        verified = _hasher().verify(password_hash or _dummy_hash(profile), password)
    except (VerificationError, InvalidHashError):
        return False
    return verified and password_hash is not None


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)
