"""Passwords, session tokens and login throttling.

- Passwords: argon2id (RFC 9106), memory-hard, via argon2-cffi; the hash string carries its own
  parameters and salt, so raising the cost later only needs `needs_rehash` at the next login.
  Hashing costs ~50 ms of CPU and 64 MiB: it runs in a worker thread, never on the event loop.
- Sessions: a random token in an HttpOnly cookie; the database keeps only its SHA-256, so a copy of
  the sessions table cannot be replayed. A second random token, the CSRF token, is handed to the page
  and must come back in the `X-CSRF-Token` header on every state-changing request: a cross-site form
  or fetch can make the browser send the cookie but cannot read the token.
- Login throttling counts failures in the database, so every app instance enforces the same limit.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

SESSION_COOKIE = "auction_session"
CSRF_HEADER = "X-CSRF-Token"



@dataclass(frozen=True)
class Passwords:
    """An argon2id hasher with its parameters, and a dummy hash made with the same parameters.

    Verifying against the dummy when the user does not exist costs the same time as a real check,
    so response times do not reveal which user names exist.
    """

    hasher: PasswordHasher
    dummy_hash: str


def make_passwords(time_cost: int = 3, memory_kib: int = 65536, parallelism: int = 4) -> Passwords:
    """argon2id with RFC 9106's second recommended profile by default (t=3, m=64 MiB, p=4)."""
    hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism,
                            type=Type.ID)
    return Passwords(hasher, hasher.hash(secrets.token_urlsafe(16)))


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


async def hash_password_async(passwords: Passwords, password: str) -> str:
    return await asyncio.to_thread(hash_password, passwords, password)


async def verify_password_async(passwords: Passwords, password_hash: str | None, password: str) -> bool:
    return await asyncio.to_thread(verify_password, passwords, password_hash, password)


@dataclass(frozen=True)
class NewSession:
    token: str  # goes to the browser in the cookie, never stored
    token_hash: bytes  # what the database keeps
    csrf_token: str


def new_session() -> NewSession:
    token = secrets.token_urlsafe(32)
    return NewSession(token, token_digest(token), secrets.token_urlsafe(32))


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def csrf_matches(expected: str, given: str | None) -> bool:
    """Constant-time comparison of the session's CSRF token with the header's."""
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())


def login_allowed(failures_by_user: int, failures_by_ip: int, max_per_user: int, max_per_ip: int) -> bool:
    """False once either the user name or the client address has failed too often in the window."""
    return failures_by_user < max_per_user and failures_by_ip < max_per_ip
