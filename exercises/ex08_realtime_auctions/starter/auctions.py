"""The auction rules, decided by PostgreSQL so that every app instance agrees.

A bid is accepted only if it beats the current highest by the minimum increment (or meets the
starting price when there is none), the bidder is not the seller, and it arrives before the end
time: ONE conditional UPDATE of the item's row (`sql/bids.sql`), whose row lock serialises
concurrent bids and whose re-check after the lock wait means no bid overwrites a higher one.
An idempotency key makes a retry return the bid it placed the first time instead of a refusal.
An auction closes at its end time, once, with the leader as winner (`close_due_auctions`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import asyncpg

from ..db import load_queries
from ..domain import Bid, BidRejectedError, ClosedAuction, bid_from_row  # noqa: F401 - you will need them

queries = load_queries(Path(__file__).resolve().parent / "sql")


async def place_bid(conn: asyncpg.Connection, item_id: int, bidder_id: int, amount_cents: int,
                    idempotency_key: str | None = None) -> Bid:
    """Place a bid, or raise `BidRejectedError`. Safe under any number of concurrent callers.

    With an `idempotency_key`, a retry of the same request returns the bid it placed, however the
    original and the retry interleave; the same key with another item or amount is `key_reused`.
    """
    raise NotImplementedError(
        'place_bid: run queries.place_bid (write that conditional UPDATE in '
        'sql/bids.sql first); if no row came back, read queries.bid_context and raise'
        ' BidRejectedError with the reason; with an idempotency key, answer a retry '
        'with the bid queries.bid_by_key finds (before and after the attempt)'
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
