"""The bench's WebSocket clients, spread over several processes so that the clients are not the
bottleneck they were in one event loop.

At 1,000 clients and 10 frames/s the clients receive 10,000 frames/s. In one Python event loop that
is a queue of its own: a frame's receive time included the wait for the other 999 clients' frames
to be handled, and the figure measured the bench as much as the server. Here `fan_out` starts a few
worker processes (spawned: each a fresh interpreter with its own uvloop event loop, this module
imported alone, no Kafka client), each with its share of the clients.

Each client is a `websockets` sans-I/O `ClientProtocol` on a plain asyncio `Protocol`: a frame is
parsed and timed in `data_received`, with no task and no `recv()` wake-up per frame, which is what a
client costs when it only measures. The clock: the server stamps `time.time_ns()` into the frame
(`sent_ns`) as it publishes; the client reads `time.time_ns()` as the bytes arrive. One host, one
clock, so the difference is the publish-to-receive latency.

The measurement window is the same for all workers: they connect, say hello, take their welcome,
and wait at a barrier; the parent then fixes a window starting a little later and every frame
*published* in it counts. A frame of the window that a client did not receive is lost to it; a
client that the server closed (the slow-client policy's 1013, or any other code) is counted as
closed, and its missing frames as lost.
"""

from __future__ import annotations

import asyncio
import json
import math
import multiprocessing as mp
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.uri import parse_uri

CLIENTS_PER_WORKER = 250
MAX_WORKERS = 4
GRACE_S = 1.0  # after the window: frames published near its end still on their way


@dataclass
class Outcome:
    """What one worker's clients saw of the frames published in the window."""

    latencies_ms: list[float] = field(default_factory=list)
    frames_seen: set[int] = field(default_factory=set)  # every in-window frame number any client got
    received: list[int] = field(default_factory=list)  # in-window frames, per client
    closed: dict[str, int] = field(default_factory=dict)  # close code -> clients
    failed: str | None = None


