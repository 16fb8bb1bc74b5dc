"""`bootcamp bench ex08`: accepted bids per second under contention, and WebSocket fan-out latency.

1. Bids/s. N bidders race on ONE item (the hot row every bid must lock) for a fixed time, each
   bidding the minimum it last heard of. Baseline: the same conditional UPDATE sent straight to
   PostgreSQL by N asyncpg connections, no HTTP, no app. The ratio is what the web tier costs.
   A last row spreads the N bidders over N items: no contention, the contrast shows the row lock.
2. Fan-out. M WebSocket watchers (half on each of two instances) watch one item; a bidder places a
   bid every 100 ms; latency = from just before the POST to the push arriving at a watcher (one
   clock: all clients live in this process). Baseline: a bare LISTEN connection on the same channel,
   which sees the NOTIFY with no app in between.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from websockets.asyncio.client import connect

from bootcamp.bench import BenchReport, percentile, ratio

from .harness import Instance, admin_url, create_database, drop_database, start_instances, stop_instance

WARM_UP = 3
PASSWORD = "correct horse battery"  # noqa: S105 - throwaway bench users


async def sign_up(instance: Instance, n: int) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=instance.url, timeout=30,
                               limits=httpx.Limits(max_connections=4))
    response = await client.post("/api/signup", json={"username": f"b{n}_{random.randrange(10**8)}",
                                                      "password": PASSWORD})
    response.raise_for_status()
    client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    return client


async def new_item(client: httpx.AsyncClient, minutes: int = 30) -> int:
    from datetime import UTC, datetime, timedelta

    ends = (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()
    response = await client.post("/api/items", json={"title": "bench", "starting_price_cents": 100,
                                                      "ends_at": ends})
    response.raise_for_status()
    item_id: int = response.json()["id"]
    return item_id


async def http_bids(clients: list[httpx.AsyncClient], items: list[int], seconds: float) -> tuple[int, int]:
    """Each client bids on items[i % len(items)] until time is up; (accepted, attempts)."""
    deadline = time.perf_counter() + seconds
    accepted = attempts = 0

    async def bidder(n: int) -> None:
        nonlocal accepted, attempts
        client, item_id, minimum = clients[n], items[n % len(items)], 100
        while time.perf_counter() < deadline:
            response = await client.post(f"/api/items/{item_id}/bids", json={"amount_cents": minimum})
            attempts += 1
            if response.status_code == 201:
                accepted += 1
                minimum = response.json()["amount_cents"] + 100
            else:
                minimum = response.json()["detail"]["minimum_cents"]

    await asyncio.gather(*(bidder(n) for n in range(len(clients))))
    return accepted, attempts


async def sql_bids(database: str, auctions: Any, item_id: int, bidder_ids: list[int], seconds: float
                   ) -> tuple[int, int]:
    """The baseline: the implementation's place_bid on raw connections, no HTTP."""
    pool = await asyncpg.create_pool(database, min_size=len(bidder_ids), max_size=len(bidder_ids))
    assert pool is not None
    deadline = time.perf_counter() + seconds
    accepted = attempts = 0

    async def bidder(user: int) -> None:
        nonlocal accepted, attempts
        minimum = 100
        async with pool.acquire() as conn:
            while time.perf_counter() < deadline:
                attempts += 1
                try:
                    bid = await auctions.place_bid(conn, item_id, user, minimum)
                    accepted += 1
                    minimum = bid.amount_cents + 100
                except auctions.BidRejectedError as exc:
                    minimum = exc.minimum_cents

    try:
        await asyncio.gather(*(bidder(u) for u in bidder_ids))
    finally:
        await pool.close()
    return accepted, attempts


async def user_ids(database: str, count: int) -> list[int]:
    conn = await asyncpg.connect(database)
    try:
        fake = "$argon2id$v=19$m=8192,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g"
        return [await conn.fetchval(
            "INSERT INTO users (username, password_hash) VALUES ($1, $2) RETURNING id",
            f"sql{n}_{random.randrange(10**8)}", fake) for n in range(count)]
    finally:
        await conn.close()


async def sql_item(database: str, seller: int) -> int:
    conn = await asyncpg.connect(database)
    try:
        item_id: int = await conn.fetchval(
            "INSERT INTO items (seller_id, title, starting_price_cents, min_increment_cents, ends_at) "
            "VALUES ($1, 'bench', 100, 100, now() + interval '1 hour') RETURNING id", seller)
        return item_id
    finally:
        await conn.close()


