"""Liveness, readiness, a Redis outage, and a clean shutdown that lets in-flight requests finish."""

from __future__ import annotations

import json
import signal
import socket
from collections.abc import Callable

import httpx
from fastapi.testclient import TestClient

from bootcamp.containers import wait_until
from bootcamp.services.base import free_port
from bootcamp.testing.plugin import Implementation
from exercises.ex03_stateless_api_k8s.tests.conftest import BOOK, ApiProcess


def test_ready_with_a_store_and_alive_always(client: TestClient) -> None:
    """Ready once the store answers, and the store then serves: a book written is read back."""
    assert client.get("/readyz").status_code == 200
    created = client.post("/books", json=BOOK)
    assert created.status_code == 201, created.text
    assert client.get(created.headers["Location"]).status_code == 200
    assert client.get("/healthz").json() == {"status": "alive"}


def test_redis_down_means_not_ready_but_alive_and_503_not_500(
        impl: Implementation, implemented: None) -> None:
    """No Redis listens on that port: readiness 503 (no traffic), liveness 200 (no restart loop)."""
    dead = impl.store.RedisStore(f"redis://127.0.0.1:{free_port()}/0", "nowhere", timeout_s=0.5)
    with TestClient(impl.app.create_app(store=dead), raise_server_exceptions=False) as client:
        assert client.get("/healthz").status_code == 200
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.headers["content-type"] == "application/problem+json"
        for response in (client.post("/books", json=BOOK), client.get("/books/x"), client.get("/books")):
            assert response.status_code == 503, response.text
            assert response.headers["Retry-After"]


def _refused(url: str) -> bool:
    try:
        httpx.get(url, timeout=1)
    except httpx.TransportError:
        return True
    return False


def test_sigterm_drains_an_in_flight_request_then_exits_zero(
        start_apis: Callable[..., list[ApiProcess]], implemented: None) -> None:
    """A request whose body is still arriving when SIGTERM lands is completed, then the process exits."""
    [api] = start_apis(STORE="memory", GRACEFUL_SHUTDOWN_S="10")
    body = json.dumps(BOOK).encode()
    with socket.create_connection(("127.0.0.1", api.port), timeout=10) as sock:
        # Expect: 100-continue makes the server say when the app starts reading the body: from then
        # on the request is in flight, not an idle connection that shutdown may simply close.
        sock.sendall(b"POST /books HTTP/1.1\r\nHost: api\r\nContent-Type: application/json\r\n"
                     b"Expect: 100-continue\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n")
        assert sock.recv(1024).startswith(b"HTTP/1.1 100")
        api.signal(signal.SIGTERM)
        # New connections are refused while the old one is still being served.
        assert wait_until(lambda: _refused(f"{api.url}/healthz"), timeout_s=10)
        sock.sendall(body)
        answer = sock.recv(65536).decode()
    assert answer.startswith("HTTP/1.1 201"), answer
    assert api.wait() == 0
    assert "Application shutdown complete" in api.log.read_text()
