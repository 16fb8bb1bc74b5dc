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
from .conftest import Api, new_username, signed_up, wait_until


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


async def _until(conn: asyncpg.Connection, sql: str, what: str, timeout: float = 10.0) -> None:
    """Poll `sql` (a boolean query) until it is true: a state to reach, not a time to wait."""
    for _ in range(int(timeout / 0.02)):
        if await conn.fetchval(sql):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


WAITING_ON_LOCKS = ("SELECT count(*) >= {n} FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'")


def test_bids_queued_on_the_row_lock_are_rechecked_against_the_one_that_won(impl: Any, quiet_db: str
                                                                           ) -> None:
    """Eight equal bids all arrive while a third connection holds the item's row, so all of them
    read the same old price; when it is released exactly one may win. A price checked against what
    the bid first read (a snapshot, a SELECT before the UPDATE) lets them all through: a lost update."""
    async def scenario() -> tuple[list[str], int]:
        (item_id,), bidders = await seed(quiet_db, 8)
        blocker = await asyncpg.connect(quiet_db)
        conns = [await asyncpg.connect(quiet_db) for _ in bidders]
        try:
            lock = blocker.transaction()
            await lock.start()
            await blocker.execute("SELECT 1 FROM items WHERE id = $1 FOR UPDATE", item_id)

            async def one(conn: asyncpg.Connection, bidder: int) -> str:
                try:
                    await impl.auctions.place_bid(conn, item_id, bidder, 1000)
                except impl.auctions.BidRejectedError as exc:
                    return str(exc.reason)
                return "accepted"

            tasks = [asyncio.create_task(one(c, b)) for c, b in zip(conns, bidders, strict=True)]
            await _until(blocker, WAITING_ON_LOCKS.format(n=len(bidders)), "every bid to queue on the row")
            await lock.rollback()
            outcomes = list(await asyncio.gather(*tasks))
            count = await blocker.fetchval("SELECT count(*) FROM bids WHERE item_id = $1", item_id)
            return outcomes, count
        finally:
            for c in (blocker, *conns):
                await c.close()

    outcomes, count = asyncio.run(scenario())
    assert (outcomes.count("accepted"), count) == (1, 1), (
        f"lost update: {outcomes.count('accepted')} of 8 equal bids queued on the row lock were accepted "
        f"({count} stored); the price must be re-checked after the lock wait, in the UPDATE's WHERE")
    assert set(outcomes) == {"accepted", "too_low"}


def test_a_bid_must_beat_the_current_price_by_the_minimum_increment(impl: Any, quiet_db: str) -> None:
    async def scenario() -> list[tuple[int, str, int | None]]:
        (item_id,), (first, second) = await seed(quiet_db, 2)  # starting 1000, increment 100
        conn = await asyncpg.connect(quiet_db)
        outcomes: list[tuple[int, str, int | None]] = []
        try:
            for bidder, amount in ((first, 999), (first, 1000), (second, 1000), (second, 1099),
                                   (second, 1100)):
                try:
                    await impl.auctions.place_bid(conn, item_id, bidder, amount)
                    outcomes.append((amount, "accepted", None))
                except impl.auctions.BidRejectedError as exc:
                    outcomes.append((amount, str(exc.reason), exc.minimum_cents))
        finally:
            await conn.close()
        return outcomes

    outcomes = asyncio.run(scenario())
    assert outcomes == [(999, "too_low", 1000), (1000, "accepted", None), (1000, "too_low", 1100),
                        (1099, "too_low", 1100), (1100, "accepted", None)], (
        f"a bid below the starting price, or below the current price plus the minimum increment, was "
        f"accepted (or refused with the wrong minimum): {outcomes}")


def test_the_seller_cannot_bid_on_their_own_item(impl: Any, quiet_db: str) -> None:
    """The rule lives in the bid statement itself, so no caller can skip it; whatever the amount."""
    async def scenario() -> list[str]:
        conn = await asyncpg.connect(quiet_db)
        try:
            (item_id,), (bidder, *_) = await seed(quiet_db, 1)
            seller = await conn.fetchval("SELECT seller_id FROM items WHERE id = $1", item_id)
            outcomes = []
            for amount in (1000, 10**6):
                try:
                    await impl.auctions.place_bid(conn, item_id, seller, amount)
                    outcomes.append("accepted")
                except impl.auctions.BidRejectedError as exc:
                    outcomes.append(exc.reason)
                except asyncpg.PostgresError as exc:  # e.g. the table's CHECK (leader_id <> seller_id)
                    outcomes.append(f"{type(exc).__name__}: {exc}")
            await impl.auctions.place_bid(conn, item_id, bidder, 1000)
            count = await conn.fetchval("SELECT count(*) FROM bids WHERE item_id = $1", item_id)
            outcomes.append(f"{count} bid")
            return outcomes
        finally:
            await conn.close()

    outcomes = asyncio.run(scenario())
    assert outcomes == ["own_item", "own_item", "1 bid"], (
        f"a seller's bid on their own item must be refused by the bid statement as own_item: {outcomes}")


