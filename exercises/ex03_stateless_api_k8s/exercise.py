"""Exercise 3: a stateless CRUD API (FastAPI) with its state in Redis, packaged and run on Kubernetes.

`bootcamp run ex03` starts three replicas on the in-memory store and three on Redis and shows, with real
requests, why only the second set can sit behind one Service. `bootcamp bench ex03` measures reads and
writes with wrk against the API on each store and against bare Starlette on the same server stack.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bootcamp.bench import BenchReport, ratio
from bootcamp.errors import BootcampError
from bootcamp.exercises import CATALOG, Exercise, RunResult
from bootcamp.paths import state_dir
from bootcamp.services import get_service
from exercises.ex03_stateless_api_k8s.local import BARE_MODULE, SERVER_MODULE, replicas

BOOK = {"title": "Streaming Systems", "author": "Tyler Akidau", "year": 2018, "tags": ["watermarks"]}


def _redis_env() -> dict[str, str]:
    # REDIS_URL when set (an external Redis), else the project's (start() is idempotent: it reuses one).
    url = os.environ.get("REDIS_URL") or get_service("redis").start()
    return {"STORE": "redis", "REDIS_URL": url, "REDIS_NAMESPACE": f"run-{uuid.uuid4().hex[:8]}"}


def run(quick: bool) -> RunResult:
    """Three replicas on memory, then three on Redis: where does a book written through one show up?"""
    logs = state_dir() / "ex03" / "run"
    figures: dict[str, str] = {}
    with replicas(3, {"STORE": "memory"}, logs / "memory") as pods:
        created = httpx.post(f"{pods[0].url}/books", json=BOOK)
        created.raise_for_status()
        seen = sum(httpx.get(f"{pod.url}{created.headers['Location']}").status_code == 200 for pod in pods)
        figures["memory: replicas that see the book"] = f"{seen}/3"
    with replicas(3, _redis_env(), logs / "redis") as pods:
        made = [httpx.post(f"{pods[i % 3].url}/books", json={**BOOK, "title": f"vol {i}"}) for i in range(6)]
        for response in made:
            response.raise_for_status()
        path = made[0].headers["Location"]
        seen = sum(httpx.get(f"{pod.url}{path}").status_code == 200 for pod in pods)
        figures["redis: replicas that see the book"] = f"{seen}/3"
        tag = made[0].headers["ETag"]
        first = httpx.put(f"{pods[1].url}{path}", json=BOOK, headers={"If-Match": tag}).status_code
        second = httpx.put(f"{pods[2].url}{path}", json=BOOK, headers={"If-Match": tag}).status_code
        figures["same ETag, two replicas"] = f"{first} then {second}"
        pods[0].stop()
        listed = httpx.get(f"{pods[1].url}/books", params={"limit": 100}).json()["items"]
        figures["books after losing a replica"] = f"{len(listed)}/6"
    if not quick:  # the packaged API: image built with podman, the Deployment's pods played behind nginx
        figures["kube play: pods behind nginx that see the book"] = _kube_play(_redis_env())
    ok = (figures["memory: replicas that see the book"] == "1/3"
          and figures.get("kube play: pods behind nginx that see the book", "3/3") == "3/3"
          and figures["redis: replicas that see the book"] == "3/3"
          and figures["same ETag, two replicas"] == "200 then 412"
          and figures["books after losing a replica"] == "6/6")
    summary = ("in-memory replicas disagree; Redis-backed replicas agree, enforce If-Match across "
               "replicas and lose nothing when one dies")
    return RunResult(ok=ok, summary=summary, figures=figures)


def _kube_play(env: dict[str, str]) -> str:
    from exercises.ex03_stateless_api_k8s.kube import local_cluster

    with local_cluster(env["REDIS_URL"], namespace=env["REDIS_NAMESPACE"]) as cluster:
        made = httpx.post(f"{cluster.lb.url}/books", json=BOOK)
        made.raise_for_status()
        seen = sum(httpx.get(f"http://127.0.0.1:{port}{made.headers['Location']}").status_code == 200
                   for port in cluster.ports)
        return f"{seen}/{len(cluster.ports)}"


# -- bench --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class WrkResult:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    bad: int  # non-2xx/3xx answers plus socket errors


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not match:
        raise ValueError(f"unexpected wrk latency {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(output: str) -> WrkResult:
    """Requests/sec, the 50th and 99th latency percentiles (`--latency`), and failed requests."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    bad = 0
    if found := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        bad += int(found.group(1))
    if found := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output):
        bad += sum(int(n) for n in found.groups())
    return WrkResult(rps, p50, p99, total, bad)


