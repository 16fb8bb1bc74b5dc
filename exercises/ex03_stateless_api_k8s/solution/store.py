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

import bisect
import functools
import json
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, ParamSpec, Protocol, TypeVar, cast

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
        self._seq += 1
        book_id = new_id()
        self._books[book_id] = _Record(self._seq, 1, data)
        self._order.append((self._seq, book_id))
        return Book(id=book_id, version=1, **data.model_dump())

    async def get(self, book_id: str) -> Book:
        record = self._books.get(book_id)
        if record is None:
            raise NotFoundError(book_id)
        return Book(id=book_id, version=record.version, **record.data.model_dump())

    async def list(self, limit: int, after: int | None) -> tuple[list[Book], int | None]:
        start = bisect.bisect_right(self._order, (after if after is not None else 0, "\uffff"))
        chosen = self._order[start:start + limit + 1]
        books = [await self.get(book_id) for _, book_id in chosen[:limit]]
        next_cursor = chosen[limit - 1][0] if len(chosen) > limit else None
        return books, next_cursor

    async def replace(self, book_id: str, data: BookIn, expected_version: int | None) -> Book:
        record = self._check(book_id, expected_version)
        record.version += 1
        record.data = data
        return Book(id=book_id, version=record.version, **data.model_dump())

    async def delete(self, book_id: str, expected_version: int | None) -> None:
        record = self._check(book_id, expected_version)
        del self._books[book_id]
        self._order.remove((record.seq, book_id))

    def _check(self, book_id: str, expected_version: int | None) -> _Record:
        record = self._books.get(book_id)
        if record is None:
            raise NotFoundError(book_id)
        if expected_version is not None and record.version != expected_version:
            raise VersionConflictError(record.version)
        return record

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        return None


# -- Redis --------------------------------------------------------------------------------------------
# A book is a hash {v: version, seq: creation sequence, body: JSON of BookIn}; `<ns>:order` is a sorted
# set of ids scored by seq (for keyset pagination); `<ns>:seq` is the counter. Scripts return
# [status, version]: 0 ok, -1 not found, -2 version conflict.
_CREATE = """
local seq = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], 'v', 1, 'seq', seq, 'body', ARGV[2])
redis.call('ZADD', KEYS[3], seq, ARGV[1])
return seq
"""
_REPLACE = """
local v = redis.call('HGET', KEYS[1], 'v')
if not v then return {-1, 0} end
if ARGV[1] ~= '*' and v ~= ARGV[1] then return {-2, tonumber(v)} end
local nv = tonumber(v) + 1
redis.call('HSET', KEYS[1], 'v', nv, 'body', ARGV[2])
return {0, nv}
"""
_DELETE = """
local v = redis.call('HGET', KEYS[1], 'v')
if not v then return {-1, 0} end
if ARGV[1] ~= '*' and v ~= ARGV[1] then return {-2, tonumber(v)} end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[2])
return {0, tonumber(v)}
"""


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
        self._create = self._redis.register_script(_CREATE)
        self._replace = self._redis.register_script(_REPLACE)
        self._delete = self._redis.register_script(_DELETE)

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
        book_id = new_id()
        await self._create(keys=[self._key(book_id), self._seq, self._order],
                           args=[book_id, data.model_dump_json()])
        return Book(id=book_id, version=1, **data.model_dump())

    @_unavailable_on_redis_error
    async def get(self, book_id: str) -> Book:
        version, body = await self._redis.hmget(self._key(book_id), ["v", "body"])
        if version is None or body is None:
            raise NotFoundError(book_id)
        return Book(id=book_id, version=int(version), **json.loads(body))

    @_unavailable_on_redis_error
    async def list(self, limit: int, after: int | None) -> tuple[list[Book], int | None]:
        lower = f"({after}" if after is not None else "-inf"
        rows = cast(list[tuple[str, float]], await self._redis.zrangebyscore(
            self._order, lower, "+inf", start=0, num=limit + 1, withscores=True))
        page = rows[:limit]
        async with self._redis.pipeline(transaction=False) as pipe:
            for book_id, _ in page:
                pipe.hmget(self._key(book_id), ["v", "body"])
            fetched = await pipe.execute()
        books = [Book(id=book_id, version=int(version), **json.loads(body))
                 for (book_id, _), (version, body) in zip(page, fetched, strict=True)
                 if version is not None and body is not None]  # deleted between the two reads
        next_cursor = int(page[-1][1]) if len(rows) > limit else None
        return books, next_cursor

    @_unavailable_on_redis_error
    async def replace(self, book_id: str, data: BookIn, expected_version: int | None) -> Book:
        status, version = await self._replace(
            keys=[self._key(book_id)], args=[_expected(expected_version), data.model_dump_json()])
        _raise_for(status, version, book_id)
        return Book(id=book_id, version=int(version), **data.model_dump())

    @_unavailable_on_redis_error
    async def delete(self, book_id: str, expected_version: int | None) -> None:
        status, version = await self._delete(
            keys=[self._key(book_id), self._order], args=[_expected(expected_version), book_id])
        _raise_for(status, version, book_id)

    async def ping(self) -> bool:
        try:
            return bool(await self._redis.ping())
        except (aioredis.RedisError, OSError):
            return False

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
