"""Fixtures for Exercise 3: stores (memory and a real Redis), in-process apps, and real API processes."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bootcamp.testing.plugin import Implementation
from exercises.ex03_stateless_api_k8s.local import ServerProcess

BOOK = {"title": "Designing Data-Intensive Applications", "author": "Martin Kleppmann", "year": 2017,
        "tags": ["streams", "databases"]}


@pytest.fixture(scope="session")
def redis_url(local_service: Callable[[str], str]) -> str:
    """A real Redis (the project's redis-server, or REDIS_URL)."""
    return local_service("redis")


def unique_namespace() -> str:
    return f"test-{uuid.uuid4().hex[:10]}"


@pytest.fixture(params=["memory", "redis"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make_store(impl: Implementation, backend: str, request: pytest.FixtureRequest) -> Callable[[], object]:
    """A factory of stores of the chosen backend; Redis stores of one test share one fresh namespace."""
    namespace = unique_namespace()

    def build() -> object:
        if backend == "redis":
            url = request.getfixturevalue("redis_url")
            return impl.store.RedisStore(url, namespace)
        return impl.store.MemoryStore()

    return build


@pytest.fixture
def client(impl: Implementation, make_store: Callable[[], object]) -> Iterator[TestClient]:
    """A TestClient on the app with one store; the lifespan runs (and closes the store at the end)."""
    with TestClient(impl.app.create_app(store=make_store())) as test_client:
        yield test_client


@pytest.fixture
def implemented(impl: Implementation) -> None:
    """Tests that deploy the API (image, manifests) first check there is an API to deploy."""
    store = impl.store.MemoryStore()
    with TestClient(impl.app.create_app(store=store)) as test_client:
        created = test_client.post("/books", json=BOOK)
        assert created.status_code == 201, created.text
        assert test_client.get(created.headers["Location"]).headers["ETag"] == created.headers["ETag"]


ApiProcess = ServerProcess


@pytest.fixture
def start_apis(tmp_path: Path, impl_name: str) -> Iterator[Callable[..., list[ApiProcess]]]:
    """Start `count` API processes (replicas) of the implementation under test at once with the given
    environment; all stopped at the end."""
    started: list[ApiProcess] = []

    def start(count: int = 1, **env: str) -> list[ApiProcess]:
        replicas = [ApiProcess(env={"BOOTCAMP_IMPL": impl_name, **env},
                               log=tmp_path / f"api-{len(started) + i}.log").launch()
                    for i in range(count)]
        started.extend(replicas)
        return [replica.wait_ready() for replica in replicas]

    yield start
    for replica in started:
        replica.stop()
