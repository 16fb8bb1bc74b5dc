"""The broadcaster, provided glue: the page, the WebSocket endpoint, and the consumer thread.

    python -m exercises.ex05_eventhubs_websockets.server --port 8055 [--impl starter]

It serves the page (plain HTML and JS under a strict Content-Security-Policy, uPlot from this
exercise's node_modules, no CDN), runs the `Pipeline` in a thread and publishes what it yields
through the learner's `Hub`. The WebSocket protocol, all JSON text frames:

- the page's first message: `{"type": "hello", "epoch": <epoch or null>, "since": <seq or null>}`;
  `since` is the last aggregate's seq the page holds (null: send only what comes next). A page that
  resumes with another server's epoch (the server restarted) gets every aggregate still kept.
- the server: `welcome` (epoch, seq), then `agg` frames (numbered), sampled `raw` frames, and a
  `stats` frame a second (events in, windows out, dropped late, malformed, clients, consumer lag).
- a message that is not JSON, not an object of a known type, or binary: close 1008 (policy
  violation), never a server error. A client too slow for its queue: close 1013 (see fanout.py).

uvicorn stops gracefully on SIGTERM: the consumer commits its checkpoint and leaves the group.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import json
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.routing import WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from .config import EventHubsSettings, Ex05Settings

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
VENDOR = HERE / "node_modules" / "uplot" / "dist"
VENDOR_FILES = {"uPlot.iife.min.js": "text/javascript", "uPlot.min.css": "text/css"}
POLICY_VIOLATION = 1008
HELLO_TIMEOUT_S = 10.0
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
SECURITY_HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
                    "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}
log = logging.getLogger("ex05.server")


class BadClientMessage(ValueError):
    pass


def parse_client_message(text: str | None, first: bool) -> dict[str, Any]:
    """A client frame, checked: hello first (epoch, since), then only pings."""
    if text is None:
        raise BadClientMessage("binary frames are not part of the protocol")
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        raise BadClientMessage("not JSON") from None
    if not isinstance(data, dict):
        raise BadClientMessage("not a JSON object")
    kind = data.get("type")
    if first:
        since, epoch = data.get("since"), data.get("epoch")
        if kind != "hello" or not (since is None or (isinstance(since, int) and not isinstance(since, bool)
                                                     and since >= 0)) \
                or not (epoch is None or isinstance(epoch, str)):
            raise BadClientMessage("the first message must be {type: hello, epoch, since}")
    elif kind != "ping":
        raise BadClientMessage(f"unknown message type {kind!r}")
    return data


def load_impl(name: str) -> Any:
    return importlib.import_module(f"{__package__}.{name}")


class Broadcaster:
    """The running parts of one server process."""

    def __init__(self, impl: str) -> None:
        self.settings = Ex05Settings()
        self.epoch = secrets.token_hex(6)
        windows, fanout = load_impl(f"{impl}.windows"), load_impl(f"{impl}.fanout")
        # Built at once, so that a learner's stub fails the start, not the first reading.
        self.aggregator = windows.WindowAggregator(self.settings.window_ms, self.settings.lateness_ms)
        self.hub = fanout.Hub(self.settings.queue_size, self.settings.replay_size)
        self.pipeline: Any = None
        self.thread: threading.Thread | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.clients_served = 0
        self.failed: str | None = None

    async def publish_all(self, frames: list[dict[str, object]]) -> None:
        for frame in frames:
            await self.hub.publish(frame)

    def _publish_from_thread(self, frames: list[dict[str, object]]) -> None:
        assert self.loop is not None
        asyncio.run_coroutine_threadsafe(self.publish_all(frames), self.loop).result(timeout=60)

    def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        if self.settings.synthetic_rate:
            return
        from .pipeline import Pipeline, ensure_topics

        kafka = EventHubsSettings().kafka_config()
        ensure_topics(kafka, self.settings)
        self.pipeline = Pipeline(kafka, self.settings, self.aggregator, self._publish_from_thread)
        self.thread = threading.Thread(target=self._consume, name="ex05-consumer", daemon=True)
        self.thread.start()

    def _consume(self) -> None:
        try:
            self.pipeline.run()
        except Exception as exc:  # the page shows it in the stats; the log has the traceback
            log.exception("the consumer stopped")
            self.failed = f"{type(exc).__name__}: {exc}"

    def stop(self) -> None:
        if self.pipeline is not None:
            self.pipeline.stop()
        if self.thread is not None:
            self.thread.join(30)

    def stats(self) -> dict[str, object]:
        counters = self.pipeline.counters if self.pipeline is not None else None
        return {"type": "stats", "epoch": self.epoch, "seq": self.hub.seq,
                "events_in": counters.events_in if counters else 0,
                "windows_out": counters.windows_out if counters else 0,
                "dropped_late": self.aggregator.dropped,
                "malformed": counters.malformed if counters else 0,
                "consumer_lag": counters.lag if counters else 0,
                "newest_event_ms": counters.newest_event_ms if counters else 0,
                "first_offsets": counters.first_offsets if counters else {},
                "clients": len(self.hub.clients), "clients_served": self.clients_served,
                "slow_clients_dropped": self.hub.dropped_clients, "failed": self.failed,
                "server_ms": int(time.time() * 1000)}

    async def tick(self) -> None:
        """The stats frame, once a second; in bench mode also the synthetic frames."""
        rate = self.settings.synthetic_rate
        next_stats = time.monotonic()
        pad = "x" * max(0, self.settings.synthetic_bytes - 60)
        n = 0
        while True:
            now = time.monotonic()
            if now >= next_stats:
                await self.hub.publish(self.stats())
                next_stats = now + self.settings.stats_interval_s
            if rate:
                n += 1
                await self.hub.publish({"type": "bench", "n": n, "sent_ns": time.time_ns(), "pad": pad})
                await asyncio.sleep(max(0.0, 1 / rate - (time.monotonic() - now)))
            else:
                await asyncio.sleep(max(0.01, next_stats - time.monotonic()))


def create_app() -> FastAPI:
    impl = os.environ.get("BOOTCAMP_IMPL", "solution")
    holder: dict[str, Broadcaster] = {}

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        broadcaster = Broadcaster(impl)
        holder["b"] = broadcaster
        broadcaster.start()
        ticker = asyncio.create_task(broadcaster.tick())
        try:
            yield
        finally:
            ticker.cancel()
            await asyncio.to_thread(broadcaster.stop)

    app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/")
    async def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html", headers=SECURITY_HEADERS)

    @app.get("/static/{name}")
    async def static(name: str) -> Response:
        types = {"app.js": "text/javascript", "style.css": "text/css"}
        if name not in types:
            return Response(status_code=404)
        return FileResponse(STATIC / name, media_type=types[name], headers=SECURITY_HEADERS)

    @app.get("/vendor/{name}")
    async def vendor(name: str) -> Response:
        if name not in VENDOR_FILES:
            return Response(status_code=404)
        return FileResponse(VENDOR / name, media_type=VENDOR_FILES[name], headers=SECURITY_HEADERS)

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        broadcaster = holder["b"]
        ok = broadcaster.failed is None
        return JSONResponse({"ok": ok, "epoch": broadcaster.epoch}, status_code=200 if ok else 503)

    @app.get("/stats")
    async def stats() -> JSONResponse:
        return JSONResponse(holder["b"].stats())

    app.router.routes.append(WebSocketRoute("/ws", ClientEndpoint(holder)))
    return app


class ClientEndpoint:
    """The `/ws` route as a plain ASGI app rather than a decorated function, so that it holds the
    ASGI `send` itself: the hub's frames go straight to it (`EX05_SEND_PATH=asgi`), not through
    Starlette's `WebSocket.send_text`, which re-checks the connection's state machine and goes through
    one more wrapper for every frame to every client. Accept, receive and close still use Starlette's
    `WebSocket`, where its checks earn their keep."""

    def __init__(self, holder: dict[str, Broadcaster]) -> None:
        self.holder = holder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive, send)
        broadcaster = self.holder["b"]
        if broadcaster.settings.send_path == "starlette":
            await serve_client(broadcaster, websocket, websocket.send_text)
            return

        async def send_text(text: str) -> None:
            await send({"type": "websocket.send", "text": text})

        await serve_client(broadcaster, websocket, send_text)


async def serve_client(broadcaster: Broadcaster, websocket: WebSocket,
                       send_text: Callable[[str], Awaitable[None]]) -> None:
    """One page's connection: the hello, the welcome, then the hub's frames (through `send_text`)
    until either side ends."""
    await websocket.accept()
    try:
        hello = parse_client_message(await _receive(websocket, HELLO_TIMEOUT_S), first=True)
    except (BadClientMessage, TimeoutError) as exc:
        await websocket.close(POLICY_VIOLATION, str(exc) or "no hello")
        return
    except WebSocketDisconnect:
        return
    since = hello["since"]
    if since is not None and hello["epoch"] != broadcaster.epoch:
        since = 0  # another server's numbers: everything kept, the page upserts by window
    await websocket.send_text(json.dumps({"type": "welcome", "epoch": broadcaster.epoch,
                                          "seq": broadcaster.hub.seq}))
    client = broadcaster.hub.subscribe(send_text, websocket.close, since)
    broadcaster.clients_served += 1
    reader = asyncio.create_task(_read_pings(websocket))
    try:
        writer = client.task
        waiting = {reader} | ({writer} if writer is not None else set())
        await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        if reader.done() and isinstance(reader.exception(), BadClientMessage):
            await broadcaster.hub.unsubscribe(client)
            if websocket.client_state == WebSocketState.CONNECTED:
                await websocket.close(POLICY_VIOLATION, str(reader.exception()))
    finally:
        reader.cancel()
        await broadcaster.hub.unsubscribe(client)


async def _receive(websocket: WebSocket, timeout: float) -> str | None:
    message = await asyncio.wait_for(websocket.receive(), timeout)
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    text: str | None = message.get("text")
    return text


async def _read_pings(websocket: WebSocket) -> None:
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        parse_client_message(message.get("text"), first=False)


def listening_socket(host: str, port: int, sndbuf: int) -> socket.socket:
    """The server's listening socket. A send buffer set here is inherited by every accepted socket
    (Linux), which turns off the kernel's send-buffer autotuning for them: without it a client that
    stops reading can hold up to `net.ipv4.tcp_wmem`'s maximum (4 MiB here) of the server's memory
    in the kernel, before the app's own bounded queue even notices it is slow."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if sndbuf:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, sndbuf)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8055")))
    parser.add_argument("--log-level", default=os.environ.get("LOG_LEVEL", "warning"))
    parser.add_argument("--impl", choices=("solution", "starter"),
                        default=os.environ.get("BOOTCAMP_IMPL", "solution"))
    args = parser.parse_args(argv)
    os.environ["BOOTCAMP_IMPL"] = args.impl
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # websockets-sansio: its send waits while the transport is paused (64 KiB above the kernel's
    # buffer), so a slow client's writer blocks, its queue fills, and the hub's policy applies.
    config = uvicorn.Config(f"{__package__}.server:create_app", factory=True, log_level=args.log_level,
                            ws="websockets-sansio", ws_per_message_deflate=False, ws_max_queue=4,
                            timeout_graceful_shutdown=5, backlog=2048)
    sock = listening_socket(args.host, args.port, Ex05Settings().socket_sndbuf)
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
