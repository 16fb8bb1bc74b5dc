"""Bids under concurrency: decided by the database, with no lost update and exactly one winner."""

from __future__ import annotations

import asyncio
import itertools
import random
from typing import Any

import asyncpg
import httpx
import pytest

from ..harness import Instance
from .conftest import new_username, signed_up, wait_until


async def seed(url: str, bidders: int, ends_in: str = "1 hour", items: int = 1
               ) -> tuple[list[int], list[int]]:
    """A seller, `bidders` users and `items` open items, written directly (hashes are not the point)."""
    conn = await asyncpg.connect(url)
    try:
        fake_hash = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2g"
        users = [await conn.fetchval(
            "INSERT INTO users (username, password_hash) VALUES ($1, $2) RETURNING id",
            new_username(), fake_hash) for _ in range(bidders + 1)]
        item_ids = [await conn.fetchval(
            "INSERT INTO items (seller_id, title, starting_price_cents, min_increment_cents, ends_at) "
            f"VALUES ($1, 'Clock', 1000, 100, now() + interval '{ends_in}') RETURNING id", users[0])
            for _ in range(items)]
        return item_ids, users[1:]
    finally:
        await conn.close()


def test_equal_concurrent_bids_exactly_one_is_accepted(impl: Any, quiet_db: str) -> None:
    async def scenario() -> tuple[int, set[str]]:
        (item_id,), bidders = await seed(quiet_db, 40)
        pool = await asyncpg.create_pool(quiet_db, min_size=20, max_size=20)
        assert pool is not None
        try:
            async def one(bidder: int) -> str:
                async with pool.acquire() as conn:
                    try:
                        await impl.auctions.place_bid(conn, item_id, bidder, 1000)
                    except impl.auctions.BidRejectedError as exc:
                        return str(exc.reason)
                    return "accepted"

            outcomes = await asyncio.gather(*(one(b) for b in bidders))
            return outcomes.count("accepted"), set(outcomes) - {"accepted"}
        finally:
            await pool.close()

    accepted, reasons = asyncio.run(scenario())
    assert accepted == 1
    assert reasons == {"too_low"}


def test_racing_bidders_never_lose_an_update(impl: Any, quiet_db: str) -> None:
    """Every bidder bids what it last saw plus a random step; the log must be a strict climb."""

    async def scenario() -> tuple[list[asyncpg.Record], dict[str, Any], list[tuple[int, int]]]:
        (item_id,), bidders = await seed(quiet_db, 16)
        pool = await asyncpg.create_pool(quiet_db, min_size=16, max_size=16)
        assert pool is not None
        accepted: list[tuple[int, int]] = []
        reasons: set[str] = set()
        try:
            async def bidder(user: int) -> None:
                seen = 1000
                for _ in range(25):
                    amount = seen + random.choice([0, 100, 100, 250])
                    async with pool.acquire() as conn:
                        try:
                            bid = await impl.auctions.place_bid(conn, item_id, user, amount)
                            accepted.append((bid.id, bid.amount_cents))
                            seen = bid.amount_cents + 100
                        except impl.auctions.BidRejectedError as exc:
                            reasons.add(exc.reason)
                            seen = exc.minimum_cents

            await asyncio.gather(*(bidder(u) for u in bidders))
            rows = await pool.fetch("SELECT id, amount_cents FROM bids WHERE item_id = $1 ORDER BY id",
                                    item_id)
            item = dict(await pool.fetchrow("SELECT * FROM items WHERE id = $1", item_id))
            assert reasons <= {"too_low"}, reasons
            return rows, item, accepted
        finally:
            await pool.close()

    rows, item, accepted = asyncio.run(scenario())
    amounts = [r["amount_cents"] for r in rows]
    assert len(amounts) > 16, "enough bids were accepted to make a race"
    assert sorted(accepted) == [(r["id"], r["amount_cents"]) for r in rows], "every accepted bid, no other"
    assert all(b - a >= 100 for a, b in itertools.pairwise(amounts)), amounts
    assert item["current_price_cents"] == amounts[-1]
    assert item["bid_count"] == len(amounts)


