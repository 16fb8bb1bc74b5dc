"""Storage behind one interface: in this process's memory, or in Redis.

The API never knows which one it talks to. The difference is where the state lives:

- `MemoryStore` keeps books in a dict inside one process. Behind a load balancer with three replicas a
  client creates a book on pod A and gets 404 from pod B; each pod has its own ids, its own versions,
  its own pages. Restart the pod and everything is gone. It is what the seed asks for, and it is wrong
  for a Deployment with `replicas > 1`.
- `RedisStore` keeps them in Redis, outside every replica, so any replica answers any request and a
  replica can die or be added at any time: the API process is stateless.

Optimistic concurrency (compare-and-set on the version) must be atomic in the store itself: reading
the version in Python and then writing would let two replicas both "win". Redis runs each Lua script
atomically, so check-and-write is one step there; the memory store runs on one event loop and never
awaits between its check and its write, which makes it atomic for the same reason.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, ParamSpec, Protocol, TypeVar

import redis.asyncio as aioredis

from exercises.ex03_stateless_api_k8s.config import ApiSettings
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


# -- in memory ----------------------------------------------------------------------------------------
@dataclass
class _Record:
    seq: int
    version: int
    data: BookIn


@dataclass
class MemoryStore:
    """Books in a dict of this process. Correct for one process; wrong for several (see module doc)."""

    _books: dict[str, _Record] = field(default_factory=dict)
    _order: list[tuple[int, str]] = field(default_factory=list)  # (seq, id), ascending
    _seq: int = 0

    async def create(self, data: BookIn) -> Book:
        raise NotImplementedError(
            "MemoryStore.create: give the book a fresh id (new_id()), the next sequence number and "
            "version 1; remember it in _books and _order; return the Book"
        )

    async def get(self, book_id: str) -> Book:
        raise NotImplementedError(
            "MemoryStore.get: return the stored book as a Book, or raise NotFoundError(book_id)"
        )

    async def list(self, limit: int, after: int | None) -> tuple[list[Book], int | None]:
        raise NotImplementedError(
            "MemoryStore.list: up to `limit` books with seq > after (None: from the start) in seq order, "
            "and the seq of the last one if more follow (else None); bisect on _order helps"
        )

    async def replace(self, book_id: str, data: BookIn, expected_version: int | None) -> Book:
        raise NotImplementedError(
            "MemoryStore.replace: NotFoundError if absent, VersionConflictError(current) if "
            "expected_version is not None and differs; else store the data and bump the version"
        )

    async def delete(self, book_id: str, expected_version: int | None) -> None:
        raise NotImplementedError(
            "MemoryStore.delete: the same checks as replace, then remove the book from _books and _order"
        )

    def _check(self, book_id: str, expected_version: int | None) -> _Record:
        record = self._books.get(book_id)
        if record is None:
            raise NotFoundError(book_id)
        if expected_version is not None and record.version != expected_version:
            raise VersionConflictError(record.version)
        return record

    async def ping(self) -> bool:
        raise NotImplementedError("MemoryStore.ping: a process-local dict is always ready: return True")

    async def close(self) -> None:
        return None


# -- Redis --------------------------------------------------------------------------------------------
# Suggested layout: a book is a hash {v: version, seq: creation sequence, body: JSON of BookIn} at
# self._key(id); self._order is a sorted set of ids scored by seq; self._seq is the counter. Checks
# and writes that must not interleave with other replicas belong in Lua scripts (register_script).


P = ParamSpec("P")
T = TypeVar("T")


def _unavailable_on_redis_error(
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


class RedisStore:
    """Books in Redis: every replica sees the same books, versions and pages."""

    def __init__(self, url: str, namespace: str = "books", timeout_s: float = 2.0) -> None:
        self._redis = aioredis.Redis.from_url(
            url, decode_responses=True, socket_timeout=timeout_s, socket_connect_timeout=timeout_s,
            health_check_interval=30)
        self._ns = namespace

    def _key(self, book_id: str) -> str:
        # Hash tag {ns} keeps every key of one namespace in one Redis Cluster slot, so scripts that
        # touch several keys also work on a clustered (e.g. ElastiCache cluster-mode) Redis.
        return f"{{{self._ns}}}:book:{book_id}"

    @property
    def _order(self) -> str:
        return f"{{{self._ns}}}:order"

    @property
    def _seq(self) -> str:
        return f"{{{self._ns}}}:seq"

    @_unavailable_on_redis_error
    async def create(self, data: BookIn) -> Book:
        raise NotImplementedError(
            "RedisStore.create: atomically INCR the sequence, write the book's hash (v=1, seq, body JSON)"
            " and ZADD its id to the order set, in one Lua script"
        )

    @_unavailable_on_redis_error
    async def get(self, book_id: str) -> Book:
        raise NotImplementedError(
            "RedisStore.get: HMGET the book's hash (v, body); NotFoundError if it is missing"
        )

    @_unavailable_on_redis_error
    async def list(self, limit: int, after: int | None) -> tuple[list[Book], int | None]:
        raise NotImplementedError(
            "RedisStore.list: ZRANGEBYSCORE the order set from (after to +inf, limit+1 rows with scores, "
            "then fetch those hashes in one pipeline"
        )

    @_unavailable_on_redis_error
    async def replace(self, book_id: str, data: BookIn, expected_version: int | None) -> Book:
        raise NotImplementedError(
            "RedisStore.replace: a Lua script that compares the stored version with the expected one (or "
            "'*') and writes the new body and version only if they match; map its answer to NotFoundError"
            " / VersionConflictError"
        )

    @_unavailable_on_redis_error
    async def delete(self, book_id: str, expected_version: int | None) -> None:
        raise NotImplementedError(
            "RedisStore.delete: the same compare-and-delete in Lua, also removing the id from the order "
            "set"
        )

    async def ping(self) -> bool:
        raise NotImplementedError(
            "RedisStore.ping: PING Redis; False (not an exception) when it cannot be reached"
        )

    async def close(self) -> None:
        await self._redis.aclose()


def _expected(version: int | None) -> str:
    return "*" if version is None else str(version)


def _raise_for(status: int, version: int, book_id: str) -> None:
    if status == -1:
        raise NotFoundError(book_id)
    if status == -2:
        raise VersionConflictError(int(version))


def make_store(settings: ApiSettings) -> BookStore:
    """The store the settings name: `STORE=memory` or `STORE=redis` (with `REDIS_URL`)."""
    if settings.store == "redis":
        return RedisStore(settings.redis_url, settings.redis_namespace, settings.redis_timeout_s)
    return MemoryStore()
