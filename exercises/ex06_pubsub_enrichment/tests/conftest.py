from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from exercises.ex06_pubsub_enrichment.harness import ApiProcess, Resources, unique_resources


@pytest.fixture(scope="session")
def pubsub(local_service: Callable[[str], str]) -> str:
    """The Pub/Sub emulator's host:port (also exported as PUBSUB_EMULATOR_HOST)."""
    return local_service("pubsub")


@pytest.fixture
def resources(pubsub: str) -> Iterator[Resources]:
    created = unique_resources("t06")
    yield created
    created.delete()


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, impl_name: str) -> Iterator[ApiProcess]:
    """The graded implementation's Bookstore API as a real uvicorn process."""
    log = Path(tmp_path_factory.mktemp("api")) / "api.log"
    process = ApiProcess(impl=impl_name, log=log).start()
    yield process
    process.kill()


class FlakyProxy:
    """A tiny HTTP proxy in front of the real API that answers 503 to the first request for each path,
    then forwards: the deterministic "API answers 503, then 200" fault."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.seen: dict[str, int] = {}
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # the stdlib's name
                with proxy.lock:
                    proxy.seen[self.path] = proxy.seen.get(self.path, 0) + 1
                    first = proxy.seen[self.path] == 1
                if first:
                    status, body = 503, b'{"detail": "injected 503"}'
                else:
                    answer = httpx.get(proxy.upstream + self.path, timeout=5)
                    status, body = answer.status_code, answer.content
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def flaky_api(api: ApiProcess) -> Iterator[FlakyProxy]:
    proxy = FlakyProxy(api.url)
    yield proxy
    proxy.close()
