"""The bench's baseline: a bare WebSocket broadcast of the same frames, nothing else.

    python -m exercises.ex05_eventhubs_websockets.bare_broadcast --port 8056 --rate 10 --bytes 200

The `websockets` library's own server and its `broadcast()`, which writes each frame to every open
connection without waiting for any (a connection whose buffer is over its high-water mark is
skipped: the frame is lost to it). No hello checks, no queues, no replay, no Kafka: what a WebSocket
fan-out costs on this machine, for the exercise's broadcaster to be read against. It runs on uvloop,
as uvicorn runs the broadcaster (uvicorn's `loop="auto"` picks uvloop, installed with
`uvicorn[standard]`), so that the event loop is not the difference.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import time

import uvloop
from websockets.asyncio.server import ServerConnection, broadcast, serve

clients: set[ServerConnection] = set()


async def handler(ws: ServerConnection) -> None:
    await ws.recv()  # the hello, unchecked
    await ws.send(json.dumps({"type": "welcome", "epoch": "bare", "seq": 0}))
    clients.add(ws)
    try:
        await ws.wait_closed()
    finally:
        clients.discard(ws)


async def main(port: int, rate: float, size: int) -> None:
    stop = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set_result, None)
    pad = "x" * max(0, size - 60)
    async with serve(handler, "127.0.0.1", port, compression=None, backlog=2048):
        n = 0
        while not stop.done():
            started = time.monotonic()
            n += 1
            broadcast(clients, json.dumps({"type": "bench", "n": n, "sent_ns": time.time_ns(), "pad": pad},
                                          separators=(",", ":")))
            await asyncio.sleep(max(0.0, 1 / rate - (time.monotonic() - started)))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--bytes", type=int, default=200)
    args = parser.parse_args()
    uvloop.run(main(args.port, args.rate, args.bytes))  # the loop uvicorn runs the broadcaster on