def test_bids_on_an_ended_or_missing_item_are_refused_before_the_closer_runs(impl: Any, quiet_db: str
                                                                            ) -> None:
    async def scenario() -> list[str]:
        (item_id,), (user, *_) = await seed(quiet_db, 1, ends_in="-1 second")
        conn = await asyncpg.connect(quiet_db)
        reasons = []
        try:
            for target in (item_id, 2**40):
                try:
                    await impl.auctions.place_bid(conn, target, user, 5000)
                    reasons.append("accepted")
                except impl.auctions.BidRejectedError as exc:
                    reasons.append(exc.reason)
            status = await conn.fetchval("SELECT status FROM items WHERE id = $1", item_id)
            reasons.append(status)
        finally:
            await conn.close()
        return reasons

    assert asyncio.run(scenario()) == ["closed", "not_found", "open"]


def test_concurrent_closers_close_each_auction_once_with_the_leader_as_winner(impl: Any, quiet_db: str
                                                                              ) -> None:
    async def scenario() -> tuple[list[Any], list[asyncpg.Record]]:
        item_ids, bidders = await seed(quiet_db, 2, ends_in="2 seconds", items=12)
        conn = await asyncpg.connect(quiet_db)
        try:
            for n, item_id in enumerate(item_ids[:8]):  # four stay without bids
                await impl.auctions.place_bid(conn, item_id, bidders[n % 2], 1000)
                await impl.auctions.place_bid(conn, item_id, bidders[(n + 1) % 2], 1200)
            await asyncio.sleep(2.1)
            closers = [await asyncpg.connect(quiet_db) for _ in range(4)]
            try:
                batches = await asyncio.gather(*(impl.auctions.close_due_auctions(c) for c in closers))
            finally:
                for c in closers:
                    await c.close()
            rows = await conn.fetch("SELECT id, status, winner_id, leader_id FROM items WHERE id = ANY($1)",
                                    item_ids)
            closed = [c for batch in batches for c in batch if c.item_id in item_ids]
            return closed, rows
        finally:
            await conn.close()

    closed, rows = asyncio.run(scenario())
    assert sorted(c.item_id for c in closed) == sorted(r["id"] for r in rows), "each item closed exactly once"
    assert all(r["status"] == "closed" and r["winner_id"] == r["leader_id"] for r in rows)
    assert sum(r["winner_id"] is not None for r in rows) == 8


@pytest.mark.slow
def test_many_http_bidders_on_two_instances_one_winner(instances: list[Instance]) -> None:
    """The whole path: 12 users bid through two instances at once until the auction ends."""
    seller = signed_up(instances[0].url)
    users = [signed_up(instances[n % 2].url) for n in range(12)]
    item_id = seller.add_item(seconds=5, price=1000)

    async def run() -> list[tuple[int, int, str]]:
        accepted: list[tuple[int, int, str]] = []

        async def bidder(n: int) -> None:
            api = users[n]
            async with httpx.AsyncClient(base_url=instances[n % 2].url, cookies=api.http.cookies,
                                         headers={"X-CSRF-Token": api.csrf or ""}, timeout=15) as http:
                minimum = 1000
                while True:
                    response = await http.post(f"/api/items/{item_id}/bids",
                                               json={"amount_cents": minimum + random.choice([0, 0, 100])})
                    if response.status_code == 201:
                        body = response.json()
                        accepted.append((body["id"], body["amount_cents"], body["bidder"]))
                        minimum = body["amount_cents"] + 100
                    elif response.status_code == 409 and response.json()["detail"]["reason"] == "too_low":
                        minimum = response.json()["detail"]["minimum_cents"]
                    else:
                        assert response.status_code == 409, response.text
                        assert response.json()["detail"]["reason"] == "closed"
                        return

        await asyncio.gather(*(bidder(n) for n in range(len(users))))
        return accepted

    accepted = sorted(asyncio.run(run()))
    assert len(accepted) >= 12, "enough bids were accepted to make a race"
    amounts = [a for _, a, _ in accepted]
    assert all(b - a >= 100 for a, b in itertools.pairwise(amounts))
    wait_until(lambda: seller.item(item_id)["status"] == "closed", what="the auction to close")
    item = seller.item(item_id)
    assert [(b["bid_id"], b["amount_cents"], b["bidder"]) for b in item["bids"]] == accepted
    assert item["winner"] == accepted[-1][2]
    assert item["current_price_cents"] == accepted[-1][1]
