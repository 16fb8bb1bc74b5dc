"""CRUD, pagination, ETags and If-Match, errors: the API's contract, on both stores (memory, Redis)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from bootcamp.testing.plugin import Implementation
from exercises.ex03_stateless_api_k8s.tests.conftest import BOOK, unique_namespace
from exercises.ex03_stateless_api_k8s.tests.redis_barrier import RedisBarrierProxy

PROBLEM = "application/problem+json"


def create(client: TestClient, **changes: Any) -> httpx.Response:
    response: httpx.Response = client.post("/books", json={**BOOK, **changes})
    assert response.status_code == 201, response.text
    return response


def test_create_then_read_returns_the_book_its_location_and_etag(client: TestClient) -> None:
    created = create(client)
    body = created.json()
    assert {k: body[k] for k in BOOK} == BOOK
    assert body["version"] == 1
    assert created.headers["Location"] == f"/books/{body['id']}"
    read = client.get(created.headers["Location"])
    assert read.status_code == 200
    assert read.json() == body
    assert read.headers["ETag"] == created.headers["ETag"]


def test_if_none_match_answers_304_until_the_book_changes(client: TestClient) -> None:
    created = create(client)
    url, tag = created.headers["Location"], created.headers["ETag"]
    assert client.get(url, headers={"If-None-Match": tag}).status_code == 304
    assert client.get(url, headers={"If-None-Match": f"W/{tag}"}).status_code == 304
    client.put(url, json={**BOOK, "year": 2018}, headers={"If-Match": tag})
    again = client.get(url, headers={"If-None-Match": tag})
    assert again.status_code == 200
    assert again.json()["year"] == 2018


def test_ids_are_unique_and_unguessable(client: TestClient) -> None:
    ids = {create(client).json()["id"] for _ in range(20)}
    assert len(ids) == 20
    assert not any(book_id.isdigit() for book_id in ids)


def test_list_pages_through_every_book_once_in_creation_order(client: TestClient) -> None:
    made = [create(client, title=f"book {i}").json()["id"] for i in range(7)]
    seen: list[str] = []
    sizes: list[int] = []
    after: int | None = None
    while True:
        params: dict[str, int] = {"limit": 3} | ({"after": after} if after is not None else {})
        page = client.get("/books", params=params)
        assert page.status_code == 200, page.text
        body = page.json()
        sizes.append(len(body["items"]))
        seen += [item["id"] for item in body["items"]]
        after = body["next_cursor"]
        if after is None:
            break
    assert seen == made
    assert sizes == [3, 3, 1]


def test_pages_stay_stable_when_books_are_added_or_deleted_meanwhile(client: TestClient) -> None:
    made = [create(client).json()["id"] for _ in range(4)]
    first = client.get("/books", params={"limit": 2}).json()
    client.delete(f"/books/{made[0]}")  # already seen: must not shift the next page
    newcomer = create(client).json()["id"]
    second = client.get("/books", params={"limit": 10, "after": first["next_cursor"]}).json()
    assert [b["id"] for b in first["items"]] == made[:2]
    assert [b["id"] for b in second["items"]] == [*made[2:], newcomer]
    assert second["next_cursor"] is None


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 10_000}, {"limit": "x"}, {"after": -1},
                                    {"after": "abc"}])
def test_bad_paging_parameters_are_422(client: TestClient, params: dict[str, Any]) -> None:
    create(client)
    response = client.get("/books", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM


def test_replace_with_current_etag_bumps_version_and_etag(client: TestClient) -> None:
    created = create(client)
    url = created.headers["Location"]
    replaced = client.put(url, json={**BOOK, "title": "DDIA, 2nd ed."},
                          headers={"If-Match": created.headers["ETag"]})
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["version"] == 2, (
        f"a replace left the version at {replaced.json()['version']}: the version (and so the ETag) must "
        "change on every update, or a stale ETag still matches")
    assert replaced.headers["ETag"] != created.headers["ETag"], "the ETag did not change on update"
    assert client.get(url).json()["title"] == "DDIA, 2nd ed."


def test_replace_with_stale_etag_is_412_and_changes_nothing(client: TestClient) -> None:
    created = create(client)
    url, stale = created.headers["Location"], created.headers["ETag"]
    current = client.put(url, json={**BOOK, "year": 2020}, headers={"If-Match": stale})
    assert current.status_code == 200
    lost = client.put(url, json={**BOOK, "year": 1999}, headers={"If-Match": stale})
    assert lost.status_code == 412
    assert lost.headers["content-type"] == PROBLEM
    assert lost.headers["ETag"] == current.headers["ETag"]  # what to re-read, said in the answer
    assert client.get(url).json()["year"] == 2020


def test_replace_without_if_match_is_428_and_with_star_overwrites(client: TestClient) -> None:
    url = create(client).headers["Location"]
    blind_put = client.put(url, json={**BOOK, "year": 1})
    assert blind_put.status_code == 428, (
        f"a PUT without If-Match got {blind_put.status_code}, not 428 Precondition Required: a blind "
        "overwrite is a lost update; require If-Match (or an explicit *)")
    assert blind_put.headers["content-type"] == PROBLEM
    assert client.get(url).json()["version"] == 1
    blind = client.put(url, json={**BOOK, "year": 1}, headers={"If-Match": "*"})
    assert blind.status_code == 200
    assert blind.json()["version"] == 2


@pytest.mark.parametrize("header", ['W/"1"', "1", '"1', '"abc"', '"1", "2"', ""])
def test_weak_malformed_or_ambiguous_if_match_is_412(client: TestClient, header: str) -> None:
    url = create(client).headers["Location"]
    response = client.put(url, json=BOOK, headers={"If-Match": header})
    assert response.status_code == 412, (
        f"If-Match {header!r} got {response.status_code}, not 412: If-Match uses the strong comparison, "
        "so a weak ETag (W/...) never matches, and a malformed or ambiguous one matches nothing")
    assert client.get(url).json()["version"] == 1


def test_a_list_of_etags_naming_the_current_version_matches(client: TestClient) -> None:
    url = create(client).headers["Location"]
    assert client.put(url, json=BOOK, headers={"If-Match": '"1", W/"1"'}).status_code == 200


def test_delete_honours_if_match_then_the_book_is_gone(client: TestClient) -> None:
    created = create(client)
    url = created.headers["Location"]
    assert client.delete(url, headers={"If-Match": '"7"'}).status_code == 412
    assert client.get(url).status_code == 200
    assert client.delete(url, headers={"If-Match": created.headers["ETag"]}).status_code == 204
    assert client.get(url).status_code == 404
    assert client.delete(url).status_code == 404
    assert created.json()["id"] not in [b["id"] for b in client.get("/books").json()["items"]]


def test_unknown_ids_are_404_problems(client: TestClient) -> None:
    create(client)
    responses = (client.get("/books/nope"), client.put("/books/nope", json=BOOK, headers={"If-Match": "*"}),
                 client.delete("/books/nope"))
    for response in responses:
        assert response.status_code == 404
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["status"] == 404


@pytest.mark.parametrize("body", [
    {k: v for k, v in BOOK.items() if k != "title"},
    {**BOOK, "title": "   "},
    {**BOOK, "year": "nineteen"},
    {**BOOK, "year": 9999},
    {**BOOK, "tags": ["x"] * 21},
    {**BOOK, "tags": "not-a-list"},
    {**BOOK, "id": "chosen-by-client"},
    {**BOOK, "version": 5},
    [BOOK],
    "not json at all",
])
def test_invalid_input_is_422_and_stores_nothing(client: TestClient, body: Any) -> None:
    before = create(client).json()
    if isinstance(body, str):
        response = client.post("/books", content=body, headers={"Content-Type": "application/json"})
    else:
        response = client.post("/books", json=body)
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["errors"]
    url = f"/books/{before['id']}"
    replaced = client.put(url, json=body, headers={"If-Match": "*"}) if not isinstance(body, str) else None
    assert replaced is None or replaced.status_code == 422
    assert [b["id"] for b in client.get("/books").json()["items"]] == [before["id"]]


WRITERS = 8


async def _race(impl: Implementation, proxy: RedisBarrierProxy, writers: int) -> tuple[list[int], int]:
    """`writers` app instances (replicas), each with its own store and one warm Redis connection, all
    PUT with the same If-Match at once, through a proxy that holds each one's first reply (see below)."""
    namespace = unique_namespace()
    # A generous socket timeout: a held reply must not be mistaken for a Redis outage.
    stores = [impl.store.RedisStore(proxy.url, namespace, timeout_s=30) for _ in range(writers)]
    clients = [httpx.AsyncClient(transport=httpx.ASGITransport(app=impl.app.create_app(store=store)),
                                 base_url="http://api") for store in stores]
    try:
        created = await clients[0].post("/books", json=BOOK)
        url, tag = created.headers["Location"], created.headers["ETag"]
        for client in clients:  # warm: every replica's connection is open and has served a command
            assert (await client.get(url)).status_code == 200
        proxy.arm(writers)
        tasks = [client.put(url, json={**BOOK, "year": 1900 + i}, headers={"If-Match": tag})
                 for i, client in enumerate(clients)]
        statuses = [response.status_code for response in await asyncio.gather(*tasks)]
        final = (await clients[-1].get(url)).json()["version"]
        return statuses, final
    finally:
        for c in clients:
            await c.aclose()
        for store in stores:
            await store.close()