async def fanout(instances: list[Instance], database: str, *, seller: httpx.AsyncClient,
                 bidder: httpx.AsyncClient, watchers: int, bids: int) -> tuple[list[float], list[float]]:
    """(WebSocket latencies, bare LISTEN latencies) in milliseconds."""
    item_id = await new_item(seller)
    sent: dict[int, float] = {}
    ws_lat: list[float] = []
    listen_lat: list[float] = []
    arrivals_listen: dict[int, float] = {}

    listener = await asyncpg.connect(database)

    def on_notify(_c: object, _p: int, _ch: str, payload: str) -> None:
        event = json.loads(payload)
        if event.get("type") == "bid" and event["item_id"] == item_id:
            arrivals_listen[event["bid_id"]] = time.perf_counter()

    await listener.add_listener("auction_events", on_notify)
    ready = asyncio.Event()
    connected = 0
    arrivals_ws: list[tuple[int, float]] = []

    async def watch(n: int) -> None:
        nonlocal connected
        async with connect(f"{instances[n % 2].ws}/ws/items/{item_id}", max_queue=None) as ws:
            await ws.recv()  # the snapshot
            connected += 1
            if connected == watchers:
                ready.set()
            seen = 0
            async for raw in ws:
                event = json.loads(raw)
                if event["type"] == "bid":
                    arrivals_ws.append((event["bid_id"], time.perf_counter()))
                    seen += 1
                    if seen == WARM_UP + bids:
                        return

    tasks = [asyncio.create_task(watch(n)) for n in range(watchers)]
    await asyncio.wait_for(ready.wait(), timeout=60)
    amount = 100
    for n in range(WARM_UP + bids):
        started = time.perf_counter()
        response = await bidder.post(f"/api/items/{item_id}/bids", json={"amount_cents": amount})
        response.raise_for_status()
        if n >= WARM_UP:  # the first bids warm connections and prepared statements
            sent[response.json()["id"]] = started
        amount += 100
        await asyncio.sleep(0.1)
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=60)
    await listener.close()
    ws_lat = [(at - sent[bid_id]) * 1000 for bid_id, at in arrivals_ws if bid_id in sent]
    listen_lat = [(at - sent[bid_id]) * 1000 for bid_id, at in arrivals_listen.items() if bid_id in sent]
    return ws_lat, listen_lat


def bench(quick: bool) -> None:
    import importlib

    impl_name = os.environ.get("BOOTCAMP_IMPL", "solution")
    auctions = importlib.import_module(f"exercises.ex08_realtime_auctions.{impl_name}.auctions")
    admin = admin_url()
    database = asyncio.run(create_database(admin, impl_name, prefix="ex08_bench"))
    seconds = 2.0 if quick else 5.0
    levels = [1, 8] if quick else [1, 8, 32]
    watchers, bids = (40, 10) if quick else (200, 40)
    report = BenchReport("ex08", "ex08: bids/s under contention, WebSocket fan-out latency",
                         ["measure", "N / M", "accepted/s", "attempts/s", "vs baseline"])
    report.progress(len(levels) + 4)  # each level, no contention, fan-out, two pool sizes
    report.chart("line", x="N / M", y="accepted/s", series="measure", title="accepted bids/s",
                 xlabel="bidders", where=lambda row: str(row["measure"]).startswith("bids"))
    report.chart("bar", x="measure", y=["accepted/s", "attempts/s"], names={"accepted/s": "p50",
                 "attempts/s": "p99"}, ylabel="ms", title="fan-out latency",
                 where=lambda row: str(row["measure"]).startswith("fan-out"))
    log_dir = Path(tempfile.mkdtemp(prefix="ex08-bench-"))
    instances = start_instances(database, impl_name, log_dir,
                                AUCTION_POOL_MAX_SIZE=str(max(levels) + 4))
    try:
        results = asyncio.run(_measure(instances, database, auctions, report, seconds=seconds,
                                       levels=levels, watchers=watchers, bids=bids))
    finally:
        for instance in instances:
            stop_instance(instance)
    try:
        results.update(_pool_knob(database, impl_name, log_dir, report, bidders=max(levels), seconds=seconds))
    finally:
        asyncio.run(drop_database(admin, database))
    report.note("bids: one hot item, each bidder bids the minimum it last heard; baseline = the same "
                "conditional UPDATE over raw asyncpg connections (no HTTP). Two app instances, one "
                "PostgreSQL. The no-contention row's ratio is against the hot-item HTTP row.")
    report.note(f"fan-out: {watchers} watchers over two instances, {bids} bids 100 ms apart; latency from "
                "before the POST to the push; baseline = a bare LISTEN connection.")
    report.finish(results)


