"""Fan-out to WebSocket clients with backpressure (the learner's part).

Every client has its own bounded queue and its own writer task: `publish` only puts the frame, already
serialised once, on each queue and never waits for a socket, so one slow client cannot slow the
others. The slow-client policy: a client whose queue is full is disconnected with close code 1013
(Try Again Later); it reconnects with the sequence number of the last aggregate it holds, and the
hub replays what it missed from a bounded buffer of recent aggregate frames (raw points are a sample
and are not replayed). So a slow page loses no aggregate, and a fast page never waits for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import deque
from collections.abc import Awaitable, Callable

SLOW_CLIENT_CLOSE_CODE = 1013  # RFC 6455 registry: Try Again Later
EVICT_AFTER_S = 1.0  # a dropped client's writer stuck in a send that long is cancelled
Send = Callable[[str], Awaitable[None]]
Close = Callable[[int, str], Awaitable[None]]


class Client:
    """One connected page: its queue and the task that writes the queue to its socket."""

    def __init__(self, send: Send, close: Close, queue_size: int) -> None:
        self.send = send
        self.close = close
        self.queue: asyncio.Queue[str | None] = asyncio.Queue(maxsize=queue_size)
        self.task: asyncio.Task[None] | None = None
        self.overflowed = False
        self.sent = 0

    async def write(self) -> None:
        """Send queued frames in order until told to stop (None)."""
        while True:
            frame = await self.queue.get()
            if frame is None:
                return
            await self.send(frame)
            self.sent += 1

    async def evict(self) -> None:
        """Let the writer reach the stop marker (or cancel it, stuck in a send), then close 1013."""
        if self.task is not None:
            done, _ = await asyncio.wait({self.task}, timeout=EVICT_AFTER_S)
            if not done:
                self.task.cancel()
        with contextlib.suppress(Exception):  # the socket may be gone already
            await self.close(SLOW_CLIENT_CLOSE_CODE, "too slow: reconnect with your last seq")


class Hub:
    """Numbered aggregate frames and sampled raw frames, fanned out to every subscribed client."""

    def __init__(self, queue_size: int = 256, replay_size: int = 20_000) -> None:
        self.queue_size = queue_size
        self.seq = 0
        self.clients: set[Client] = set()
        self.dropped_clients = 0
        self._replay: deque[tuple[int, str]] = deque(maxlen=replay_size)
        self._evictions: set[asyncio.Task[None]] = set()

    async def publish(self, frame: dict[str, object]) -> int:
        """Send `frame` to every client; an aggregate (`type` "agg") gets the next sequence number and
        is kept for replay. Returns the frame's sequence number (0 for a frame without one)."""
        seq = 0
        if frame.get("type") == "agg":
            self.seq += 1
            seq = self.seq
            frame = {**frame, "seq": seq}
        text = json.dumps(frame, separators=(",", ":"))
        if seq:
            self._replay.append((seq, text))
        for client in list(self.clients):
            self._offer(client, text)
        return seq

    def _offer(self, client: Client, text: str) -> None:
        try:
            client.queue.put_nowait(text)
        except asyncio.QueueFull:
            self._drop(client)

    def _drop(self, client: Client) -> None:
        """The slow-client policy: stop queueing for it, and close it once its writer gets there."""
        self.clients.discard(client)
        client.overflowed = True
        self.dropped_clients += 1
        # Make room for the stop marker: what is still queued is lost to this client, which will
        # ask for it again by sequence number when it reconnects.
        while not client.queue.empty():
            client.queue.get_nowait()
        client.queue.put_nowait(None)
        self._evictions.add(asyncio.get_running_loop().create_task(client.evict()))
        self._evictions = {task for task in self._evictions if not task.done()}

    def subscribe(self, send: Send, close: Close, since: int | None) -> Client:
        """A new client that first receives every kept aggregate with a sequence number above `since`
        (None: a new page, nothing to replay), then the live frames."""
        backlog = [text for seq, text in self._replay if since is not None and seq > since]
        client = Client(send, close, self.queue_size + len(backlog))
        for text in backlog:
            client.queue.put_nowait(text)
        self.clients.add(client)
        client.task = asyncio.get_running_loop().create_task(client.write())
        return client

    async def unsubscribe(self, client: Client) -> None:
        """The client has gone: forget it and end its writer."""
        self.clients.discard(client)
        if client.task is not None and not client.task.done():
            client.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await client.task
