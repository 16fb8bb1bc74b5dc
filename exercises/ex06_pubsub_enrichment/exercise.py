"""ex06 manifest: `bootcamp run ex06` and `bootcamp bench ex06`."""

from __future__ import annotations

import asyncio
import json
import random
import time
from datetime import datetime
from pathlib import Path

import httpx
from google.cloud import pubsub_v1
from rich.console import Console

from bootcamp.bench import BenchReport, percentile, ratio
from bootcamp.exercises import CATALOG, Exercise, RunResult
from bootcamp.paths import service_dir
from bootcamp.pubsub.config import use_local_emulator
from exercises.ex06_pubsub_enrichment.catalog import build_catalog
from exercises.ex06_pubsub_enrichment.events import pick_books
from exercises.ex06_pubsub_enrichment.harness import (
    bookstore_url,
    collect,
    enriched_ids,
    start_baseline,
    start_enricher,
    stop,
    unique_resources,
    wait_ready,
)
from exercises.ex06_pubsub_enrichment.solution.generator import publish_events

console = Console()
BAD = (b"{not json", b'{"event_id": "no-book"}', b'{"event_id": "x", "book_id": "9790000000001"}')


def _log(name: str) -> Path:
    return service_dir("ex06") / name


def run(quick: bool) -> RunResult:
    """Generator -> raw topic -> enricher (+ Bookstore API) -> enriched topic; bad input -> dead letter."""
    use_local_emulator()
    url = bookstore_url()
    count = 300 if quick else 3000
    resources = unique_resources("run06")
    log = _log("enricher.log")
    enricher = start_enricher(resources, url, impl="solution", log=log)
    try:
        wait_ready(enricher, log)
        publisher = pubsub_v1.PublisherClient()
        raw = resources.topic("raw")
        books = pick_books(sorted(build_catalog()), count, random.Random(6))
        console.print(f"publishing {count} events (+{len(BAD)} bad ones) to {raw}; API at {url}")
        sent = publish_events(publisher, raw, books[: count // 2], rate_per_s=0 if quick else 500)
        for data in BAD:
            publisher.publish(raw, data).result(timeout=10)
        sent += publish_events(publisher, raw, books[count // 2:], rate_per_s=0 if quick else 500)
        enriched = enriched_ids(collect(resources.subscription("enriched-reader"), len(sent), timeout_s=120))
        dead = collect(resources.subscription("dead-letter-reader"), len(BAD), timeout_s=30)
    finally:
        code = stop(enricher)
        resources.delete()
    sample = next(iter(enriched.values()), None)
    if sample:
        console.print_json(json.dumps(sample))
    for message in dead:
        console.print(f"dead letter: {message.data[:60]!r} -> {message.attributes['reason']}")
    ok = set(enriched) == {s.event_id for s in sent} and len(dead) == len(BAD) and code == 0
    return RunResult(ok, f"{len(enriched)}/{len(sent)} events enriched, {len(dead)} dead-lettered with a "
                     f"reason, {'clean stop' if code == 0 else 'stop failed'}",
                     {"events": str(len(sent)), "dead_lettered": str(len(dead))})


async def _api_load(url: str, requests: int, concurrency: int) -> dict[str, float]:
    isbns = sorted(build_catalog())
    rng = random.Random(1)
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=10) as client:
        queue = iter(range(requests))

        async def worker() -> None:
            for _ in queue:
                began = time.perf_counter()
                response = await client.get(f"/books/{rng.choice(isbns)}")
                response.raise_for_status()
                latencies.append(time.perf_counter() - began)

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    return {"rps": requests / elapsed, "p50_ms": percentile(latencies, 50) * 1000,
            "p99_ms": percentile(latencies, 99) * 1000}


def _enrich(url: str, count: int, cache: bool, baseline: bool = False, warm: int = 0,
            **extra: str) -> dict[str, float]:
    """One burst of `count` skewed events through the enricher (or the republishing baseline).

    `warm` events drawn from the same popularity go first, unmeasured: the steady state of a
    long-running enricher, whose cache already holds the popular books, rather than its cold start.
    """
    resources = unique_resources("bench06")
    label = "baseline" if baseline else ("cache" if cache else "nocache")
    log = _log(f"bench-enricher-{label}.log")
    if not cache:
        extra = {**extra, "CACHE_SIZE": "0"}
    if baseline:
        enricher = start_baseline(resources, log=log, **extra)
    else:
        enricher = start_enricher(resources, url, impl="solution", log=log, **extra)
    try:
        wait_ready(enricher, log, word="baseline ready" if baseline else "enricher ready")
        publisher = pubsub_v1.PublisherClient()
        drawn = pick_books(sorted(build_catalog()), warm + count, random.Random(7))  # one popularity
        if warm:
            warmed = publish_events(publisher, resources.topic("raw"), drawn[:warm])
            collect(resources.subscription("enriched-reader"), len(warmed), timeout_s=300)
        books = drawn[warm:]
        began = time.monotonic()
        sent = publish_events(publisher, resources.topic("raw"), books)
        messages = collect(resources.subscription("enriched-reader"), len(sent), timeout_s=300)
        elapsed = time.monotonic() - began
    finally:
        stop(enricher)
        resources.delete()
    latencies = []
    for message in messages:
        record = json.loads(message.data)
        event_ts = datetime.fromisoformat(record.get("event", record)["ts"]).timestamp()
        latencies.append(message.publish_time.timestamp() - event_ts)
    ids = {m.attributes.get("event_id") for m in messages}
    done = len(ids) == len(sent)
    return {"msgs_per_s": len(sent) / elapsed if done else float("nan"),
            "p50_s": percentile(latencies, 50), "p99_s": percentile(latencies, 99),
            "duplicates": float(len(messages) - len(ids))}


def bench(quick: bool) -> None:
    use_local_emulator()
    url = bookstore_url()
    count, requests = (400, 1000) if quick else (5000, 10000)  # quick: proves every step runs
    report = BenchReport("ex06", f"ex06: enrichment of {count} skewed events; API load of {requests} lookups",
                         ["what", "per second", "p50", "p99", "note"])
    report.progress(6 if quick else 8)
    report.chart("bar", x="what", y="per second", title="API lookups/s and enriched messages/s")
    with report.step("Bookstore API alone, 32 concurrent lookups"):
        api = asyncio.run(_api_load(url, requests, 32))
    with report.step("baseline: plain subscriber republishing, no enrichment"):
        base = _enrich(url, count, cache=True, baseline=True)
    rows: list[tuple[str, dict[str, float]]] = [("baseline: pull and republish", base)]
    if not quick:  # the connection-pool lesson (README): measured once in full, not in every make test
        with report.step("enricher, cache on, HTTP_CONNECTIONS=50"):
            rows.append(("enricher, per-key cache, 50 connections", _enrich(url, count, cache=True,
                                                                             HTTP_CONNECTIONS="50")))
    with report.step("enricher, per-key cache on, cold (before)"):
        on = _enrich(url, count, cache=True)
    rows.append(("enricher, per-key cache, cold", on))
    if not quick:
        with report.step(f"enricher, per-key cache, warmed by {2 * count} events first"):
            rows.append(("enricher, per-key cache, warm", _enrich(url, count, cache=True, warm=2 * count)))
    with report.step("enricher, cache preloaded, a loop wake-up per message (before)"):
        per_message = _enrich(url, count, cache=True, CACHE_PRELOAD="true", BATCHED_HANDOFF="false")
    rows.append(("enricher, preloaded, wake-up per message", per_message))
    with report.step("enricher, cache preloaded, batched hand-off (after)"):
        preloaded = _enrich(url, count, cache=True, CACHE_PRELOAD="true")
    rows.append(("enricher, preloaded, batched hand-off", preloaded))
    with report.step("enricher, cache off"):
        off = _enrich(url, count, cache=False)
    rows.append(("enricher, cache off", off))
    report.add("Bookstore API GET /books/{isbn}", api["rps"], f"{api['p50_ms']:.1f} ms",
               f"{api['p99_ms']:.1f} ms", "32 connections, keep-alive")
    for label, row in rows:
        report.add(label, row["msgs_per_s"], f"{row['p50_s']:.2f} s", f"{row['p99_s']:.2f} s",
                   f"{row['duplicates']:.0f} duplicates")
    report.note("enricher latency: raw event time -> enriched message published, for a burst published "
                "flat out (so it includes queueing behind the burst). 'preloaded': CACHE_PRELOAD=true, "
                "the whole catalog read from GET /books pages before the first pull")
    report.finish({
        "api_requests_per_s": api["rps"], "api_p99_ms": api["p99_ms"],
        "baseline_msgs_per_s": base["msgs_per_s"],
        "enrich_cache_on_msgs_per_s": on["msgs_per_s"],
        "enrich_preloaded_per_message_wakeup_msgs_per_s": per_message["msgs_per_s"],
        "enrich_preloaded_msgs_per_s": preloaded["msgs_per_s"],
        "enrich_cache_off_msgs_per_s": off["msgs_per_s"],
        "enrich_preloaded_vs_baseline": ratio(preloaded["msgs_per_s"], base["msgs_per_s"]),
        "enrich_cache_on_vs_baseline": ratio(on["msgs_per_s"], base["msgs_per_s"]),
        "preloaded_vs_per_key_cache": ratio(preloaded["msgs_per_s"], on["msgs_per_s"]),
        "batched_vs_per_message_handoff": ratio(preloaded["msgs_per_s"], per_message["msgs_per_s"]),
        "cache_on_vs_off": ratio(on["msgs_per_s"], off["msgs_per_s"]),
        "enrich_preloaded_p99_s": preloaded["p99_s"], "enrich_cache_on_p99_s": on["p99_s"],
        "enrich_cache_off_p99_s": off["p99_s"],
    })


EXERCISE = Exercise(id="ex06", title=CATALOG["ex06"], services=("pubsub", "bookstore"), run=run, bench=bench)
