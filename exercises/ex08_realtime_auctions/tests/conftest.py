"""Fixtures: a fresh database on the project's PostgreSQL, and two app instances sharing it.

Both instances run as subprocesses (`python -m exercises.ex08_realtime_auctions.server --impl ...`),
so the tests talk HTTP and WebSocket to real servers, and "two instances agree" is tested with two
real processes.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import asyncpg
import httpx
import pytest

from bootcamp.paths import REPO_ROOT
from bootcamp.services.base import free_port

PACKAGE = "exercises.ex08_realtime_auctions"
PASSWORD = "correct horse battery"


def impl_module(config: pytest.Config, name: str) -> ModuleType:
    return importlib.import_module(f"{PACKAGE}.{config.getoption('--impl')}.{name}")


def with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


async def create_database(admin_url: str, config: pytest.Config, migrate: bool = True) -> str:
    name = f"ex08_{secrets.token_hex(5)}"
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    url = with_database(admin_url, name)
    if migrate:
        conn = await asyncpg.connect(url)
        try:
            await impl_module(config, "migrate").apply_migrations(conn)
        finally:
            await conn.close()
    return url


async def drop_database(admin_url: str, url: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{url.rpartition("/")[2]}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def pg_admin(local_service: Callable[[str], str]) -> str:
    """The project's PostgreSQL (or DATABASE_URL's): a URL to its maintenance database."""
    return local_service("postgres")


@pytest.fixture(scope="session")
def database(pg_admin: str, pytestconfig: pytest.Config) -> Iterator[str]:
    """A fresh database, migrated by the implementation under test, dropped at the end."""
    url = asyncio.run(create_database(pg_admin, pytestconfig))
    yield url
    asyncio.run(drop_database(pg_admin, url))


@pytest.fixture(scope="module")
def quiet_db(pg_admin: str, pytestconfig: pytest.Config) -> Iterator[str]:
    """A migrated database no app instance serves: no closer runs behind a test's back."""
    url = asyncio.run(create_database(pg_admin, pytestconfig))
    yield url
    asyncio.run(drop_database(pg_admin, url))


@pytest.fixture
def fresh_db(pg_admin: str, pytestconfig: pytest.Config) -> Iterator[str]:
    """An empty (unmigrated) database of this test's own."""
    url = asyncio.run(create_database(pg_admin, pytestconfig, migrate=False))
    yield url
    asyncio.run(drop_database(pg_admin, url))


@dataclass
class Instance:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def ws(self) -> str:
        return self.url.replace("http://", "ws://")


# Cheaper argon2id parameters for tests only (the default is RFC 9106's 64 MiB profile): the tests
# sign up dozens of users on a 2-core machine. Still argon2id, still checked by the database.
CHEAP_ARGON2 = {"AUCTION_ARGON2_TIME_COST": "1", "AUCTION_ARGON2_MEMORY_KIB": "8192",
                "AUCTION_ARGON2_PARALLELISM": "1"}


def launch_instance(database_url: str, impl: str, log_dir: Path, **env: str) -> Instance:
    port = free_port()
    log = log_dir / f"server-{port}.log"
    handle = log.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", f"{PACKAGE}.server", "--impl", impl, "--port", str(port),
         "--log-level", "warning"],
        cwd=REPO_ROOT, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True,
        env={**os.environ, "DATABASE_URL": database_url, "AUCTION_CLOSE_INTERVAL_S": "0.1",
             **CHEAP_ARGON2, **env},
    )
    return Instance(f"http://127.0.0.1:{port}", process, log)


def wait_healthy(instance: Instance, impl: str) -> Instance:
    url, process, log = instance.url, instance.process, instance.log
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the {impl} server exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return instance
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    stop_instance(instance)
    raise RuntimeError(f"the {impl} server did not become healthy: {log.read_text()[-2000:]}")


def start_instance(database_url: str, impl: str, log_dir: Path, **env: str) -> Instance:
    return wait_healthy(launch_instance(database_url, impl, log_dir, **env), impl)


def stop_instance(instance: Instance) -> None:
    if instance.process.poll() is None:
        os.killpg(instance.process.pid, 15)
        try:
            instance.process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(instance.process.pid, 9)
            instance.process.wait()


@pytest.fixture(scope="session")
def instances(database: str, pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory
              ) -> Iterator[list[Instance]]:
    """Two app instances on one database, as behind a load balancer."""
    log_dir = tmp_path_factory.mktemp("ex08-servers")
    impl = pytestconfig.getoption("--impl")
    started = [launch_instance(database, impl, log_dir) for _ in range(2)]
    try:
        for instance in started:
            wait_healthy(instance, impl)
        yield started
    finally:
        for instance in started:
            stop_instance(instance)


def raise_if_not_implemented(response: httpx.Response) -> None:
    if response.status_code == 501:
        raise NotImplementedError(response.json().get("detail", "not implemented yet"))


class Api:
    """One browser-like user: a cookie jar, the CSRF token, and the calls the page makes."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=15,
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

    def bid(self, item_id: int, amount: int) -> httpx.Response:
        return self.send("POST", f"/api/items/{item_id}/bids", {"amount_cents": amount})

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
