"""Account passwords: Personium's policy, stored only as argon2id hashes."""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from cellar.errors import PersoniumError

#: ``security.auth.password.regex`` default, within the hard limit of 1..256 characters.
PASSWORD_POLICY = re.compile(r"^[a-zA-Z0-9-_!$*=^`{|}~.@]{6,32}$")
ALGORITHM = "argon2id"
# OWASP's argon2id baseline (19 MiB, 2 passes): affordable for many concurrent logins.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def check_policy(password: str) -> None:
    if not 1 <= len(password) <= 256 or not PASSWORD_POLICY.match(password):
        raise PersoniumError("PR400-AU-0001")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Constant work whether or not an account has a password (timing hardening)."""
    if stored is None:
        _HASHER.hash(password)
        return False
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