def test_a_retried_bid_racing_its_original_gets_the_same_bid(impl: Any, quiet_db: str) -> None:
    """A client times out and retries with the same Idempotency-Key while the original is still in
    flight. Both reach the row lock before either commits (a third connection holds it); then one
    places the bid and the other must answer with that same bid, not 409 too_low."""
    async def scenario() -> tuple[list[Any], int]:
        (item_id,), (bidder, *_) = await seed(quiet_db, 1)
        blocker, first, second = [await asyncpg.connect(quiet_db) for _ in range(3)]
        try:
            lock = blocker.transaction()
            await lock.start()
            await blocker.execute("SELECT 1 FROM items WHERE id = $1 FOR UPDATE", item_id)

            async def attempt(conn: asyncpg.Connection) -> Any:
                try:
                    return await impl.auctions.place_bid(conn, item_id, bidder, 1500, "retry-key-1")
                except impl.auctions.BidRejectedError as exc:
                    return exc.reason

            tasks = [asyncio.create_task(attempt(c)) for c in (first, second)]
            await _until(blocker, WAITING_ON_LOCKS.format(n=2), "both attempts to wait on the row lock")
            await lock.rollback()
            results = await asyncio.gather(*tasks)
            count = await blocker.fetchval("SELECT count(*) FROM bids WHERE item_id = $1", item_id)
            return results, count
        finally:
            for c in (blocker, first, second):
                await c.close()

    results, count = asyncio.run(scenario())
    assert count == 1, f"{count} bids were placed for one idempotency key"
    assert all(isinstance(r, impl.auctions.Bid) for r in results), (
        f"a retry that waited on the row lock behind its original was refused instead of replayed: {results}")
    assert results[0] == results[1]


def test_a_bid_that_arrived_before_the_end_is_judged_by_its_arrival(impl: Any, quiet_db: str) -> None:
    """A bid waits on the row lock while the end passes (the lock holder moves the end to 'now', which
    is after the bid arrived). It arrived in time, so it is accepted: the end is compared with the
    statement's arrival (statement_timestamp()), not with the time the lock was granted
    (clock_timestamp())."""
    async def scenario() -> str:
        (item_id,), (bidder, *_) = await seed(quiet_db, 1)
        blocker, conn = await asyncpg.connect(quiet_db), await asyncpg.connect(quiet_db)
        try:
            lock = blocker.transaction()
            await lock.start()
            await blocker.execute("SELECT 1 FROM items WHERE id = $1 FOR UPDATE", item_id)
            task = asyncio.create_task(impl.auctions.place_bid(conn, item_id, bidder, 1000))
            await _until(blocker, WAITING_ON_LOCKS.format(n=1), "the bid to wait on the row lock")
            await blocker.execute("UPDATE items SET ends_at = clock_timestamp() WHERE id = $1", item_id)
            await lock.commit()
            try:
                await task
            except impl.auctions.BidRejectedError as exc:
                return str(exc.reason)
            return "accepted"
        finally:
            await blocker.close()
            await conn.close()

    outcome = asyncio.run(scenario())
    assert outcome == "accepted", (
        f"a bid that arrived before the end but waited on the row lock was refused ({outcome}): the end "
        "time must be compared with the statement's arrival, not the lock's grant")


def test_a_bid_sent_after_the_end_is_refused_even_in_an_older_transaction(impl: Any, quiet_db: str
                                                                         ) -> None:
    """now() is the start of the transaction, not of the statement: a caller whose transaction began
    before the end must not have a bid sent after the end accepted."""
    async def scenario() -> str:
        (item_id,), (bidder, *_) = await seed(quiet_db, 1)
        conn, other = await asyncpg.connect(quiet_db), await asyncpg.connect(quiet_db)
        try:
            async with conn.transaction():
                await conn.execute("SELECT now()")  # the transaction has started: now() is fixed
                await other.execute("UPDATE items SET ends_at = clock_timestamp() WHERE id = $1", item_id)
                try:
                    await impl.auctions.place_bid(conn, item_id, bidder, 1000)
                except impl.auctions.BidRejectedError as exc:
                    return str(exc.reason)
                return "accepted"
        finally:
            await conn.close()
            await other.close()

    outcome = asyncio.run(scenario())
    assert outcome == "closed", (
        f"a bid sent after the end was {outcome}: the end time was compared with now(), the start of "
        "an older transaction, instead of the statement's arrival")


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


def test_a_retried_bid_with_its_idempotency_key_gets_the_original_201(instances: list[Instance]) -> None:
    """A client that timed out cannot know whether its bid won; retrying with the same
    Idempotency-Key (on any instance) returns the original 201 and body, and places nothing new."""
    seller, bidder = signed_up(instances[0].url), signed_up(instances[0].url)
    item_id = seller.add_item(price=1000)
    first = bidder.bid(item_id, 1500, key="bid-7f3a")
    assert first.status_code == 201, first.text
    on_b = Api(instances[1].url)
    on_b.http.cookies, on_b.csrf = bidder.http.cookies, bidder.csrf
    retry = on_b.bid(item_id, 1500, key="bid-7f3a")
    assert (retry.status_code, retry.json()) == (201, first.json()), (
        f"a retry with the same Idempotency-Key did not get the original 201: {retry.status_code} "
        f"{retry.text[:200]}")
    # Without a key the same retry is a fresh decision: 409, though the client's first bid won.
    assert bidder.bid(item_id, 1500).json()["detail"]["reason"] == "too_low"
    assert bidder.item(item_id)["bid_count"] == 1, "the retry placed a second bid"
    reused = bidder.bid(item_id, 9000, key="bid-7f3a")
    assert (reused.status_code, reused.json()["detail"]["reason"]) == (422, "key_reused"), reused.text
    # A key belongs to its bidder: another user's equal key is their own, new bid.
    other = signed_up(instances[1].url).bid(item_id, 1600, key="bid-7f3a")
    assert other.status_code == 201, other.text
    assert other.json()["id"] != first.json()["id"]
    assert bidder.bid(item_id, 5000, key="x" * 129).status_code == 422
    assert bidder.bid(item_id, 5000, key="has space").status_code == 422


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
