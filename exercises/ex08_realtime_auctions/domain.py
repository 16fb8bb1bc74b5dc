"""The values the auction rules pass around (provided): a bid, a closed auction, a refusal.

The rules themselves (`place_bid`, `close_due_auctions`, `catch_up`) live in the implementation's
`auctions.py`; the app maps a `BidRejectedError`'s reason to its HTTP status here, so both
implementations answer alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import asyncpg

CHANNEL = "auction_events"

RejectReason = Literal["not_found", "own_item", "closed", "too_low", "key_reused"]

# The HTTP status of each refusal: the seller's own item is forbidden (403, whatever the amount), a
# closed or outbid auction is a conflict with the current state (409), a reused idempotency key with
# another request is the client's error (422).
REJECT_STATUS: dict[str, int] = {"not_found": 404, "own_item": 403, "closed": 409, "too_low": 409,
                                 "key_reused": 422}


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


def bid_from_row(row: asyncpg.Record) -> Bid:
    """A `Bid` from a row with the columns `place_bid` and `bid_by_key` return."""
    return Bid(row["id"], row["item_id"], row["bidder_id"], row["bidder"], row["amount_cents"],
               row["created_at"])
