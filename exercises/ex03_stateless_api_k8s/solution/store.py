"""The two stores: in this process's memory, or in Redis (the errors and protocol: `storage.py`).

- `MemoryStore` keeps books in a dict inside one process. Behind a load balancer with three replicas a
  client creates a book on pod A and gets 404 from pod B; each pod has its own ids, its own versions,
  its own pages. Restart the pod and everything is gone. It is what the seed asks for, and it is wrong
  for a Deployment with `replicas > 1`.
- `RedisStore` keeps them in Redis, outside every replica, so any replica answers any request and a
  replica can die or be added at any time: the API process is stateless. It keeps no copy of its own
  either: a per-replica cache would answer with a version another replica has already replaced.

Optimistic concurrency (compare-and-set on the version) must be atomic in the store itself: reading
the version in Python and then writing would let two replicas both "win". Redis runs each Lua script
atomically, so check-and-write is one step there; the memory store runs on one event loop and never
awaits between its check and its write, which makes it atomic for the same reason.
"""

from __future__ import annotations

import bisect
import json
from dataclasses import dataclass, field
from typing import cast

from exercises.ex03_stateless_api_k8s.config import ApiSettings
from exercises.ex03_stateless_api_k8s.models import Book, BookIn
from exercises.ex03_stateless_api_k8s.storage import (
    BookStore,
    NotFoundError,
    RedisBase,
    VersionConflictError,
    new_id,
    unavailable_on_redis_error,
)


# -- in memory ----------------------------------------------------------------------------------------
@dataclass
class _Record:
    seq: int
    book: Book  # built once per write, so a read returns it as it is


@dataclass
class MemoryStore:
    """Books in a dict of this process. Correct for one process; wrong for several (see module doc)."""

    _books: dict[str, _Record] = field(default_factory=dict)
    _order: list[tuple[int, str]] = field(default_factory=list)  # (seq, id), ascending
    _seq: int = 0

    async def create(self, data: BookIn) -> Book:
        self._seq += 1
        book = _book(new_id(), 1, data)
        self._books[book.id] = _Record(self._seq, book)
        self._order.append((self._seq, book.id))
        return book

    async def get(self, book_id: str) -> Book:
        record = self._books.get(book_id)
        if record is None:
            raise NotFoundError(book_id)
        return record.book

    async def list(self, limit: int, after: int | None) -> tuple[list[Book], int | None]:
        start = bisect.bisect_right(self._order, (after if after is not None else 0, "\uffff"))
        chosen = self._order[start:start + limit + 1]
        books = [await self.get(book_id) for _, book_id in chosen[:limit]]
        next_cursor = chosen[limit - 1][0] if len(chosen) > limit else None
        return books, next_cursor

    async def replace(self, book_id: str, data: BookIn, expected_version: int | None) -> Book:
        record = self._check(book_id, expected_version)
        record.book = _book(book_id, record.book.version + 1, data)
        return record.book

    async def delete(self, book_id: str, expected_version: int | None) -> None:
        record = self._check(book_id, expected_version)
        del self._books[book_id]
        self._order.remove((record.seq, book_id))

    def _check(self, book_id: str, expected_version: int | None) -> _Record:
        # No await between this check and the caller's write: atomic on one event loop.
        record = self._books.get(book_id)
        if record is None:
            raise NotFoundError(book_id)
        if expected_version is not None and record.book.version != expected_version:
            raise VersionConflictError(record.book.version)
        return record

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        return None


def _book(book_id: str, version: int, data: BookIn) -> Book:
    return Book(id=book_id, version=version, **data.model_dump())


# -- Redis --------------------------------------------------------------------------------------------
# A book is a hash {v: version, seq: creation sequence, body: JSON of BookIn}; `order` is a sorted set
# of ids scored by seq (keyset pagination); `seq` is the counter. Scripts return [status, version]:
# 0 ok, -1 not found, -2 version conflict.
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


class RedisStore(RedisBase):
    """Books in Redis: every replica sees the same books, versions and pages (client and keys: RedisBase)."""

    def __init__(self, url: str, namespace: str = "books", timeout_s: float = 2.0) -> None:
        super().__init__(url, namespace, timeout_s)
        self._create = self._redis.register_script(_CREATE)
        self._replace = self._redis.register_script(_REPLACE)
        self._delete = self._redis.register_script(_DELETE)

    @unavailable_on_redis_error
    async def create(self, data: BookIn) -> Book:
        book_id = new_id()
        await self._create(keys=[self._key(book_id), self._seq, self._order],
                           args=[book_id, data.model_dump_json()])
        return _book(book_id, 1, data)

    @unavailable_on_redis_error
    async def get(self, book_id: str) -> Book:
        version, body = await self._redis.hmget(self._key(book_id), ["v", "body"])
        if version is None or body is None:
            raise NotFoundError(book_id)
        return Book(id=book_id, version=int(version), **json.loads(body))

    @unavailable_on_redis_error
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

    @unavailable_on_redis_error
    async def replace(self, book_id: str, data: BookIn, expected_version: int | None) -> Book:
        status, version = await self._replace(
            keys=[self._key(book_id)], args=[_expected(expected_version), data.model_dump_json()])
        _raise_for(status, version, book_id)
        return _book(book_id, int(version), data)

    @unavailable_on_redis_error
    async def delete(self, book_id: str, expected_version: int | None) -> None:
        status, version = await self._delete(
            keys=[self._key(book_id), self._order], args=[_expected(expected_version), book_id])
        _raise_for(status, version, book_id)


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
