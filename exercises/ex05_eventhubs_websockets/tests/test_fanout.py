"""The learner's Hub, in process, with sockets that are fast, stuck, or recording."""

from __future__ import annotations

import asyncio
import json
from typing import Any


class Sink:
    """A client's socket: records frames; `stuck` never completes a send (a client that stopped
    reading, whose TCP window is full)."""

    def __init__(self, stuck: bool = False) -> None:
        self.frames: list[dict[str, Any]] = []
        self.closed: tuple[int, str] | None = None
        self.stuck = stuck

    async def send(self, text: str) -> None:
        if self.stuck:
            await asyncio.Event().wait()
        self.frames.append(json.loads(text))

    async def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)


def agg(i: int) -> dict[str, object]:
    return {"type": "agg", "source": "s", "start_ms": i * 1000, "count": 1, "mean": 1.0, "min": 1.0,
            "max": 1.0, "rev": 0}


async def settle(condition: Any, what: str) -> None:
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"never happened: {what}")


def test_a_resuming_client_gets_every_aggregate_after_its_seq(impl: Any) -> None:
    async def scenario() -> None:
        hub = impl.fanout.Hub(16, 1000)
        for i in range(10):
            await hub.publish(agg(i))
        sink = Sink()
        hub.subscribe(sink.send, sink.close, 4)
        await hub.publish(agg(10))
        await hub.publish({"type": "raw", "source": "s", "t": 1, "v": 1.0})
        await settle(lambda: len(sink.frames) >= 7, "replay and live frames")
        seqs = [f["seq"] for f in sink.frames if f["type"] == "agg"]
        assert seqs == list(range(5, 12)), f"resume from the client's seq (4): expected aggregates " \
            f"5..11 in order, got {seqs} (resuming from the latest instead of the client's seq leaves a gap)"
        fresh = Sink()
        hub.subscribe(fresh.send, fresh.close, None)
        await hub.publish(agg(11))
        await settle(lambda: fresh.frames, "a live frame")
        assert [f.get("seq") for f in fresh.frames] == [12], "a new client (since None) gets live frames"

    asyncio.run(scenario())


def test_a_stuck_client_never_slows_publish_and_is_closed_when_its_queue_is_full(impl: Any) -> None:
    async def scenario() -> None:
        hub = impl.fanout.Hub(8, 1000)
        stuck, fast = Sink(stuck=True), Sink()
        hub.subscribe(stuck.send, stuck.close, None)
        hub.subscribe(fast.send, fast.close, None)
        for i in range(40):
            try:
                await asyncio.wait_for(hub.publish(agg(i)), 2)
            except TimeoutError:
                raise AssertionError("a slow client delayed the others: publish waited for a stuck "
                                     "client's send (awaited inline, not queued)") from None
            await asyncio.sleep(0)
        await settle(lambda: len(fast.frames) == 40, "the fast client's 40 frames")
        for _ in range(600):
            if stuck.closed is not None:
                break
            await asyncio.sleep(0.005)
        assert stuck.closed is not None, "the stuck client was never closed: each client's queue must " \
            "be bounded (an unbounded queue grows without limit) and a full one closed with 1013"
        assert stuck.closed[0] == 1013, f"a client whose bounded queue is full is closed with 1013, " \
            f"got {stuck.closed}"
        assert hub.dropped_clients == 1

    asyncio.run(scenario())


def test_a_client_that_keeps_up_is_never_dropped(impl: Any) -> None:
    async def scenario() -> None:
        hub = impl.fanout.Hub(4, 100)
        sink = Sink()
        hub.subscribe(sink.send, sink.close, None)
        for i in range(200):
            await hub.publish(agg(i))
            await settle(lambda i=i: len(sink.frames) == i + 1, "delivery")
        assert sink.closed is None
        assert hub.dropped_clients == 0

    asyncio.run(scenario())
