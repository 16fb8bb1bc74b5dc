"""The WebSocket feed: new highest bids and closes reach watchers on every instance, and a watcher
that reconnects catches up from the database."""

from __future__ import annotations

import asyncio
import json
import signal
from typing import Any

import asyncpg
import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from ..harness import Instance, start_instances, stop_instance
from .conftest import signed_up, wait_until


def watch(instance: Instance, item_id: int, after: int = 0) -> ClientConnection:
    return connect(f"{instance.ws}/ws/items/{item_id}?after={after}", open_timeout=10)


def receive(ws: ClientConnection, timeout: float = 10.0) -> dict[str, Any]:
    event: dict[str, Any] = json.loads(ws.recv(timeout=timeout))
    if event.get("detail", "").startswith("not implemented yet"):
        raise NotImplementedError(event["detail"])
    return event


def receive_until(ws: ClientConnection, wanted: str, timeout: float = 10.0) -> dict[str, Any]:
    while True:
        event = receive(ws, timeout)
        if event["type"] == wanted:
            return event


def test_a_bid_on_one_instance_reaches_watchers_on_both(instances: list[Instance]) -> None:
    seller, bidder = signed_up(instances[0].url), signed_up(instances[0].url)
    item_id = seller.add_item()
    with watch(instances[0], item_id) as on_a, watch(instances[1], item_id) as on_b:
        for ws in (on_a, on_b):
            snapshot = receive(ws)
            assert snapshot["type"] == "snapshot"
            assert snapshot["item"]["id"] == item_id
            assert snapshot["bids"] == []
        response = bidder.bid(item_id, 1500)
        assert response.status_code == 201, response.text
        for ws in (on_a, on_b):
            event = receive_until(ws, "bid")
            assert (event["item_id"], event["amount_cents"], event["bidder"]) == (item_id, 1500,
                                                                                  bidder.username)
            assert event["bid_id"] == response.json()["id"]


def test_watchers_of_another_item_hear_nothing_and_rejected_bids_are_not_pushed(
        instances: list[Instance]) -> None:
    seller, bidder = signed_up(instances[0].url), signed_up(instances[1].url)
    watched, other = seller.add_item(), seller.add_item()
    with watch(instances[1], watched) as ws:
        receive(ws)
        assert bidder.bid(other, 2000).status_code == 201
        assert bidder.bid(watched, 10).status_code == 409  # too low: no event
        assert bidder.bid(watched, 3000).status_code == 201
        event = receive(ws)
        assert (event["type"], event["item_id"], event["amount_cents"]) == ("bid", watched, 3000), (
            f"a refused bid, or another item's, was pushed to this item's watchers: {event}")


def test_the_close_and_its_winner_are_pushed_to_every_instance(instances: list[Instance]) -> None:
    seller, bidder = signed_up(instances[1].url), signed_up(instances[0].url)
    item_id = seller.add_item(seconds=2.5)
    with watch(instances[0], item_id) as on_a, watch(instances[1], item_id) as on_b:
        receive(on_a)
        receive(on_b)
        assert bidder.bid(item_id, 1000).status_code == 201
        for ws in (on_a, on_b):
            closed = receive_until(ws, "closed")
            assert (closed["item_id"], closed["winner"], closed["amount_cents"]) == (
                item_id, bidder.username, 1000)
            with pytest.raises(TimeoutError):
                receive(ws, timeout=0.6)  # closed once, though both instances run the closer


def test_a_reconnecting_watcher_catches_up_on_what_it_missed(instances: list[Instance]) -> None:
    seller, bidder = signed_up(instances[0].url), signed_up(instances[1].url)
    item_id = seller.add_item()
    assert bidder.bid(item_id, 1000).status_code == 201
    with watch(instances[0], item_id) as ws:
        snapshot = receive(ws)
        last_seen = snapshot["bids"][-1]["bid_id"]
    missed = [bidder.bid(item_id, amount).json()["id"] for amount in (1100, 1200, 1300)]
    with watch(instances[1], item_id, after=last_seen) as ws:
        snapshot = receive(ws)
        assert [b["bid_id"] for b in snapshot["bids"]] == missed
        assert [b["amount_cents"] for b in snapshot["bids"]] == [1100, 1200, 1300]
        assert snapshot["item"]["current_price_cents"] == 1300
        assert bidder.bid(item_id, 1400).status_code == 201
        assert receive(ws)["amount_cents"] == 1400


