"""Accounts (provided): the argon2id hasher's parameters, session and CSRF tokens, login throttling.

- Passwords: argon2id (RFC 9106), memory-hard, via argon2-cffi; the hash string carries its own
  parameters and salt, so raising the cost later only needs `needs_rehash` at the next login.
  Hashing costs ~50 ms of CPU and 64 MiB: the app runs it in a worker thread, never on the event
  loop. The implementation's `security.py` hashes and verifies.
- Sessions: a random token in an HttpOnly cookie; the database keeps only its SHA-256, so a copy of
  the sessions table cannot be replayed. A second random token, the CSRF token, is handed to the page
  and must come back in the `X-CSRF-Token` header on every state-changing request: a cross-site form
  or fetch can make the browser send the cookie but cannot read the token.
- Login throttling (OWASP ASVS 4.0.3 V2.2.1) is counted in the database (`sql/logins.sql`), so every
  instance enforces the same limits, and keyed so that an attacker cannot lock the owner out: the
  back-off is per (account, client address), and the account-wide limit is a soft lock that
  addresses the account has logged in from before still pass.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher, Type

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


@dataclass(frozen=True)
class LoginLimits:
    """The throttle's numbers (from `config.Settings`)."""

    free_attempts: int = 5  # per (account, address) before the back-off starts
    backoff_base_s: float = 1.0  # the first wait; it doubles with each further attempt
    backoff_max_s: float = 900.0
    window_s: float = 900.0  # a pair's attempts are forgotten after this long without one
    account_max_failures: int = 100  # per account per account_window_s (ASVS: at most 100 an hour)
    account_window_s: float = 3600.0
    address_max_failures: int = 50  # per address over all accounts per window_s
    known_for_s: float = 90 * 24 * 3600.0  # how long a successful login makes an address "known"

    def query_args(self) -> dict[str, Any]:
        """The parameters `login_gate` and `take_login_attempt` take."""
        return {"window_s": self.window_s, "account_window_s": self.account_window_s,
                "known_for_s": self.known_for_s}


@dataclass(frozen=True)
class Refusal:
    """Why a login is refused before its password is checked, and when to come back (seconds)."""

    detail: str
    retry_after_s: int


def login_refusal(gate: Mapping[str, Any], limits: LoginLimits) -> Refusal | None:
    """Decide from `login_gate`'s row whether this attempt may check a password at all."""
    if gate["blocked_s"]:
        return Refusal("too many failed logins from this address; try again later",
                       max(1, math.ceil(gate["blocked_s"])))
    if gate["address_failures"] >= limits.address_max_failures:
        return Refusal("too many failed logins from this address; try again later",
                       math.ceil(limits.window_s))
    if gate["account_failures"] >= limits.account_max_failures and not gate["known_address"]:
        return Refusal("this account is refusing logins from new addresses for a while; "
                       "log in from an address you have used before", 60)
    return None
