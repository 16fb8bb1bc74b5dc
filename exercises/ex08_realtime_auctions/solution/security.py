"""Passwords: hash with argon2id, verify at a constant cost, notice hashes made with old parameters.

The hasher and its dummy hash come from the provided `accounts.make_passwords`; sessions, CSRF and
login throttling are provided too (`accounts.py`, `sql/logins.sql`).
"""

from __future__ import annotations

from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ..accounts import Passwords


def hash_password(passwords: Passwords, password: str) -> str:
    """An argon2id hash string (`$argon2id$v=19$m=...,t=...,p=...$salt$hash`)."""
    return passwords.hasher.hash(password)


def verify_password(passwords: Passwords, password_hash: str | None, password: str) -> bool:
    """True when `password` matches; a missing user costs the same time as a wrong password."""
    try:
        matched = passwords.hasher.verify(password_hash or passwords.dummy_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    return matched and password_hash is not None


def needs_rehash(passwords: Passwords, password_hash: str) -> bool:
    """True when the hash was made with other parameters than today's (e.g. a raised cost)."""
    return passwords.hasher.check_needs_rehash(password_hash)