def _pool_knob(database: str, impl_name: str, log_dir: Path, report: BenchReport, *, bidders: int,
               seconds: float) -> dict[str, Any]:
    """The knob AUCTION_POOL_MAX_SIZE: one instance, `bidders` bidders on as many items."""
    rates: dict[int, float] = {}
    for pool in (2, bidders + 4):
        (instance,) = start_instances(database, impl_name, log_dir, count=1,
                                      AUCTION_POOL_MAX_SIZE=str(pool), AUCTION_POOL_MIN_SIZE="2")
        try:
            rates[pool] = asyncio.run(_spread_rate(instance, bidders, seconds))
            report.advance(f"pool size {pool}")
        finally:
            stop_instance(instance)
    small, large = rates[2], rates[bidders + 4]
    report.add(f"knob AUCTION_POOL_MAX_SIZE=2, 1 instance, {bidders} items", bidders, small, small,
               ratio(small, large))
    report.add(f"knob AUCTION_POOL_MAX_SIZE={bidders + 4}, 1 instance, {bidders} items", bidders, large,
               large, 1.0)
    return {"spread_one_instance_pool_2": round(small, 1), "spread_one_instance_pool_large": round(large, 1)}


async def _spread_rate(instance: Instance, bidders: int, seconds: float) -> float:
    clients = [await sign_up(instance, n) for n in range(bidders + 1)]
    try:
        items = [await new_item(clients[0]) for _ in range(bidders)]
        accepted, _ = await http_bids(clients[1:], items, seconds)
        return accepted / seconds
    finally:
        for client in clients:
            await client.aclose()


async def _measure(instances: list[Instance], database: str, auctions: Any, report: BenchReport, *,
                   seconds: float, levels: list[int], watchers: int, bids: int) -> dict[str, Any]:
    top = max(levels)
    clients = [await sign_up(instances[n % 2], n) for n in range(top + 1)]
    seller, bidders = clients[0], clients[1:]
    sql_users = await user_ids(database, top + 1)
    figures: dict[str, Any] = {"bidders": top, "watchers": watchers}
    try:
        for n in levels:
            base_accepted, base_attempts = await sql_bids(
                database, auctions, await sql_item(database, sql_users[0]), sql_users[1:n + 1], seconds)
            accepted, attempts = await http_bids(bidders[:n], [await new_item(seller)], seconds)
            base_rate, rate = base_accepted / seconds, accepted / seconds
            report.add("bids, SQL only (baseline)", n, base_rate, base_attempts / seconds, 1.0)
            report.add("bids, HTTP, one hot item", n, rate, attempts / seconds, ratio(rate, base_rate))
            report.advance(f"{n} bidders, one hot item")
            if n == top:
                figures.update({"accepted_bids_per_s": round(rate, 1),
                                "accepted_bids_per_s_sql": round(base_rate, 1),
                                "http_vs_sql": ratio(rate, base_rate)})
        spread_items = [await new_item(seller) for _ in range(top)]
        accepted, attempts = await http_bids(bidders[:top], spread_items, seconds)
        report.add(f"bids, HTTP, {top} items (no contention)", top, accepted / seconds, attempts / seconds,
                   ratio(accepted / seconds, figures["accepted_bids_per_s"]))
        figures["accepted_bids_per_s_spread"] = round(accepted / seconds, 1)
        report.advance(f"{top} bidders, {top} items")
        ws_lat, listen_lat = await fanout(instances, database, seller=seller, bidder=bidders[0],
                                          watchers=watchers, bids=bids)
        report.advance(f"fan-out to {watchers} watchers")
    finally:
        for client in clients:
            await client.aclose()
    ws50, ws99 = percentile(ws_lat, 50), percentile(ws_lat, 99)
    l50, l99 = percentile(listen_lat, 50), percentile(listen_lat, 99)
    report.add("fan-out p50 / p99 ms, bare LISTEN (baseline)", 1, l50, l99, 1.0)
    report.add("fan-out p50 / p99 ms, WebSocket", watchers, ws50, ws99, ratio(ws50, l50))
    figures.update({"fanout_p50_ms": round(ws50, 2), "fanout_p99_ms": round(ws99, 2),
                    "listen_p50_ms": round(l50, 2), "listen_p99_ms": round(l99, 2),
                    "fanout_vs_listen_p50": ratio(ws50, l50), "pushes": len(ws_lat)})
    return figures
