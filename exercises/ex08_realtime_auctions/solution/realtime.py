"""The fan-out: each notification from the LISTEN connection goes to this instance's watchers of its
item. The connection, subscriptions and resync live in the provided `hub.BaseHub`; this is the part
that decides who gets an event and what happens to a watcher that cannot keep up."""

from __future__ import annotations

import asyncio
import json
import logging

from ..hub import BaseHub, force_resync

log = logging.getLogger(__name__)


class Hub(BaseHub):
    """This instance's listener: one LISTEN connection, many local watchers."""

    def dispatch(self, payload: str) -> int:
        """Hand one notification to every local watcher of its item; return how many got it.

        A malformed payload is logged, counted and dropped (our SQL cannot send one). A watcher whose
        queue is full is sent RESYNC instead and dropped, so one slow client never blocks the rest or
        grows memory without bound; it reconnects and catches up from the database.
        """
        try:
            event = json.loads(payload)
            item_id = int(event["item_id"])
        except (ValueError, KeyError, TypeError):
            log.warning("ignoring a malformed notification: %.200r", payload)
            self.malformed += 1
            return 0
        delivered = 0
        for subscription in list(self.subscribers.get(item_id, ())):
            try:
                subscription.queue.put_nowait(event)
                delivered += 1
            except asyncio.QueueFull:
                self.unsubscribe(subscription)
                force_resync(subscription)
                self.resyncs += 1
        self.delivered += delivered
        return delivered
