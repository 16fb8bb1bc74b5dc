"""Plumbing shared by `bootcamp run`, `bootcamp bench` and the tests: the local hub, server processes,
and a WebSocket client that records what it receives."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

from bootcamp.errors import BootcampError
from bootcamp.paths import REPO_ROOT
from bootcamp.services.base import free_port
from bootcamp.services.kafka import EVENT_HUBS_CONNECTION_STRING, KafkaService

from .config import EventHubsSettings
from .events import Aggregate

PACKAGE = "exercises.ex05_eventhubs_websockets"


def local_hub_env() -> dict[str, str]:
    """The Event Hubs settings that reach the local broker's SASL PLAIN listener."""
    endpoint = KafkaService().sasl_endpoint()
    if endpoint is None:
        raise BootcampError("no SASL PLAIN listener: the local Kafka broker is not running",
                            hint="run `bootcamp up kafka`, or set KAFKA_SASL_BOOTSTRAP_SERVERS for a "
                            "broker of your own")
    return {"EVENTHUBS_BOOTSTRAP": endpoint, "EVENTHUBS_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
            "EVENTHUBS_CONNECTION_STRING": EVENT_HUBS_CONNECTION_STRING}


def hub_kafka_config(env: dict[str, str]) -> dict[str, Any]:
    """The Kafka client settings those variables give (read as the code reads them)."""
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        return EventHubsSettings().kafka_config()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def unique_topics(prefix: str = "ex05") -> dict[str, str]:
    tag = uuid.uuid4().hex[:8]
    return {"EX05_TOPIC": f"{prefix}.readings.{tag}", "EX05_DEAD_LETTER_TOPIC": f"{prefix}.dead.{tag}",
            "EX05_GROUP_ID": f"{prefix}-group-{tag}"}


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    port: int
    env: dict[str, str] = field(default_factory=dict)

    @property
    def ws(self) -> str:
        return self.url.replace("http://", "ws://") + "/ws"

    def stats(self) -> dict[str, Any]:
        data: dict[str, Any] = httpx.get(f"{self.url}/stats", timeout=5).json()
        return data


