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
from ..domain import Bid, BidRejectedError, ClosedAuction, bid_from_row

queries = load_queries(Path(__file__).resolve().parent / "sql")


async def place_bid(conn: asyncpg.Connection, item_id: int, bidder_id: int, amount_cents: int,
                    idempotency_key: str | None = None) -> Bid:
    """Place a bid, or raise `BidRejectedError`. Safe under any number of concurrent callers.

    With an `idempotency_key`, a retry of the same request returns the bid it placed, however the
    original and the retry interleave; the same key with another item or amount is `key_reused`.
    """
    if idempotency_key is not None and (earlier := await _replay(
            conn, item_id, bidder_id, amount_cents, idempotency_key)):
        return earlier
    try:
        row = await queries.place_bid(conn, item_id=item_id, bidder_id=bidder_id,
                                      amount_cents=amount_cents, idempotency_key=idempotency_key)
    except asyncpg.UniqueViolationError:
        row = None  # a request with this key committed first (its statement rolled ours back)
    if row is not None:
        return bid_from_row(row)
    # The original may have committed while this retry waited on the row lock: it is the answer.
    if idempotency_key is not None and (earlier := await _replay(
            conn, item_id, bidder_id, amount_cents, idempotency_key)):
        return earlier
    # Nothing matched: find out why, for the caller's message. (The decision is already made.)
    context = await queries.bid_context(conn, item_id=item_id)
    if context is None:
        raise BidRejectedError("not_found")
    if context["seller_id"] == bidder_id:
        raise BidRejectedError("own_item")
    if context["status"] != "open" or context["ended"]:
        raise BidRejectedError("closed")
    raise BidRejectedError("too_low", context["minimum_cents"])


async def _replay(conn: asyncpg.Connection, item_id: int, bidder_id: int, amount_cents: int,
                  key: str) -> Bid | None:
    """The bid placed earlier with this key, if any; the key reused for another request is refused."""
    row = await queries.bid_by_key(conn, bidder_id=bidder_id, idempotency_key=key)
    if row is None:
        return None
    if (row["item_id"], row["amount_cents"]) != (item_id, amount_cents):
        raise BidRejectedError("key_reused")
    return bid_from_row(row)


async def close_due_auctions(conn: asyncpg.Connection, limit: int = 100) -> list[ClosedAuction]:
    """Close every auction whose end time has passed; return what closed (each item exactly once)."""
    rows = [row async for row in queries.close_due_auctions(conn, limit=limit)]
    return [ClosedAuction(r["item_id"], r["winner_id"], r["winner"], r["amount_cents"]) for r in rows]


async def catch_up(conn: asyncpg.Connection, item_id: int, after_bid_id: int) -> dict[str, Any] | None:
    """What a watcher that last saw bid `after_bid_id` missed: the item now, and the later bids.

    None when the item does not exist.
    """
    item = await queries.get_item(conn, item_id=item_id)
    if item is None:
        return None
    bids = [b async for b in queries.bids_after(conn, item_id=item_id, after_id=after_bid_id, limit=1000)]
    return {"item": dict(item), "bids": [dict(b) for b in bids]}
