"""Hostile input over real HTTP: bodies over the size limit get 413 before they are read, and text
fields refuse control characters (422). A real uvicorn process, raw sockets where httpx would not send
what a hostile client sends (a Content-Length it never honours, a chunked body with no end)."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import httpx
import pytest

from exercises.ex03_stateless_api_k8s.local import ServerProcess
from exercises.ex03_stateless_api_k8s.tests.conftest import BOOK, ApiProcess

LIMIT = 4096  # MAX_BODY_BYTES for these servers: small, so the tests send little
PROBLEM = "application/problem+json"


def _answer(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Read one HTTP/1.1 response (status, headers, body) from a socket."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"the server closed the connection without answering: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    while len(body) < int(headers.get("content-length", "0")):
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(lines[0].split()[1]), headers, body


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiProcess]:
    """One real API process for the module (starting one costs seconds); each test cleans up after."""
    process = ServerProcess(env={"STORE": "memory", "MAX_BODY_BYTES": str(LIMIT), "LOG_LEVEL": "warning"},
                            log=tmp_path_factory.mktemp("limits") / "api.log").launch()
    try:
        yield process.wait_ready()
    finally:
        process.stop()


@pytest.fixture
def api(server: ApiProcess, implemented: None) -> Iterator[ApiProcess]:
    yield server
    for book in httpx.get(f"{server.url}/books", params={"limit": 100}).json()["items"]:
        httpx.delete(f"{server.url}/books/{book['id']}")


def test_a_declared_body_over_the_limit_is_413_before_a_byte_of_it_is_read(api: ApiProcess) -> None:
    """The client announces 30 MB and sends none of it: the answer comes anyway, so nothing was read."""
    with socket.create_connection(("127.0.0.1", api.port), timeout=10) as sock:
        sock.sendall(b"POST /books HTTP/1.1\r\nHost: api\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 31457280\r\n\r\n")
        status, headers, body = _answer(sock)
    assert status == 413, body
    assert headers["content-type"] == PROBLEM
    assert json.loads(body)["status"] == 413
    assert httpx.get(f"{api.url}/books").json()["items"] == []


def test_a_streamed_body_without_length_is_cut_off_at_the_limit_with_413(api: ApiProcess) -> None:
    """Chunked transfer, no Content-Length, and no last chunk ever: the server stops counting at the
    limit and answers 413 while the client is still 'sending'."""
    with socket.create_connection(("127.0.0.1", api.port), timeout=10) as sock:
        sock.sendall(b"PUT /books/x HTTP/1.1\r\nHost: api\r\nContent-Type: application/json\r\n"
                     b"If-Match: *\r\nTransfer-Encoding: chunked\r\n\r\n")
        piece = b" " * 1024
        for _ in range(LIMIT // len(piece) + 1):  # one chunk past the limit, and no terminating 0-chunk
            sock.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        status, headers, body = _answer(sock)
    assert status == 413, body
    assert headers["content-type"] == PROBLEM


def test_a_body_at_the_limit_is_accepted(api: ApiProcess) -> None:
    body = json.dumps(BOOK).encode()
    padded = body + b" " * (LIMIT - len(body))  # JSON allows trailing whitespace
    created = httpx.post(f"{api.url}/books", content=padded, headers={"Content-Type": "application/json"})
    assert created.status_code == 201, created.text
    over = httpx.post(f"{api.url}/books", content=padded + b" ", headers={"Content-Type": "application/json"})
    assert over.status_code == 413


@pytest.mark.parametrize(("field", "value"), [("title", "Du\x00ne"), ("author", "Frank\x1b[31mHerbert"),
                                              ("title", "two\nlines"), ("tags", ["ok", "t\tab"]),
                                              ("author", "C1\x85control")])
def test_control_characters_in_text_fields_are_422_with_a_clear_message(
        api: ApiProcess, field: str, value: object) -> None:
    response = httpx.post(f"{api.url}/books", json={**BOOK, field: value})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    [error] = response.json()["errors"]
    assert error["loc"][:2] == ["body", field]
    assert "must not contain control characters" in error["msg"]
    assert httpx.get(f"{api.url}/books").json()["items"] == []


def test_surrounding_whitespace_is_trimmed_not_refused(api: ApiProcess) -> None:
    created = httpx.post(f"{api.url}/books", json={**BOOK, "title": "  Dune\n"})
    assert created.status_code == 201, created.text
    assert created.json()["title"] == "Dune"