def start_server(impl: str, log_dir: Path, env: dict[str, str], port: int | None = None,
                 timeout_s: float = 60.0) -> Server:
    """A broadcaster process of `impl` (solution or starter), healthy, or an error saying why not.
    A learner's stub makes it exit at start: that is raised as NotImplementedError at once."""
    port = port or free_port()
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / f"server-{port}-{int(time.time() * 1000)}.log"
    with log.open("wb") as handle:
        process = subprocess.Popen(
            [sys.executable, "-m", f"{PACKAGE}.server", "--impl", impl, "--port", str(port)],
            cwd=REPO_ROOT, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, **env})
    server = Server(f"http://127.0.0.1:{port}", process, log, port, env)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            text = log.read_text(errors="replace")
            if "NotImplementedError" in text:
                line = next((ln for ln in reversed(text.splitlines()) if "NotImplementedError" in ln), "")
                raise NotImplementedError(line.split("NotImplementedError:", 1)[-1].strip()
                                          or "not implemented yet")
            raise RuntimeError(f"the ex05 server exited: {text[-2000:]}")
        try:
            if httpx.get(f"{server.url}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    stop_server(server)
    raise RuntimeError(f"the ex05 server did not become healthy: {log.read_text()[-2000:]}")


def stop_server(server: Server) -> None:
    """SIGTERM its process group (graceful: commit, leave the group), SIGKILL after 20 s."""
    if server.process.poll() is None:
        os.killpg(server.process.pid, signal.SIGTERM)
        try:
            server.process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait()


# -- a recording client ---------------------------------------------------------------------------
@dataclass
class Recorder:
    """What one WebSocket client received."""

    frames: list[dict[str, Any]] = field(default_factory=list)
    epoch: str | None = None
    close_code: int | None = None
    counts: dict[str, int] = field(default_factory=dict)
    """Frames received by type."""

    def aggregates(self) -> list[dict[str, Any]]:
        return [f for f in self.frames if f.get("type") == "agg"]

    def last_seq(self) -> int:
        return max((int(f["seq"]) for f in self.aggregates()), default=0)

    def latest_windows(self) -> dict[tuple[str, int], dict[str, Any]]:
        """The last value received for each (source, window start): what a page shows."""
        return {(f["source"], f["start_ms"]): f for f in self.aggregates()}


async def hello(ws: ClientConnection, epoch: str | None, since: int | None) -> dict[str, Any]:
    await ws.send(json.dumps({"type": "hello", "epoch": epoch, "since": since}))
    welcome: dict[str, Any] = json.loads(await ws.recv())
    if welcome.get("type") != "welcome":
        raise AssertionError(f"expected a welcome frame, got {welcome}")
    return welcome


def stalled_client(url: str, rcvbuf: int = 4096) -> socket.socket:
    """A WebSocket client that says hello and then never reads: a raw TCP socket with a small receive
    buffer set before connecting (so its advertised window stays small), the opening handshake and
    one masked hello frame written by hand. The server's sends to it block once the kernel's buffers
    are full, as they do for a phone on a bad network."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    hostport, _, path = url.split("//", 1)[1].partition("/")
    host, port = hostport.split(":")
    sock.connect((host, int(port)))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET /{path} HTTP/1.1\r\nHost: {hostport}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
                  ).encode())
    response = b""
    while b"\r\n\r\n" not in response:
        chunk = sock.recv(1)  # byte by byte: leave any frame after the headers unread
        if not chunk:
            raise ConnectionError("the server closed during the handshake")
        response += chunk
    if b" 101 " not in response.split(b"\r\n", 1)[0]:
        raise ConnectionError(f"no upgrade: {response[:80]!r}")
    payload = json.dumps({"type": "hello", "epoch": None, "since": None}).encode()
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    sock.sendall(bytes([0x81, 0x80 | len(payload)]) + mask + masked)
    return sock


async def record_until(url: str, recorder: Recorder, done: Any, since: int | None = 0,
                       timeout_s: float = 60.0) -> Recorder:
    """Connect, say hello (epoch and since from `recorder`), and record frames until `done(recorder)`."""
    async with connect(url, compression=None, max_size=None, open_timeout=20, close_timeout=1) as ws:
        welcome = await hello(ws, recorder.epoch, since)
        recorder.epoch = welcome["epoch"]
        deadline = time.monotonic() + timeout_s
        while not done(recorder):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out after {timeout_s:.0f} s; received "
                                     f"{len(recorder.frames)} frames, last seq {recorder.last_seq()}")
            frame = json.loads(await asyncio.wait_for(ws.recv(), remaining))
            recorder.frames.append(frame)
            kind = str(frame.get("type"))
            recorder.counts[kind] = recorder.counts.get(kind, 0) + 1
    return recorder


def offline_windows(events: list[Any], window_ms: int = 1000, lateness_ms: int = 2000
                    ) -> dict[tuple[str, int], Aggregate]:
    """The windows computed offline, from the same readings in the same per-source order: the fired
    ones (end at or before the source's last watermark), readings later than the bound left out."""
    watermark: dict[str, int] = {}
    groups: dict[tuple[str, int], list[float]] = {}
    for event in events:
        start = event.time_ms - event.time_ms % window_ms
        mark = watermark.get(event.source)
        if mark is not None and start + window_ms + lateness_ms <= mark:
            continue
        watermark[event.source] = max(mark or event.time_ms, event.time_ms)
        groups.setdefault((event.source, start), []).append(event.value)
    return {key: Aggregate(key[0], key[1], len(values), sum(values) / len(values), min(values),
                           max(values), 0)
            for key, values in groups.items() if key[1] + window_ms <= watermark[key[0]]}
