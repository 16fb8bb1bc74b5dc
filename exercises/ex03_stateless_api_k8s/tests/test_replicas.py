"""Why in-memory state breaks with replicas, and why Redis makes the API stateless: real processes.

Three uvicorn processes stand for three pods behind a Service; the tests send each request to a chosen
replica, as a round-robin load balancer would.
"""

from __future__ import annotations

import itertools
import signal
import uuid
from collections.abc import Callable

import httpx
import pytest

from exercises.ex03_stateless_api_k8s.tests.conftest import BOOK, ApiProcess


@pytest.mark.slow
def test_in_memory_replicas_disagree_a_book_made_on_one_is_404_on_the_others(
        start_apis: Callable[..., list[ApiProcess]], implemented: None) -> None:
    replicas = start_apis(3, STORE="memory")
    created = httpx.post(f"{replicas[0].url}/books", json=BOOK)
    assert created.status_code == 201
    path = created.headers["Location"]
    assert httpx.get(f"{replicas[0].url}{path}").status_code == 200
    assert [httpx.get(f"{r.url}{path}").status_code for r in replicas[1:]] == [404, 404]
    # Each replica has its own world: lists differ, and a restart forgets everything.
    assert len(httpx.get(f"{replicas[1].url}/books").json()["items"]) == 0
    replicas[0].stop()
    [restarted] = start_apis(STORE="memory")
    assert httpx.get(f"{restarted.url}{path}").status_code == 404


@pytest.mark.slow
def test_redis_replicas_are_interchangeable_and_survive_losing_any_of_them(
        start_apis: Callable[..., list[ApiProcess]], redis_url: str, implemented: None) -> None:
    env = {"STORE": "redis", "REDIS_URL": redis_url, "REDIS_NAMESPACE": f"rep-{uuid.uuid4().hex[:8]}"}
    replicas = start_apis(3, **env)
    round_robin = itertools.cycle(replicas)
    paths = []
    for i in range(9):  # each write lands on the next replica
        response = httpx.post(f"{next(round_robin).url}/books", json={**BOOK, "title": f"t{i}"})
        assert response.status_code == 201
        paths.append(response.headers["Location"])
    for replica in replicas:  # ...and every replica reads every book
        assert [httpx.get(f"{replica.url}{p}").json()["title"] for p in paths] == [f"t{i}" for i in range(9)]
    # A write through replica 1 with the ETag read from replica 2 is checked against the shared version.
    tag = httpx.get(f"{replicas[2].url}{paths[0]}").headers["ETag"]
    assert httpx.put(f"{replicas[1].url}{paths[0]}", json=BOOK, headers={"If-Match": tag}).status_code == 200
    assert httpx.put(f"{replicas[0].url}{paths[0]}", json=BOOK, headers={"If-Match": tag}).status_code == 412
    # Lose two replicas, one killed hard; the last one and a brand-new one still have everything.
    replicas[0].signal(signal.SIGKILL)
    replicas[1].stop()
    [fresh] = start_apis(**env)
    for survivor in (replicas[2], fresh):
        listed = httpx.get(f"{survivor.url}/books", params={"limit": 100}).json()
        assert [b["title"] for b in listed["items"]] == [BOOK["title"]] + [f"t{i}" for i in range(1, 9)]
