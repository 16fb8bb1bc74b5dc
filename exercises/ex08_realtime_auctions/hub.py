"""The LISTEN/NOTIFY plumbing of the fan-out (provided): one listening connection per instance.

Bids and closes are decided in the database, and the same transaction calls `pg_notify`, so an event
exists exactly when its change committed. Every app instance keeps ONE listening connection and
hands each notification to the watchers of that item connected to *this* instance. Two instances
behind a load balancer therefore push the same events, whichever instance took the bid.

NOTIFY is not a durable log: a listener that is disconnected misses what was sent meanwhile. So the
hub never pretends otherwise: when its connection drops, or a watcher falls too far behind, it tells
those watchers to RESYNC; they reconnect and catch up from the `bids` table (the source of truth),
asking for everything after the last bid id they saw.

`BaseHub` is everything but the fan-out itself; the implementation's `realtime.Hub` adds `dispatch`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from typing import Any

import asyncpg

from .domain import CHANNEL

log = logging.getLogger(__name__)

RESYNC: dict[str, Any] = {"type": "resync"}


class Subscription:
    """One watcher's queue of events for one item."""

    def __init__(self, item_id: int, maxsize: int) -> None:
        self.item_id = item_id
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize)

    async def get(self) -> dict[str, Any]:
        return await self.queue.get()


class BaseHub:
    """This instance's listener: one LISTEN connection, many local watchers (no fan-out yet)."""

    def __init__(self, dsn: str, queue_size: int = 256, channel: str = CHANNEL) -> None:
        self.dsn = dsn
        self.channel = channel
        self.queue_size = queue_size
        self.subscribers: dict[int, set[Subscription]] = defaultdict(set)
        self.delivered = 0  # events handed to watchers
        self.malformed = 0  # notifications that were not valid events (logged and counted)
        self.resyncs = 0  # watchers told to reconnect and catch up
        self._conn: asyncpg.Connection | None = None
        self._reconnect: asyncio.Task[None] | None = None
        self._stopping = False
        self.listening = asyncio.Event()

    # -- the listening connection (plumbing) ---------------------------------------------------
    async def start(self) -> None:
        await self._connect()

    async def _connect(self) -> None:
        conn = await asyncpg.connect(self.dsn)
        await conn.add_listener(self.channel, self._on_notify)
        conn.add_termination_listener(self._on_lost)
        self._conn = conn
        self.listening.set()

    def _on_notify(self, _conn: object, _pid: int, _channel: str, payload: object) -> None:
        self.dispatch(str(payload))

    def _on_lost(self, _conn: object) -> None:
        """The LISTEN connection died: events may be missed, so every watcher must resync."""
        self.listening.clear()
        self._conn = None
        if self._stopping:
            return
        log.warning("lost the LISTEN connection; telling %d watchers to resync", self.watcher_count)
        self.resync_all()
        self._reconnect = asyncio.get_running_loop().create_task(self._reconnect_loop())

    async def _reconnect_loop(self) -> None:
        delay = 0.2
        while not self._stopping:
            try:
                await self._connect()
                return
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("reconnecting the LISTEN connection failed: %s", exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def stop(self) -> None:
        self._stopping = True
        if self._reconnect is not None:
            self._reconnect.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reconnect
        if self._conn is not None:
            await self._conn.close()
        self.resync_all()

    @property
    def watcher_count(self) -> int:
        return sum(len(subs) for subs in self.subscribers.values())

    # -- subscriptions and fan-out -------------------------------------------------------------
    def subscribe(self, item_id: int) -> Subscription:
        """Start receiving this item's events (subscribe BEFORE reading the catch-up snapshot)."""
        subscription = Subscription(item_id, self.queue_size)
        self.subscribers[item_id].add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        subs = self.subscribers.get(subscription.item_id)
        if subs is not None:
            subs.discard(subscription)
            if not subs:
                del self.subscribers[subscription.item_id]

    def dispatch(self, payload: str) -> int:
        """Hand one notification to every local watcher of its item (the implementation's part)."""
        raise NotImplementedError("Hub.dispatch is the implementation's part (realtime.py)")

    def resync_all(self) -> None:
        for subs in list(self.subscribers.values()):
            for subscription in list(subs):
                force_resync(subscription)
                self.resyncs += 1
        self.subscribers.clear()


def force_resync(subscription: Subscription) -> None:
    """Replace whatever the watcher has queued with a single RESYNC (the caller counts it)."""
    while not subscription.queue.empty():
        subscription.queue.get_nowait()
    subscription.queue.put_nowait(RESYNC)