WRITE_LUA = """
wrk.method = "POST"
wrk.body = '{"title": "Streaming Systems", "author": "Tyler Akidau", "year": 2018, "tags": ["bench"]}'
wrk.headers["Content-Type"] = "application/json"
"""


def wrk(url: str, seconds: int, connections: int, script: Path | None = None) -> WrkResult:
    binary = shutil.which("wrk")
    if binary is None:
        raise BootcampError("wrk is not installed", hint="apt-get install wrk (or bash scripts/setup.sh)")
    argv = [binary, "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    if script is not None:
        argv += ["-s", str(script)]
    done = subprocess.run([*argv, url], capture_output=True, text=True, check=True, timeout=seconds + 60)
    return parse_wrk(done.stdout)


# label, JSON key, module, environment, which ops. The "before" rows are the README's "Tune it": the
# same API as it was, GET /books/{id} through FastAPI's dependency injection (READ_PATH=fastapi) with
# FastAPI's native telemetry on (TELEMETRY=true); "fast route" changes only the first of the two.
_BEFORE = {"READ_PATH": "fastapi", "TELEMETRY": "true"}
# In measuring order: each API row right after the baseline it is compared with.
_TARGETS: list[tuple[str, str, str, dict[str, str], tuple[str, ...]]] = [
    ("bare Starlette", "bare", BARE_MODULE, {}, ("read", "write")),
    ("API, memory store", "memory", SERVER_MODULE, {"STORE": "memory"}, ("read", "write")),
    ("API, memory: before", "memory_before", SERVER_MODULE, {"STORE": "memory", **_BEFORE}, ("read",)),
    ("API, memory: fast route, telemetry on", "memory_fast_route", SERVER_MODULE,
     {"STORE": "memory", "TELEMETRY": "true"}, ("read",)),
    ("bare Starlette, Redis", "bare_redis", BARE_MODULE, {"STORE": "redis"}, ("read", "write")),
    ("API, Redis store", "redis", SERVER_MODULE, {"STORE": "redis"}, ("read", "write")),
    ("API, Redis: before", "redis_before", SERVER_MODULE, {"STORE": "redis", **_BEFORE}, ("read",)),
]


_ASGI_VARIANTS = {"before": {"read_path": "fastapi", "telemetry": True},
                  "fast route, telemetry on": {"read_path": "starlette", "telemetry": True},
                  "after": {"read_path": "starlette", "telemetry": False}}


def asgi_cost(rounds: int, requests: int, redis_url: str | None = None,
              concurrency: int = 16) -> dict[str, float]:
    """Microseconds of the server process's app per GET /books/{id}, no network to the client.

    The ASGI app is called directly, so neither the load generator nor the HTTP parser shares the
    measurement; the variants run interleaved and the best of `rounds` is kept, which makes the
    comparison hold on a busy machine where wrk's runs, one after the other, see different CPU shares.
    Memory-store variants run one request at a time. With `redis_url`, the Redis variants (bare
    Starlette doing the same HMGET by hand, and the API on `RedisStore`) run `concurrency` request loops
    at once, as wrk's connections do: one at a time they would time the round trip, not the CPU.
    """
    import asyncio
    import importlib
    import time

    from exercises.ex03_stateless_api_k8s import bare
    from exercises.ex03_stateless_api_k8s.config import ApiSettings
    from exercises.ex03_stateless_api_k8s.models import BookIn
    from exercises.ex03_stateless_api_k8s.storage import RedisBase

    impl = os.environ.get("BOOTCAMP_IMPL", "solution")
    app_module = importlib.import_module(f"exercises.ex03_stateless_api_k8s.{impl}.app")
    store_module = importlib.import_module(f"exercises.ex03_stateless_api_k8s.{impl}.store")

    async def loop_of_reads(app: Any, path: str, count: int) -> None:
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
                 "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
                 "root_path": "", "headers": [(b"host", b"api"), (b"user-agent", b"bench")],
                 "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 2)}
        statuses: list[int] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                statuses.append(message["status"])

        for _ in range(count):
            await app(dict(scope, state={}), receive, send)
        if set(statuses) != {200}:
            raise BootcampError(f"the in-process read answered {sorted(set(statuses))}, not 200")

    async def per_request(app: Any, path: str, loops: int) -> float:
        count = max(1, requests // loops)
        started = time.perf_counter()
        await asyncio.gather(*(loop_of_reads(app, path, count) for _ in range(loops)))
        return (time.perf_counter() - started) / (count * loops) * 1e6

    async def measure() -> dict[str, float]:
        apps: dict[str, tuple[Any, str, int]] = {"bare Starlette": (bare.app, "/books/" + "0" * 32, 1)}
        for label, knobs in _ASGI_VARIANTS.items():
            store = store_module.MemoryStore()
            book = await store.create(BookIn(title="Dune", author="Frank Herbert", year=1965))
            app = app_module.create_app(store=store, settings=ApiSettings(**knobs))  # type: ignore[arg-type]
            apps[label] = (app, f"/books/{book.id}", 1)
        closing: list[Any] = []
        if redis_url is not None:
            namespace = f"bench-{uuid.uuid4().hex[:8]}"
            redis_store = store_module.RedisStore(redis_url, namespace)
            book = await redis_store.create(BookIn(title="Dune", author="Frank Herbert", year=1965))
            by_hand = bare.make_app(ApiSettings(store="redis", redis_url=redis_url,
                                                redis_namespace=namespace))
            by_hand.state.redis = RedisBase(redis_url, namespace)
            closing += [redis_store, by_hand.state.redis]
            apps["bare Starlette, Redis"] = (by_hand, f"/books/{book.id}", concurrency)
            apps["Redis store"] = (app_module.create_app(store=redis_store, settings=ApiSettings()),
                                   f"/books/{book.id}", concurrency)
        best = dict.fromkeys(apps, float("inf"))
        try:
            for _ in range(rounds):
                for label, (app, path, loops) in apps.items():
                    best[label] = min(best[label], await per_request(app, path, loops))
        finally:
            for client in closing:
                await client.close()
        return best

    return asyncio.run(measure())


def _metrics(results: dict[tuple[str, str], WrkResult], keys: dict[str, str],
             costs: dict[str, float]) -> dict[str, object]:
    """The bench's JSON line: the in-process times, then each wrk cell, with ratios to its baselines."""
    metrics: dict[str, object] = {}
    for label, micros in costs.items():
        key = {"bare Starlette": "bare", "bare Starlette, Redis": "bare_redis"}.get(
            label, label.replace(",", "").replace(" ", "_"))
        metrics[f"asgi_{key}_read_us"] = round(micros, 1)
        if key != "bare":
            metrics[f"asgi_{key}_read_vs_bare"] = ratio(costs["bare Starlette"], micros)
    if "Redis store" in costs:
        metrics["asgi_Redis_store_read_vs_bare_redis"] = ratio(costs["bare Starlette, Redis"],
                                                               costs["Redis store"])
    for (label, op), res in results.items():
        key = keys[label]
        metrics[f"{key}_{op}_rps"] = round(res.rps, 1)
        metrics[f"{key}_{op}_p99_ms"] = round(res.p99_ms, 2)
        metrics[f"{key}_{op}_failed"] = res.bad
        if key != "bare":
            metrics[f"{key}_{op}_vs_bare"] = ratio(res.rps, results["bare Starlette", op].rps)
        if key.startswith("redis"):
            metrics[f"{key}_{op}_vs_bare_redis"] = ratio(res.rps, results["bare Starlette, Redis", op].rps)
    return metrics


def bench(quick: bool) -> None:
    seconds, connections = (2, 16) if quick else (10, 64)
    logs = state_dir() / "ex03" / "bench"
    report = BenchReport("ex03", f"ex03 under wrk: {seconds}s per cell, {connections} connections, "
                         "1 uvicorn process (uvloop + httptools)",
                         ["server", "op", "req/s", "p50 ms", "p99 ms", "failed", "req/s vs bare",
                          "vs bare, same store"])
    rounds = 1 if quick else 2
    cells = [(label, op) for label, *_, ops in _TARGETS for op in ops]
    # all servers up at once, then every cell once per round (best kept), then the in-process measurement
    report.progress(1 + rounds * len(cells) + 1)
    report.chart("bar", x="server", y="req/s", series="op", title="requests per second",
                 where=lambda row: not str(row["server"]).startswith("in-process"))
    report.chart("bar", x="server", y="p99 ms", series="op", title="p99 latency",
                 where=lambda row: not str(row["server"]).startswith("in-process"))
    results: dict[tuple[str, str], WrkResult] = {}
    keys: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as servers:
        lua = Path(tmp) / "write.lua"
        lua.write_text(WRITE_LUA)
        urls: dict[tuple[str, str], str] = {}
        with report.step(f"starting {len(_TARGETS)} servers"):
            started = []
            for label, key, module, extra, _ops in _TARGETS:
                keys[label] = key
                env = {**(_redis_env() if extra.get("STORE") == "redis" else {}), **extra,
                       "LOG_LEVEL": "warning"}
                started.append((label, servers.enter_context(replicas(1, env, logs / key, module=module))[0]))
            for label, server in started:
                seeded = httpx.post(f"{server.url}/books", json=BOOK)
                seeded.raise_for_status()
                urls[label, "read"] = f"{server.url}{seeded.headers.get('Location', '/books/' + '0' * 32)}"
                urls[label, "write"] = f"{server.url}/books"
        # Interleaved rounds, best of each cell: the machine's load drifts over minutes, and cells run
        # back to back would compare one server's quiet moment with another's busy one.
        for round_number in range(1, rounds + 1):
            for label, op in cells:
                with report.step(f"{label}: {op}s (round {round_number}/{rounds})"):
                    measured = wrk(urls[label, op], seconds, connections, lua if op == "write" else None)
                if (label, op) not in results or measured.rps > results[label, op].rps:
                    results[label, op] = measured
    with report.step("in-process: the app's own time per read"):
        costs = asgi_cost(rounds=3 if quick else 5, requests=2000 if quick else 10000,
                          redis_url=_redis_env()["REDIS_URL"])
    def same_store(label: str) -> str:
        return "bare Starlette, Redis" if "Redis" in label else "bare Starlette"

    for (label, op), res in results.items():
        report.add(label, op, res.rps, res.p50_ms, res.p99_ms, res.bad,
                   ratio(res.rps, results["bare Starlette", op].rps),
                   ratio(res.rps, results[same_store(label), op].rps))
    for label, micros in costs.items():
        name = (f"in-process, {label}" if label.startswith("bare") or "Redis" in label
                else f"in-process, memory: {label}")
        same = costs["bare Starlette, Redis"] if "Redis" in label else costs["bare Starlette"]
        report.add(name, "read", f"{micros:.1f} us", "", "", "", ratio(costs["bare Starlette"], micros),
                   ratio(same, micros))
    report.note("'bare Starlette, Redis': the same HMGET (read) or HSET (write) through the same redis-py "
                "client and pool, by hand; the last column compares each API row with the bare server on "
                "its own store. "
                "reads: GET /books/{id} of one book; writes: POST /books (create). The load generator "
                "shares the 2 cores with the server, so the absolute figures are a floor. 'before': the "
                "read through FastAPI's dependency injection with its native telemetry on. In-process "
                "rows: microseconds of the app alone per read (ASGI called directly, interleaved, best of "
                "rounds; Redis ones with 16 reads at once); their ratios are bare's time over theirs.")
    report.finish(_metrics(results, keys, costs))


EXERCISE = Exercise(id="ex03", title=CATALOG["ex03"], services=("redis",), run=run, bench=bench)

