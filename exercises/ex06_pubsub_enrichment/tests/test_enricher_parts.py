"""The enricher's parts on their own: event validation, and the book client against the real API."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

from bootcamp.services.base import free_port
from exercises.ex06_pubsub_enrichment.catalog import build_catalog
from exercises.ex06_pubsub_enrichment.harness import ApiProcess

ISBN = sorted(build_catalog())[10]


@pytest.mark.parametrize(("data", "reason"), [
    (b"{not json", "malformed JSON"),
    (b"\xff\xfe", "malformed JSON"),
    (b"[1, 2]", "not a JSON object"),
    (b'{"event_id": "x"}', "missing book_id"),
    (b'{"book_id": ""}', "missing book_id"),
    (b'{"book_id": 9781234567897}', "malformed book_id"),
    (b'{"book_id": "978123456789X"}', "malformed book_id"),
    (f'{{"book_id": "{ISBN[:12]}{(int(ISBN[12]) + 1) % 10}"}}'.encode(), "malformed book_id"),
])
def test_parse_event_rejects_with_a_reason(impl: Any, data: bytes, reason: str) -> None:
    with pytest.raises(impl.enricher.BadMessageError, match=reason):
        impl.enricher.parse_event(data)


def test_parse_event_keeps_the_event(impl: Any) -> None:
    event = {"event_id": "e1", "book_id": ISBN, "action": "view"}
    assert impl.enricher.parse_event(json.dumps(event).encode()) == event


def settings(impl: Any, url: str, **overrides: Any) -> Any:
    return impl.enricher.EnricherSettings(bookstore_url=url, **overrides)


@pytest.mark.integration
def test_cache_and_single_flight(impl: Any, api: ApiProcess) -> None:
    async def scenario() -> tuple[Any, list[dict[str, Any]]]:
        client = impl.enricher.BookClient(settings(impl, api.url))
        try:
            together = await asyncio.gather(*(client.get_book(ISBN) for _ in range(10)))
            again = await client.get_book(ISBN)
            return client.stats, [*together, again]
        finally:
            await client.aclose()

    stats, books = asyncio.run(scenario())
    assert all(book == build_catalog()[ISBN].to_dict() for book in books)
    assert stats.requests == 1, (f"ten concurrent misses share one request (single flight), the 11th is a "
                                 f"cache hit: {stats.requests} requests were made")
    assert stats.cache_hits >= 1


@pytest.mark.integration
def test_cache_off_and_ttl_expiry(impl: Any, api: ApiProcess) -> None:
    async def count_requests(**overrides: Any) -> int:
        client = impl.enricher.BookClient(settings(impl, api.url, **overrides))
        try:
            for _ in range(3):
                await client.get_book(ISBN)
                time.sleep(0.25)
            return int(client.stats.requests)
        finally:
            await client.aclose()

    assert asyncio.run(count_requests(cache_size=0)) == 3
    assert asyncio.run(count_requests(cache_ttl_s=0.1)) == 3
    assert asyncio.run(count_requests(cache_ttl_s=60)) == 1


@pytest.mark.integration
def test_unknown_book_is_permanent_and_down_api_is_transient(impl: Any, api: ApiProcess) -> None:
    unknown = "9790000000001"
    assert unknown not in build_catalog()

    async def scenario() -> None:
        client = impl.enricher.BookClient(settings(impl, api.url))
        try:
            error: BaseException | None = None
            try:
                await client.get_book(unknown)
            except NotImplementedError:
                raise
            except Exception as exc:
                error = exc
            assert isinstance(error, impl.enricher.UnknownBookError), (
                f"a 404 (unknown book_id) is permanent: UnknownBookError, not {error!r}")
            assert "unknown book_id" in str(error)
            assert client.stats.requests == 1, "an unknown book_id (404) is not retried"
        finally:
            await client.aclose()
        down = impl.enricher.BookClient(settings(impl, f"http://127.0.0.1:{free_port()}", http_attempts=3))
        try:
            with pytest.raises(impl.enricher.TransientError, match="unreachable"):
                await down.get_book(ISBN)
            assert down.stats.requests == 3
            assert down.stats.retries == 2
        finally:
            await down.aclose()

    asyncio.run(scenario())


@pytest.mark.integration
def test_a_503_is_transient_and_retried(impl: Any, flaky_api: Any) -> None:
    """The API answers 503, then 200: the client retries and gets the book (a 5xx is never permanent)."""

    async def scenario() -> tuple[Any, Any]:
        client = impl.enricher.BookClient(settings(impl, flaky_api.url, http_attempts=3))
        try:
            try:
                book = await client.get_book(ISBN)
            except impl.enricher.BadMessageError as exc:
                raise AssertionError(f"an API 503 was treated as permanent (the book would be dead-lettered, "
                                     f"not retried): {exc}") from exc
            return book, client.stats
        finally:
            await client.aclose()

    book, stats = asyncio.run(scenario())
    assert book == build_catalog()[ISBN].to_dict()
    assert stats.requests == 2, "the 503 was retried once, then the 200 was taken"
    assert flaky_api.seen[f"/books/{ISBN}"] == 2