class _Client(asyncio.Protocol):
    """One measuring WebSocket client: handshake, hello, then it times every `bench` frame."""

    def __init__(self, url: str, window: list[int]) -> None:
        self.protocol = ClientProtocol(parse_uri(url), max_size=None)
        self.window = window  # [start_ns, end_ns]: set by the parent through the barrier
        self.transport: asyncio.Transport | None = None
        self.welcomed = asyncio.get_running_loop().create_future()
        self.latencies_ms: list[float] = []
        self.numbers: list[int] = []
        self.close_code: int | None = None
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is no asyncio.Transport subclass
        self.protocol.send_request(self.protocol.connect())
        self._flush()

    def data_received(self, data: bytes) -> None:
        now = time.time_ns()
        self.protocol.receive_data(data)
        for event in self.protocol.events_received():
            if isinstance(event, Response):
                if self.protocol.handshake_exc is not None:
                    self._fail(self.protocol.handshake_exc)
                    return
                self.protocol.send_text(json.dumps({"type": "hello", "epoch": None,
                                                    "since": None}).encode())
            elif isinstance(event, Frame) and event.opcode is Opcode.TEXT:
                self._frame(bytes(event.data), now)
            elif isinstance(event, Frame) and event.opcode is Opcode.CLOSE:
                self.close_code = self.protocol.close_rcvd.code if self.protocol.close_rcvd else 1005
        self._flush()

    def _frame(self, data: bytes, now: int) -> None:
        if not self.welcomed.done():
            self.welcomed.set_result(None)  # the first frame is the welcome
            return
        # The bench frame starts {"type":"bench","n":N,"sent_ns":T,...}: parse only what is timed.
        if not data.startswith(b'{"type":"bench"'):
            return
        frame = json.loads(data)
        sent = int(frame["sent_ns"])
        start, end = self.window
        if start and start <= sent < end:
            self.latencies_ms.append((now - sent) / 1e6)
            self.numbers.append(int(frame["n"]))

    def _flush(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            for chunk in self.protocol.data_to_send():
                if chunk:
                    self.transport.write(chunk)
                else:
                    self.transport.write_eof()

    def _fail(self, exc: BaseException) -> None:
        if not self.welcomed.done():
            self.welcomed.set_exception(exc)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.close_code is None and self.welcomed.done():
            self.close_code = 1006  # abnormal closure: no close frame
        self._fail(exc or ConnectionError("closed before the welcome"))

    def close(self) -> None:
        if self.transport is not None:
            self.transport.abort()


async def _run_worker(url: str, clients: int, barrier: Any, window_shared: Any) -> Outcome:
    loop = asyncio.get_running_loop()
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    window = [0, 0]
    conns: list[_Client] = []
    for start in range(0, clients, 100):  # connect in waves: the accept queue is finite
        made = await asyncio.gather(*(loop.create_connection(lambda: _Client(url, window), host, port)
                                      for _ in range(start, min(clients, start + 100))))
        conns += [protocol for _transport, protocol in made]
    await asyncio.wait_for(asyncio.gather(*(c.welcomed for c in conns)), 60)
    await asyncio.to_thread(barrier.wait, 180)  # every worker connected
    await asyncio.to_thread(barrier.wait, 30)  # the parent has set the window
    window[0], window[1] = window_shared[0], window_shared[1]
    await asyncio.sleep(max(0.0, (window[1] - time.time_ns()) / 1e9 + GRACE_S))
    outcome = Outcome()
    for c in conns:
        outcome.latencies_ms += c.latencies_ms
        outcome.frames_seen.update(c.numbers)
        outcome.received.append(len(set(c.numbers)))
        if c.close_code is not None:
            outcome.closed[str(c.close_code)] = outcome.closed.get(str(c.close_code), 0) + 1
        c.close()
    return outcome


def _worker(url: str, clients: int, barrier: Any, window: Any, results: Any) -> None:
    try:
        import uvloop

        outcome = uvloop.run(_run_worker(url, clients, barrier, window))
    except BaseException as exc:  # reported to the parent, which says which point measured nothing
        barrier.abort()
        outcome = Outcome(failed=f"{type(exc).__name__}: {exc}")
    results.put(outcome)


@dataclass
class FanOut:
    """All workers' outcomes merged."""

    latencies_ms: list[float]
    clients: int
    workers: int
    expected_per_client: int
    received: int
    closed: dict[str, int]
    failed: str | None

    @property
    def closed_clients(self) -> int:
        return sum(self.closed.values())

    @property
    def lost(self) -> int:
        return self.expected_per_client * self.clients - self.received

    @property
    def received_share(self) -> float:
        expected = self.expected_per_client * self.clients
        return 100 * self.received / expected if expected else math.nan


def fan_out(url: str, clients: int, seconds: float, workers: int | None = None) -> FanOut:
    """`clients` WebSocket clients in `workers` processes (default: one per 250, at most 4) measure
    every frame published during `seconds`."""
    workers = workers or max(1, min(MAX_WORKERS, math.ceil(clients / CLIENTS_PER_WORKER)))
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(workers + 1)
    window = ctx.Array("q", 2)
    results = ctx.Queue()
    shares = [clients // workers + (1 if i < clients % workers else 0) for i in range(workers)]
    processes = [ctx.Process(target=_worker, args=(url, share, barrier, window, results), daemon=True)
                 for share in shares]
    for process in processes:
        process.start()
    outcomes: list[Outcome] = []
    try:
        try:
            barrier.wait(240)
            start = time.time_ns() + 300_000_000  # the window opens 0.3 s after all are ready
            window[0], window[1] = start, start + int(seconds * 1e9)
            barrier.wait(30)
        except threading.BrokenBarrierError:
            pass  # a worker failed and broke the barrier: its outcome says why
        deadline = time.monotonic() + seconds + 300
        while len(outcomes) < workers and time.monotonic() < deadline:
            try:
                outcomes.append(results.get(timeout=1))
            except queue.Empty:
                if not any(process.is_alive() for process in processes) and results.empty():
                    break  # a worker died without a word (killed, or its start failed)
        if len(outcomes) < workers:
            outcomes.append(Outcome(failed=f"{workers - len(outcomes)} client worker(s) never reported"))
    finally:
        for process in processes:
            process.join(10)
            if process.is_alive():
                process.kill()
    failed = next((o.failed for o in outcomes if o.failed), None)
    seen: set[int] = set().union(*(o.frames_seen for o in outcomes))
    expected = (max(seen) - min(seen) + 1) if seen else 0
    closed: dict[str, int] = {}
    for o in outcomes:
        for code, n in o.closed.items():
            closed[code] = closed.get(code, 0) + n
    return FanOut([lat for o in outcomes for lat in o.latencies_ms], clients, workers, expected,
                  sum(sum(o.received) for o in outcomes), closed, failed)
