"""The fan-out: each notification from the LISTEN connection goes to this instance's watchers of its
item. The connection, subscriptions and resync live in the provided `hub.BaseHub`; this is the part
that decides who gets an event and what happens to a watcher that cannot keep up."""

from __future__ import annotations

import asyncio  # noqa: F401 - you will need it
import json  # noqa: F401 - you will need it
import logging

from ..hub import BaseHub, force_resync  # noqa: F401 - you will need force_resync

log = logging.getLogger(__name__)


class Hub(BaseHub):
    """This instance's listener: one LISTEN connection, many local watchers."""

    def dispatch(self, payload: str) -> int:
        """Hand one notification to every local watcher of its item; return how many got it.

        A malformed payload is logged, counted and dropped (our SQL cannot send one). A watcher whose
        queue is full is sent RESYNC instead and dropped, so one slow client never blocks the rest or
        grows memory without bound; it reconnects and catches up from the database.
        """
        raise NotImplementedError(
            "Hub.dispatch: parse the JSON payload, put the event on the queue of "
            "every subscriber of its item_id and return how many got it; drop and count "
            "malformed payloads (self.malformed); replace an overflowing watcher's queue "
            "with RESYNC via force_resync, unsubscribe it and count it (self.resyncs); "
            "add to self.delivered"
        )