def test_concurrent_writers_with_one_etag_exactly_one_wins_across_replicas(
        impl: Implementation, redis_url: str) -> None:
    """Eight app instances (replicas) on one Redis, each PUTting with the same ETag: one 200, seven 412.

    Deterministic, not a race left to luck: between the replicas and Redis sits a proxy that forwards
    every command at once but holds the reply to each connection's first command after arming until all
    eight connections have sent one. A compare-and-set done in Python starts with a read, so no replica
    learns the version before all eight have read it: all eight read version 1, all compare equal, all
    write, every run. A compare-and-set that is one atomic step in Redis (a Lua script, WATCH/MULTI/EXEC)
    has already been decided by Redis when the replies are held: exactly one matched.
    """
    with RedisBarrierProxy(redis_url) as proxy:
        statuses, final_version = asyncio.run(_race(impl, proxy, WRITERS))
        assert proxy.filled, (
            "the writers never had their commands in Redis at the same time: is the compare-and-set "
            "serialised inside the process (a lock)? Replicas are processes: such a lock protects nothing")
    winners = statuses.count(200)
    assert winners == 1, (
        f"{WRITERS} replicas PUT with the same If-Match and {winners} got 200 ({sorted(statuses)}): lost "
        "updates. A compare-and-set done in Python (read the version, compare, then write, as separate "
        "Redis calls) lets every writer that read before the first write win; do the check and the "
        "write as one atomic step in Redis (a Lua script)")
    assert sorted(statuses) == [200] + [412] * (WRITERS - 1)
    assert final_version == 2, f"one winning replace must leave version 2, not {final_version}"


