"""The auction rules, decided by PostgreSQL so that every app instance agrees.

A bid is accepted only if it beats the current highest by the minimum increment (or meets the
starting price when there is none), the bidder is not the seller, and it arrives before the end
time. All of that is ONE conditional UPDATE of the item's row (see `sql/bids.sql`): the row lock
serialises concurrent bids, and the re-check after the lock wait means no bid ever overwrites a
higher one (no lost update), with no application-level lock and no retry loop.

An auction closes at its end time: `close_due_auctions` flips due items to `closed` and records the
leader as the winner, in the same statement, skipping rows an in-flight bid holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import asyncpg

from .db import queries  # noqa: F401 - you will need it

CHANNEL = "auction_events"

RejectReason = Literal["not_found", "own_item", "closed", "too_low"]


@dataclass(frozen=True)
class Bid:
    id: int
    item_id: int
    bidder_id: int
    bidder: str
    amount_cents: int
    created_at: datetime


@dataclass(frozen=True)
class ClosedAuction:
    item_id: int
    winner_id: int | None
    winner: str | None
    amount_cents: int | None


class BidRejectedError(Exception):
    """The database refused the bid; `reason` says why, `minimum_cents` what would be accepted."""

    def __init__(self, reason: RejectReason, minimum_cents: int | None = None) -> None:
        super().__init__(reason if minimum_cents is None else f"{reason}: minimum {minimum_cents} cents")
        self.reason: RejectReason = reason
        self.minimum_cents = minimum_cents


async def place_bid(conn: asyncpg.Connection, item_id: int, bidder_id: int, amount_cents: int) -> Bid:
    """Place a bid, or raise `BidRejectedError`. Safe under any number of concurrent callers."""
    raise NotImplementedError(
        'place_bid: run queries.place_bid (write that conditional UPDATE in '
        'sql/bids.sql first); if no row came back, read queries.bid_context and raise'
        ' BidRejectedError with the reason'
    )


async def close_due_auctions(conn: asyncpg.Connection, limit: int = 100) -> list[ClosedAuction]:
    """Close every auction whose end time has passed; return what closed (each item exactly once)."""
    raise NotImplementedError(
        'close_due_auctions: run queries.close_due_auctions (write it in '
        'sql/bids.sql: FOR UPDATE SKIP LOCKED, winner = leader, pg_notify) and return'
        ' ClosedAuction values'
    )


async def catch_up(conn: asyncpg.Connection, item_id: int, after_bid_id: int) -> dict[str, Any] | None:
    """What a watcher that last saw bid `after_bid_id` missed: the item now, and the later bids.

    None when the item does not exist.
    """
    raise NotImplementedError(
        "catch_up: return {'item': ..., 'bids': [...]} from queries.get_item and "
        'queries.bids_after, or None when the item does not exist'
    )
