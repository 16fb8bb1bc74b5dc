"""Provided: what both stores share, and what the API knows about any store.

The API never knows which store it talks to; it sees the `BookStore` protocol and three errors. The
learner writes the stores themselves (`starter/store.py`): `MemoryStore`, the seed's dictionary, and
`RedisStore`, whose compare-and-set must be atomic in Redis. This module holds the parts that are the
same whichever way those are written: the errors, the protocol, ids, the Redis client and key layout,
and the mapping of Redis connection failures to "store unavailable" (503, never 500).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, Protocol, TypeVar

import redis.asyncio as aioredis

from exercises.ex03_stateless_api_k8s.models import Book, BookIn

ANY_VERSION = None  # `expected_version=None`: no precondition (If-Match: * or no If-Match on DELETE)


class NotFoundError(LookupError):
    """No book with that id (never created, or deleted)."""


class StoreUnavailableError(Exception):
    """The store cannot be reached (Redis down, timeout): the API answers 503, the client retries."""


class VersionConflictError(Exception):
    """The book exists but is not at the version the client expected (its ETag is stale)."""

    def __init__(self, current_version: int) -> None:
        super().__init__(f"current version is {current_version}")
        self.current_version = current_version


class BookStore(Protocol):
    """What the API needs from storage. Every method is atomic on its own."""

    async def create(self, data: BookIn) -> Book:
        """Store a new book at version 1 with a fresh id."""
        ...

    async def get(self, book_id: str) -> Book:
        """The book, or NotFoundError."""
        ...

    async def list(self, limit: int, after: int | None) -> tuple[list[Book], int | None]:
        """Up to `limit` books created after cursor `after`, and the cursor of the next page (or None)."""
        ...

    async def replace(self, book_id: str, data: BookIn, expected_version: int | None) -> Book:
        """Replace the fields and bump the version, only if the version is still `expected_version`."""
        ...

    async def delete(self, book_id: str, expected_version: int | None) -> None:
        """Delete the book, only if the version is still `expected_version` (None: any version)."""
        ...

    async def ping(self) -> bool:
        """True when the store can serve requests (readiness)."""
        ...

    async def close(self) -> None:
        """Release connections (at shutdown)."""
        ...


def new_id() -> str:
    """Random, not sequential: ids from different replicas never collide and leak no counts."""
    return uuid.uuid4().hex


P = ParamSpec("P")
T = TypeVar("T")


def unavailable_on_redis_error(
    method: Callable[P, Coroutine[Any, Any, T]],
) -> Callable[P, Coroutine[Any, Any, T]]:
    """Turn connection errors and timeouts into StoreUnavailableError: the API stays storage-agnostic."""

    @functools.wraps(method)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await method(*args, **kwargs)
        except (aioredis.ConnectionError, aioredis.TimeoutError, OSError) as exc:
            raise StoreUnavailableError(str(exc)) from exc

    return wrapper


class RedisBase:
    """A Redis client and the key layout of one namespace; `RedisStore` adds the operations.

    One client per store, and so one connection pool per replica: connections are opened once and
    reused, since a TCP (and, in the cloud, TLS) handshake per request would cost more than the command.
    """

    def __init__(self, url: str, namespace: str = "books", timeout_s: float = 2.0) -> None:
        self._redis: aioredis.Redis = aioredis.Redis.from_url(
            url, decode_responses=True, socket_timeout=timeout_s, socket_connect_timeout=timeout_s,
            health_check_interval=30)
        self._ns = namespace

    def _key(self, book_id: str) -> str:
        """The hash of one book. The hash tag {ns} keeps every key of a namespace in one Redis Cluster
        slot, so a script that touches several keys also runs on a clustered Redis."""
        return f"{{{self._ns}}}:book:{book_id}"

    @property
    def _order(self) -> str:
        """The sorted set of ids scored by creation sequence (keyset pagination)."""
        return f"{{{self._ns}}}:order"

    @property
    def _seq(self) -> str:
        """The creation-sequence counter."""
        return f"{{{self._ns}}}:seq"

    async def ping(self) -> bool:
        """Readiness: False, not an exception, when Redis cannot be reached."""
        try:
            return bool(await self._redis.ping())
        except (aioredis.RedisError, OSError):
            return False

    async def close(self) -> None:
        await self._redis.aclose()