def test_a_write_through_one_replica_is_read_at_once_through_another(
        impl: Implementation, redis_url: str) -> None:
    """Two app instances (replicas A and B) on one Redis: what one writes, the other reads at once.

    Deterministic: each replica reads the book before the other one changes it, so anything a replica
    kept from that read (a per-replica cache) holds the old version when the next read comes; no timing
    is involved, and any such copy is returned stale every run.
    """
    namespace = unique_namespace()
    with TestClient(impl.app.create_app(store=impl.store.RedisStore(redis_url, namespace))) as a, \
            TestClient(impl.app.create_app(store=impl.store.RedisStore(redis_url, namespace))) as b:
        created = a.post("/books", json=BOOK)
        url, first_tag = created.headers["Location"], created.headers["ETag"]
        assert b.get(url).json()["version"] == 1
        assert a.get(url).json()["version"] == 1
        replaced = a.put(url, json={**BOOK, "year": 2020}, headers={"If-Match": first_tag})
        assert replaced.status_code == 200, replaced.text
        seen = b.get(url)
        assert (seen.json()["version"], seen.json()["year"]) == (2, 2020), (
            f"replica B answered version {seen.json()['version']} after replica A wrote version 2: a "
            "per-replica read cache serves what another replica has already replaced; read from Redis")
        assert seen.headers["ETag"] == replaced.headers["ETag"]
        assert b.get(url, headers={"If-None-Match": first_tag}).status_code == 200, (
            "replica B said 304 Not Modified for a book replica A had changed: a per-replica read cache")
        again = b.put(url, json={**BOOK, "year": 2021}, headers={"If-Match": replaced.headers["ETag"]})
        assert again.status_code == 200, again.text
        assert a.get(url).json()["year"] == 2021, (
            "replica A answered its old copy after replica B wrote: a per-replica read cache")
        assert a.delete(url).status_code == 204
        assert b.get(url).status_code == 404, (
            "replica B still serves a book replica A deleted: a per-replica read cache")
        assert b.get("/books").json()["items"] == []


def test_any_version_round_trips_through_etag_and_if_match(impl: Implementation) -> None:
    etag_for: Callable[[int], str] = impl.app.etag_for
    parse: Callable[[str], int | None] = impl.app.parse_if_match

    @given(version=st.integers(min_value=1, max_value=10**17))
    def round_trip(version: int) -> None:
        assert parse(etag_for(version)) == version
        assert parse(f'W/"{version}", {etag_for(version)}') == version

    round_trip()


def test_etag_and_if_match_parsing(impl: Implementation) -> None:
    etag_for: Callable[[int], str] = impl.app.etag_for
    parse: Callable[[str], int | None] = impl.app.parse_if_match
    for version in (1, 2, 41, 10**12):
        assert parse(etag_for(version)) == version
        assert parse(f' W/"{version}" , {etag_for(version)} ') == version
    assert parse("*") is None
    assert etag_for(3).startswith('"')
    assert etag_for(3).endswith('"')
    for bad in ('W/"1"', "1", '"x"', '"1","2"', "", '"1" junk'):
        with pytest.raises(ValueError):  # noqa: PT011  # the message is for people
            parse(bad)


def test_if_match_is_required_only_where_the_write_must_name_a_version(impl: Implementation) -> None:
    expected: Callable[[str | None, bool], int | None] = impl.app.expected_version
    with pytest.raises(impl.app.PreconditionRequiredError):
        expected(None, True)
    assert expected(None, False) is None
    assert expected("*", True) is None
    assert expected('"4"', True) == 4
    with pytest.raises(ValueError):  # noqa: PT011
        expected('W/"4"', False)


def test_if_none_match_uses_the_weak_comparison(impl: Implementation) -> None:
    not_modified: Callable[[str | None, int], bool] = impl.app.not_modified
    assert not_modified(None, 3) is False
    assert not_modified('"3"', 3) is True
    assert not_modified('W/"3"', 3) is True, "If-None-Match compares weakly: W/\"3\" matches version 3"
    assert not_modified('"1", "3"', 3) is True
    assert not_modified(" * ", 3) is True
    assert not_modified('"2"', 3) is False
    assert not_modified('"33"', 3) is False
    assert not_modified("", 3) is False
