"""`bootcamp run ex08`: a live auction end to end on the local PostgreSQL and two app instances.

A seller lists an item, bidders on both instances race each other until it ends, a watcher
connected to the *other* instance receives every new highest bid and the close by WebSocket, and
the result is checked against the database: strictly increasing bids, one winner, the top bidder.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import random
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table
from websockets.asyncio.client import connect

from bootcamp.exercises import RunResult

from .harness import Instance, admin_url, create_database, drop_database, start_instances, stop_instance

console = Console()


async def sign_up(instance: Instance, name: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=instance.url, timeout=15)
    username = f"{name}_{random.randrange(10**6):06d}"
    response = await client.post("/api/signup", json={"username": username,
                                                      "password": "correct horse battery"})
    response.raise_for_status()
    client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    return client


async def auction(instances: list[Instance], seconds: float, bidders: int) -> dict[str, Any]:
    seller = await sign_up(instances[0], "seller")
    clients = [await sign_up(instances[n % 2], f"bidder{n}") for n in range(bidders)]
    ends_at = (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()
    created = await seller.post("/api/items", json={"title": "1967 Gibson guitar", "description": "sunburst",
                                                    "starting_price_cents": 50_000, "ends_at": ends_at})
    created.raise_for_status()
    item_id = created.json()["id"]
    pushed: list[dict[str, Any]] = []

    async def watcher() -> None:
        async with connect(f"{instances[1].ws}/ws/items/{item_id}") as ws:
            async for raw in ws:
                event = json.loads(raw)
                pushed.append(event)
                if event["type"] == "closed":
                    return

    watching = asyncio.create_task(watcher())
    refused = 0

    async def bidder(client: httpx.AsyncClient) -> list[dict[str, Any]]:
        nonlocal refused
        mine: list[dict[str, Any]] = []
        minimum = 50_000
        while True:
            await asyncio.sleep(random.uniform(0.05, 0.3))
            response = await client.post(f"/api/items/{item_id}/bids",
                                         json={"amount_cents": minimum + random.choice([0, 500, 2500])})
            if response.status_code == 201:
                mine.append(response.json())
                minimum = response.json()["amount_cents"] + 100
                continue
            detail = response.json()["detail"]
            if detail["reason"] != "too_low":
                return mine
            refused += 1
            minimum = detail["minimum_cents"]

    accepted = [bid for batch in await asyncio.gather(*(bidder(c) for c in clients)) for bid in batch]
    await asyncio.wait_for(watching, timeout=15)
    item = (await seller.get(f"/api/items/{item_id}")).json()
    for client in (seller, *clients):
        await client.aclose()
    return {"item": item, "accepted": accepted, "refused": refused, "pushed": pushed}


def run(quick: bool) -> RunResult:
    impl = os.environ.get("BOOTCAMP_IMPL", "solution")
    admin = admin_url()
    database = asyncio.run(create_database(admin, impl, prefix="ex08_run"))
    log_dir = Path(tempfile.mkdtemp(prefix="ex08-run-"))
    try:
        with console.status("starting two app instances"):
            instances = start_instances(database, impl, log_dir)
        try:
            with console.status("auction running: bidders on both instances, a watcher on the second"):
                seconds, bidders = (4, 4) if quick else (10, 8)
                outcome = asyncio.run(auction(instances, seconds=seconds, bidders=bidders))
        finally:
            for instance in instances:
                stop_instance(instance)
    finally:
        asyncio.run(drop_database(admin, database))
    return report(outcome)


def report(outcome: dict[str, Any]) -> RunResult:
    item, accepted, pushed = outcome["item"], outcome["accepted"], outcome["pushed"]
    table = Table(title=f"item {item['id']}: {item['title']}")
    for column in ("bid id", "amount", "bidder"):
        table.add_column(column, justify="right")
    for bid in item["bids"][-8:]:
        table.add_row(str(bid["bid_id"]), f"{bid['amount_cents'] / 100:,.2f}", bid["bidder"])
    console.print(table)
    amounts = [b["amount_cents"] for b in sorted(item["bids"], key=lambda b: b["bid_id"])]
    increasing = all(b - a >= item["min_increment_cents"] for a, b in itertools.pairwise(amounts))
    pushed_bids = [e for e in pushed if e["type"] == "bid"]
    closes = [e for e in pushed if e["type"] == "closed"]
    top = max(accepted, key=lambda b: b["amount_cents"]) if accepted else None
    ok = (item["status"] == "closed" and increasing and len(amounts) == len(accepted) and len(closes) == 1
          and top is not None and item["winner"] == top["bidder"] == closes[0]["winner"]
          and len(pushed_bids) + len(pushed[0]["bids"]) >= len(accepted))
    winner = f"{item['winner']} at {item['current_price_cents'] / 100:,.2f}" if item["winner"] else "nobody"
    summary = (f"{len(accepted)} bids accepted, {outcome['refused']} refused as too low; winner {winner}; "
               f"the watcher on the other instance got {len(pushed_bids)} pushes and 1 close")
    return RunResult(ok, summary, {"accepted": str(len(accepted)), "refused": str(outcome["refused"]),
                                   "pushed": str(len(pushed_bids))})
