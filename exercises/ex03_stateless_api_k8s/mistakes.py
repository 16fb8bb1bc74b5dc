"""Realistic wrong answers to Exercise 3 that its tests must reject (format: `bootcamp/grading.py`).

Each is one small edit to the reference solution that an engineer new to optimistic concurrency or to
stateless services would plausibly make; every one of them passes a quick manual try with one client.
"""

from __future__ import annotations

from bootcamp.grading import Mistake

_CAS_TEST = "tests/test_api.py::test_concurrent_writers_with_one_etag_exactly_one_wins_across_replicas"
_REPLICA_TEST = "tests/test_api.py::test_a_write_through_one_replica_is_read_at_once_through_another"

MISTAKES: list[Mistake] = [
    Mistake(
        name="compare-and-set-in-python",
        lesson="Reading the version, comparing it in Python and then writing are three steps another "
               "replica can interleave with: two writers holding the same ETag both win.",
        file="store.py",
        old="""        status, version = await self._replace(
            keys=[self._key(book_id)], args=[_expected(expected_version), data.model_dump_json()])
        _raise_for(status, version, book_id)
        return _book(book_id, int(version), data)""",
        new="""        current = await self._redis.hget(self._key(book_id), "v")
        if current is None:
            raise NotFoundError(book_id)
        if expected_version is not None and int(current) != expected_version:
            raise VersionConflictError(int(current))
        version = int(current) + 1
        await self._redis.hset(self._key(book_id), mapping={"v": version, "body": data.model_dump_json()})
        return _book(book_id, version, data)""",
        expect="compare-and-set done in Python",
        tests=(_CAS_TEST,),
    ),
    Mistake(
        name="per-replica-read-cache",
        lesson="A cache inside each replica makes reads fast and wrong: replica B keeps answering the "
               "version replica A has already replaced (or deleted).",
        file="store.py",
        old="""        version, body = await self._redis.hmget(self._key(book_id), ["v", "body"])
        if version is None or body is None:
            raise NotFoundError(book_id)
        return Book(id=book_id, version=int(version), **json.loads(body))""",
        new="""        cache: dict[str, Book] = self.__dict__.setdefault("_cache", {})
        if book_id in cache:  # saves a Redis round trip on every repeated read
            return cache[book_id]
        version, body = await self._redis.hmget(self._key(book_id), ["v", "body"])
        if version is None or body is None:
            raise NotFoundError(book_id)
        cache[book_id] = Book(id=book_id, version=int(version), **json.loads(body))
        return cache[book_id]""",
        expect="per-replica read cache",
        tests=(_REPLICA_TEST,),
    ),
    Mistake(
        name="version-not-bumped-on-replace",
        lesson="If a replace keeps the version, the ETag does not change, so a client holding the old "
               "ETag still matches and overwrites the update it never saw.",
        file="store.py",
        old="local nv = tonumber(v) + 1",
        new="local nv = tonumber(v)",
        expect="the version (and so the ETag) must change on every update",
        tests=("tests/test_api.py::test_replace_with_current_etag_bumps_version_and_etag",),
    ),
    Mistake(
        name="put-without-if-match-allowed",
        lesson="Treating a missing If-Match as 'any version' turns every careless client into a blind "
               "overwrite; RFC 6585's 428 makes the client say which version it replaces.",
        file="app.py",
        old="""        if required:
            raise PreconditionRequiredError(
                "send If-Match with the ETag you read (or * to overwrite blindly)")
        return None""",
        new="""        return None""",
        expect="not 428 Precondition Required",
        tests=("tests/test_api.py::test_replace_without_if_match_is_428_and_with_star_overwrites",),
    ),
    Mistake(
        name="weak-etag-matches-if-match",
        lesson="If-Match uses the strong comparison (RFC 9110 §13.1.1): a weak ETag says 'equivalent', "
               "not 'identical', and must never authorise a write.",
        file="app.py",
        old="if not weak and tag.isdigit() and 0 < len(tag) <= 18:",
        new="if tag.isdigit() and 0 < len(tag) <= 18:",
        expect="a weak ETag (W/...) never matches",
        tests=("tests/test_api.py::test_weak_malformed_or_ambiguous_if_match_is_412",),
    ),
]