def test_an_unknown_item_closes_the_socket(instances: list[Instance]) -> None:
    with watch(instances[0], 2**40) as ws, pytest.raises(ConnectionClosed) as closed:
        ws.recv(timeout=10)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4404


def test_losing_the_listen_connection_makes_watchers_resync_and_recovers(
        instances: list[Instance], database: str) -> None:
    """NOTIFY is not durable: after the listener's connection dies, watchers must reconnect."""
    seller, bidder = signed_up(instances[0].url), signed_up(instances[0].url)
    item_id = seller.add_item()

    async def kill_listeners() -> int:
        conn = await asyncpg.connect(database)
        try:
            killed = await conn.fetch(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()")
            return len(killed)
        finally:
            await conn.close()

    with watch(instances[1], item_id) as ws:
        receive(ws)
        assert asyncio.run(kill_listeners()) >= 2
        with pytest.raises(ConnectionClosed) as closed:
            receive(ws)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1012
    wait_until(lambda: all(httpx.get(f"{i.url}/healthz").status_code == 200 for i in instances),
               what="the listeners to reconnect")
    with watch(instances[1], item_id) as ws:
        receive(ws)
        assert bidder.bid(item_id, 1000).status_code == 201
        assert receive_until(ws, "bid")["amount_cents"] == 1000


# -- the hub on its own ------------------------------------------------------------------------------
def test_the_hub_routes_by_item_drops_garbage_and_resyncs_a_slow_watcher(impl: Any) -> None:
    async def scenario() -> None:
        hub = impl.realtime.Hub("postgresql://unused", queue_size=2)
        one, two, other = hub.subscribe(1), hub.subscribe(1), hub.subscribe(9)
        assert hub.dispatch(json.dumps({"type": "bid", "item_id": 1, "bid_id": 1})) == 2
        assert hub.dispatch("not json") == 0
        assert hub.dispatch(json.dumps({"type": "bid"})) == 0
        assert hub.malformed == 2, "dropped, but counted"
        assert other.queue.empty()
        assert (await one.get())["bid_id"] == 1
        hub.unsubscribe(one)
        for n in (2, 3, 4):  # two's queue (size 2) already holds bid 1: it overflows
            hub.dispatch(json.dumps({"type": "bid", "item_id": 1, "bid_id": n}))
        assert (await two.get())["type"] == "resync", (
            "a watcher whose queue overflowed was not told to resync: it silently lost events")
        assert two.queue.empty()
        assert hub.resyncs == 1
        assert hub.watcher_count == 1  # only `other` is left

    asyncio.run(scenario())


@pytest.mark.slow
def test_sigterm_stops_an_instance_gracefully_and_its_watchers_move_on(
        instances: list[Instance], database: str, impl_name: str,
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """A rolling deploy: SIGTERM closes the sockets with 1012 (restart); the watcher reconnects to
    another instance and catches up on the bid it missed meanwhile."""
    extra = start_instances(database, impl_name, tmp_path_factory.mktemp("extra"),
                            count=1)[0]
    seller, bidder = signed_up(instances[0].url), signed_up(instances[1].url)
    item_id = seller.add_item()
    try:
        with watch(extra, item_id) as ws:
            receive(ws)
            assert bidder.bid(item_id, 1000).status_code == 201
            last_seen = receive_until(ws, "bid")["bid_id"]
            extra.process.send_signal(signal.SIGTERM)
            with pytest.raises(ConnectionClosed) as closed:
                receive(ws)
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code in (1001, 1012)
        # uvicorn shuts down gracefully, then re-raises the signal it caught: -SIGTERM is a clean exit.
        assert extra.process.wait(15) in (0, -signal.SIGTERM)
        assert "Traceback" not in extra.log.read_text()
    finally:
        stop_instance(extra)
    missed = bidder.bid(item_id, 1100).json()["id"]
    with watch(instances[0], item_id, after=last_seen) as ws:
        assert [b["bid_id"] for b in receive(ws)["bids"]] == [missed]
