"""The two stores. YOUR TASK: every method of `MemoryStore` and `RedisStore` that raises.

- `MemoryStore` keeps books in a dict inside one process: the seed's "stored in memory". It is correct
  for one process and wrong behind a load balancer with several replicas (the tests show why).
- `RedisStore` keeps them in Redis, outside every replica, so any replica answers any request: the API
  process is stateless. It must keep no copy of its own: a per-replica cache answers with a version
  another replica has already replaced.

The compare-and-set on the version must be atomic where the state lives: reading the version in Python
and then writing lets two replicas both "win". In Redis, one Lua script (`self._redis.register_script`)
runs as one atomic step. The errors, the `BookStore` protocol, `new_id`, the Redis client, the key
layout (`_key`, `_order`, `_seq`), `ping` and `close` are provided, in `storage.py`.
"""

from __future__ import annotations

import bisect  # noqa: F401  # yours to use
import json  # noqa: F401  # yours to use
from dataclasses import dataclass, field

from exercises.ex03_stateless_api_k8s.config import ApiSettings
from exercises.ex03_stateless_api_k8s.models import Book, BookIn
from exercises.ex03_stateless_api_k8s.storage import (  # noqa: F401  # yours to use
    BookStore,
    NotFoundError,
    RedisBase,
    VersionConflictError,
    new_id,
    unavailable_on_redis_error,
)


@dataclass
class MemoryStore:
    """Books in a dict of this process. Correct for one process; wrong for several (see module doc).

    A suggested layout: `_books` maps id -> (seq, the current Book); `_order` holds (seq, id) ascending.
    The store runs on one event loop: no `await` between a check and its write keeps them atomic.
    """

    _books: dict[str, object] = field(default_factory=dict)
    _order: list[tuple[int, str]] = field(default_factory=list)
    _seq: int = 0

    async def create(self, data: BookIn) -> Book:
        raise NotImplementedError(
            "MemoryStore.create: give the book a fresh id (new_id()), the next sequence number and "
            "version 1; remember it in _books and _order; return the Book")

    async def get(self, book_id: str) -> Book:
        raise NotImplementedError(
            "MemoryStore.get: return the stored book as a Book, or raise NotFoundError(book_id)")

    async def list(self, limit: int, after: int | None) -> tuple[list[Book], int | None]:
        raise NotImplementedError(
            "MemoryStore.list: up to `limit` books with seq > after (None: from the start) in seq order, "
            "and the seq of the last one if more follow (else None); bisect on _order helps")

    async def replace(self, book_id: str, data: BookIn, expected_version: int | None) -> Book:
        raise NotImplementedError(
            "MemoryStore.replace: NotFoundError if absent, VersionConflictError(current) if "
            "expected_version is not None and differs; else store the data and bump the version")

    async def delete(self, book_id: str, expected_version: int | None) -> None:
        raise NotImplementedError(
            "MemoryStore.delete: the same checks as replace, then remove the book from _books and _order")

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        return None


class RedisStore(RedisBase):
    """Books in Redis: every replica sees the same books, versions and pages (client and keys: RedisBase).

    A suggested layout: a book is a hash {v: version, seq: creation sequence, body: JSON of BookIn} at
    self._key(id); self._order is a sorted set of ids scored by seq; self._seq is the counter. Wrap each
    method in @unavailable_on_redis_error so that a Redis outage is a 503, not a 500.
    """

    def __init__(self, url: str, namespace: str = "books", timeout_s: float = 2.0) -> None:
        super().__init__(url, namespace, timeout_s)
        # Register your Lua scripts here: self._replace = self._redis.register_script(...)

    @unavailable_on_redis_error
    async def create(self, data: BookIn) -> Book:
        raise NotImplementedError(
            "RedisStore.create: atomically INCR the sequence, write the book's hash (v=1, seq, body JSON)"
            " and ZADD its id to the order set, in one Lua script")

    @unavailable_on_redis_error
    async def get(self, book_id: str) -> Book:
        raise NotImplementedError(
            "RedisStore.get: HMGET the book's hash (v, body) from Redis on every call (no local copy); "
            "NotFoundError if it is missing")

    @unavailable_on_redis_error
    async def list(self, limit: int, after: int | None) -> tuple[list[Book], int | None]:
        raise NotImplementedError(
            "RedisStore.list: ZRANGEBYSCORE the order set from (after to +inf, limit+1 rows with scores, "
            "then fetch those hashes in one pipeline")

    @unavailable_on_redis_error
    async def replace(self, book_id: str, data: BookIn, expected_version: int | None) -> Book:
        raise NotImplementedError(
            "RedisStore.replace: one Lua script that compares the stored version with the expected one "
            "(or '*') and writes the new body and version only if they match; map its answer to "
            "NotFoundError / VersionConflictError")

    @unavailable_on_redis_error
    async def delete(self, book_id: str, expected_version: int | None) -> None:
        raise NotImplementedError(
            "RedisStore.delete: the same compare-and-delete in one Lua script, also removing the id "
            "from the order set")


def make_store(settings: ApiSettings) -> BookStore:
    """The store the settings name: `STORE=memory` or `STORE=redis` (with `REDIS_URL`)."""
    if settings.store == "redis":
        return RedisStore(settings.redis_url, settings.redis_namespace, settings.redis_timeout_s)
    return MemoryStore()
