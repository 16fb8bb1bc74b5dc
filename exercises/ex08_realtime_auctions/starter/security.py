"""Passwords: hash with argon2id, verify at a constant cost, notice hashes made with old parameters.

The hasher and its dummy hash come from the provided `accounts.make_passwords`; sessions, CSRF and
login throttling are provided too (`accounts.py`, `sql/logins.sql`).
"""

from __future__ import annotations

from argon2.exceptions import (  # noqa: F401 - you will need these
    InvalidHashError,
    VerificationError,
    VerifyMismatchError,
)

from ..accounts import Passwords


def hash_password(passwords: Passwords, password: str) -> str:
    """An argon2id hash string (`$argon2id$v=19$m=...,t=...,p=...$salt$hash`)."""
    raise NotImplementedError(
        'hash_password: return passwords.hasher.hash(password) (an argon2id string)'
    )


def verify_password(passwords: Passwords, password_hash: str | None, password: str) -> bool:
    """True when `password` matches; a missing user costs the same time as a wrong password."""
    raise NotImplementedError(
        'verify_password: verify against password_hash, or against '
        'passwords.dummy_hash when the user does not exist (same cost), and return '
        'False on any mismatch or invalid hash'
    )


def needs_rehash(passwords: Passwords, password_hash: str) -> bool:
    """True when the hash was made with other parameters than today's (e.g. a raised cost)."""
    raise NotImplementedError(
        "needs_rehash: ask the hasher whether the hash's parameters differ from "
        "today's"
    )
