"""Fan-out to WebSocket clients with backpressure: yours to write.

Every client has its own bounded queue and its own writer task: `publish` only puts the frame, already
serialised once, on each queue and never waits for a socket, so one slow client cannot slow the
others. The slow-client policy: a client whose queue is full is disconnected with close code 1013
(Try Again Later); it reconnects with the sequence number of the last aggregate it holds, and the
hub replays what it missed from a bounded buffer of recent aggregate frames (raw points are a sample
and are not replayed). So a slow page loses no aggregate, and a fast page never waits for it.
"""

from __future__ import annotations

import asyncio
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
        raise NotImplementedError("Client.write (starter/fanout.py)")

    async def evict(self) -> None:
        """Let the writer reach the stop marker (or cancel it, stuck in a send), then close 1013."""
        raise NotImplementedError("Client.evict (starter/fanout.py)")


class Hub:
    """Numbered aggregate frames and sampled raw frames, fanned out to every subscribed client."""

    def __init__(self, queue_size: int = 256, replay_size: int = 20_000) -> None:
        raise NotImplementedError("Hub: clients, sequence numbers and a bounded replay buffer "
                                  "(starter/fanout.py)")

    async def publish(self, frame: dict[str, object]) -> int:
        """Send `frame` to every client; an aggregate (`type` "agg") gets the next sequence number and
        is kept for replay. Returns the frame's sequence number (0 for a frame without one)."""
        raise NotImplementedError("Hub.publish (starter/fanout.py)")

    def subscribe(self, send: Send, close: Close, since: int | None) -> Client:
        """A new client that first receives every kept aggregate with a sequence number above `since`
        (None: a new page, nothing to replay), then the live frames."""
        raise NotImplementedError("Hub.subscribe (starter/fanout.py)")

    async def unsubscribe(self, client: Client) -> None:
        """The client has gone: forget it and end its writer."""
        raise NotImplementedError("Hub.unsubscribe (starter/fanout.py)")
