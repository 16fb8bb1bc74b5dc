"""A TCP proxy in front of Redis that can hold the first reply of every connection until N have asked.

The fault injection behind the compare-and-set test. Armed with `n`, the proxy forwards every command
to Redis at once but keeps the *reply* to the first command each connection sends after arming until
`n` connections have sent one. Then it releases them all and steps aside.

Why that makes the race certain rather than likely: a compare-and-set done in Python is a read, then a
write, on one connection. Its first command after arming is the read. No writer gets its read's answer
before all `n` have read, so all `n` read the same version, all compare equal, and all write: `n`
winners, every run. An atomic compare-and-set (one Lua script, or WATCH/MULTI/EXEC) is also delayed,
but Redis has already run each script to completion in arrival order, so exactly one matched the version
and the others saw it changed, whatever order the held replies are released in.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

_CHUNK = 65536


@dataclass
class _Barrier:
    size: int
    arrived: set[int] = field(default_factory=set)
    full: asyncio.Event = field(default_factory=asyncio.Event)


class RedisBarrierProxy:
    """`with RedisBarrierProxy(redis_url) as proxy:` ... `proxy.url`, `proxy.arm(n)`, `proxy.filled`."""

    def __init__(self, redis_url: str, timeout_s: float = 10.0) -> None:
        parts = urlsplit(redis_url)
        self._upstream = (parts.hostname or "127.0.0.1", parts.port or 6379)
        self._db = parts.path or "/0"
        self._timeout_s = timeout_s
        self._loop = asyncio.new_event_loop()
        self._barrier: _Barrier | None = None
        self._server: asyncio.Server | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, name="redis-barrier", daemon=True)
        self.port = 0
        self.filled = False  # whether the last armed barrier filled (False: timed out, released anyway)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}{self._db}"

    def __enter__(self) -> RedisBarrierProxy:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._serve, "127.0.0.1", 0), self._loop).result(10)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def __exit__(self, *_: object) -> None:
        async def shut() -> None:
            assert self._server is not None
            self._server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(shut(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def arm(self, size: int) -> None:
        """From now on, hold each connection's first reply until `size` connections have sent a command."""
        async def set_barrier() -> None:
            self._barrier = _Barrier(size)
            self.filled = False

        asyncio.run_coroutine_threadsafe(set_barrier(), self._loop).result(10)

    async def _serve(self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter) -> None:
        upstream_in, upstream_out = await asyncio.open_connection(*self._upstream)
        me = id(client_out)
        held = asyncio.Event()  # set: this connection's next reply must wait for the barrier
        try:
            await asyncio.gather(self._requests(me, held, client_in, upstream_out),
                                 self._replies(held, upstream_in, client_out))
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            for writer in (client_out, upstream_out):
                with contextlib.suppress(Exception):
                    writer.close()

    async def _requests(self, me: int, held: asyncio.Event, source: asyncio.StreamReader,
                        sink: asyncio.StreamWriter) -> None:
        while data := await source.read(_CHUNK):
            barrier = self._barrier
            if barrier is not None and not barrier.full.is_set() and me not in barrier.arrived:
                barrier.arrived.add(me)
                held.set()
                if len(barrier.arrived) >= barrier.size:
                    self.filled = True
                    barrier.full.set()
            sink.write(data)
            await sink.drain()
        sink.close()

    async def _replies(self, held: asyncio.Event, source: asyncio.StreamReader,
                       sink: asyncio.StreamWriter) -> None:
        while data := await source.read(_CHUNK):
            barrier = self._barrier
            if held.is_set() and barrier is not None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(barrier.full.wait(), self._timeout_s)
                barrier.full.set()  # filled or timed out: nobody waits again on this barrier
                held.clear()
            sink.write(data)
            await sink.drain()
        sink.close()


@contextlib.contextmanager
def barrier_proxy(redis_url: str) -> Iterator[RedisBarrierProxy]:
    with RedisBarrierProxy(redis_url) as proxy:
        yield proxy
