"""Fixtures: a fresh database on the project's PostgreSQL, and two app instances sharing it.

Both instances run as subprocesses (`python -m exercises.ex08_realtime_auctions.server --impl ...`),
so the tests talk HTTP and WebSocket to real servers, and "two instances agree" is tested with two
real processes.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from ..harness import Instance, create_database, drop_database, start_instances, stop_instance

PASSWORD = "correct horse battery"
# A login back-off that starts at 30 s (the service's default is 1 s), so that a throttled address
# stays throttled for the whole of a test however slow the machine; tests that need the wait to end
# expire it in the database instead of sleeping.
INSTANCE_ENV = {"AUCTION_LOGIN_BACKOFF_BASE_S": "30"}


@pytest.fixture(scope="session")
def pg_admin(local_service: Callable[[str], str]) -> str:
    """The project's PostgreSQL (or DATABASE_URL's): a URL to its maintenance database."""
    return local_service("postgres")


@pytest.fixture(scope="session")
def database(pg_admin: str, impl_name: str) -> Iterator[str]:
    """A fresh database, migrated by the implementation under test, dropped at the end."""
    url = asyncio.run(create_database(pg_admin, impl_name))
    yield url
    asyncio.run(drop_database(pg_admin, url))


@pytest.fixture(scope="module")
def quiet_db(pg_admin: str, impl_name: str) -> Iterator[str]:
    """A migrated database no app instance serves: no closer runs behind a test's back."""
    url = asyncio.run(create_database(pg_admin, impl_name))
    yield url
    asyncio.run(drop_database(pg_admin, url))


@pytest.fixture
def fresh_db(pg_admin: str, impl_name: str) -> Iterator[str]:
    """An empty (unmigrated) database of this test's own."""
    url = asyncio.run(create_database(pg_admin, impl_name, migrate=False))
    yield url
    asyncio.run(drop_database(pg_admin, url))


@pytest.fixture(scope="session")
def instances(database: str, impl_name: str, tmp_path_factory: pytest.TempPathFactory
              ) -> Iterator[list[Instance]]:
    """Two app instances on one database, as behind a load balancer (`impl_name` says whose app they
    serve, and makes `bootcamp check` grade every test that talks to them)."""
    log_dir = tmp_path_factory.mktemp("ex08-servers")
    started = start_instances(database, impl_name, log_dir, 2, **INSTANCE_ENV)
    try:
        yield started
    finally:
        for instance in started:
            stop_instance(instance)


def raise_if_not_implemented(response: httpx.Response) -> None:
    if response.status_code == 501:
        raise NotImplementedError(response.json().get("detail", "not implemented yet"))


class Api:
    """One browser-like user: a cookie jar, the CSRF token, and the calls the page makes."""

    def __init__(self, base_url: str, local_address: str | None = None) -> None:
        """`local_address` binds the client's socket (e.g. 127.0.0.2: all of 127/8 is loopback), so
        the server sees another client address without trusting any header."""
        transport = httpx.HTTPTransport(local_address=local_address) if local_address else None
        self.http = httpx.Client(base_url=base_url, timeout=15, transport=transport,
                                 event_hooks={"response": [raise_if_not_implemented]})
        self.csrf: str | None = None
        self.username: str | None = None

    def signup(self, username: str | None = None, password: str = PASSWORD) -> httpx.Response:
        username = username or new_username()
        response = self.http.post("/api/signup", json={"username": username, "password": password})
        if response.status_code == 201:
            self.csrf, self.username = response.json()["csrf_token"], username
        return response

    def login(self, username: str, password: str = PASSWORD) -> httpx.Response:
        response = self.http.post("/api/login", json={"username": username, "password": password})
        if response.status_code == 200:
            self.csrf, self.username = response.json()["csrf_token"], username
        return response

    def send(self, method: str, path: str, body: Any = None) -> httpx.Response:
        headers = {"X-CSRF-Token": self.csrf} if self.csrf else {}
        return self.http.request(method, path, json=body, headers=headers)

    def add_item(self, title: str = "Brass lamp", seconds: float = 60, price: int = 1000,
                 description: str = "") -> int:
        ends_at = (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()
        response = self.send("POST", "/api/items", {"title": title, "description": description,
                                                    "starting_price_cents": price, "ends_at": ends_at})
        assert response.status_code == 201, response.text
        item_id: int = response.json()["id"]
        return item_id

    def bid(self, item_id: int, amount: int, key: str | None = None) -> httpx.Response:
        """Bid; `key` is sent as the Idempotency-Key header."""
        headers = {"X-CSRF-Token": self.csrf} if self.csrf else {}
        if key is not None:
            headers["Idempotency-Key"] = key
        return self.http.post(f"/api/items/{item_id}/bids", json={"amount_cents": amount},
                              headers=headers)

    def item(self, item_id: int) -> dict[str, Any]:
        response = self.http.get(f"/api/items/{item_id}")
        assert response.status_code == 200, response.text
        item: dict[str, Any] = response.json()
        return item


def new_username() -> str:
    return f"u{secrets.token_hex(6)}"


def signed_up(base_url: str) -> Api:
    api = Api(base_url)
    response = api.signup()
    assert response.status_code == 201, response.text
    return api


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")
