"""`bootcamp bench ex05`: fan-out latency to many WebSocket clients, beside a bare broadcast, and
events/s through the consumer, beside a bare consumer loop.

Fan-out: the broadcaster runs in bench mode (`EX05_SYNTHETIC_RATE`: it publishes timestamped frames
through the hub itself, so the figure is the hub and its sockets, not Kafka), N clients receive them,
and each frame's latency is receive time minus publish time (`time.time_ns()`, one host, one clock).
The clients run in up to four spawned processes, 250 each (`bench_clients.py`): in one event loop
they were the bottleneck themselves at 1,000. The baseline is `bare_broadcast.py`: the `websockets`
library's `broadcast()` of the same frames at the same rate, on the same loop (uvloop), measured by
the same clients in the same run. A full run also measures the broadcaster sending through
Starlette's `WebSocket.send_text` (the before of the README's "Tune it"). Clients that the server
closed (the slow-client policy) and frames published in the window but not received are counted.

Consumer: the same readings, pre-produced to a topic through the SASL listener, read once by the
`Pipeline` (parse, aggregate with the solution's WindowAggregator, sample raw points, frames) and once
by a bare `consume()` loop that only counts.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer

from bootcamp.bench import BenchReport, percentile, ratio, rounded
from bootcamp.paths import REPO_ROOT
from bootcamp.services.base import free_port

from .bench_clients import fan_out
from .config import Ex05Settings
from .generator import readings, send
from .harness import PACKAGE, hub_kafka_config, local_hub_env, start_server, stop_server, unique_topics
from .pipeline import Pipeline, ensure_topics

RATE = 10.0  # frames/s published, whatever the client count
FRAME_BYTES = 200


def bare_server(port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen([sys.executable, "-m", f"{PACKAGE}.bare_broadcast", "--port", str(port),
                                "--rate", str(RATE), "--bytes", str(FRAME_BYTES)], cwd=REPO_ROOT,
                               start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            import socket

            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the bare broadcast server did not start")


def consumer_rate(kafka: dict[str, Any], count: int) -> tuple[float, float]:
    """events/s through the Pipeline, and through a bare consume loop, over the same `count` readings."""
    names = unique_topics("ex05bench")
    settings = Ex05Settings(topic=names["EX05_TOPIC"], dead_letter_topic=names["EX05_DEAD_LETTER_TOPIC"],
                            group_id=names["EX05_GROUP_ID"])
    os.environ.setdefault("KAFKA_BOOTSTRAP_SERVERS", kafka["bootstrap.servers"])
    ensure_topics(kafka, settings)
    send(kafka, settings.topic, readings(count, rate=1000, start_ms=1_764_633_600_000))
    from .solution.windows import WindowAggregator

    frames = 0

    def publish(batch: list[dict[str, object]]) -> None:
        nonlocal frames
        frames += len(batch)

    pipeline = Pipeline(kafka, settings, WindowAggregator(), publish)
    started = time.perf_counter()
    pipeline.run(max_events=count)
    ours = count / (time.perf_counter() - started)

    bare = Consumer({**kafka, "group.id": settings.group_id + "-bare", "auto.offset.reset": "earliest",
                     "enable.auto.commit": False})
    bare.subscribe([settings.topic])
    seen, started = 0, time.perf_counter()
    while seen < count:
        seen += sum(1 for m in bare.consume(500, timeout=0.2) if m.error() is None)
    bare_rate = count / (time.perf_counter() - started)
    bare.close()
    return ours, bare_rate


def bench(quick: bool) -> None:
    counts = [50, 200] if quick else [100, 500, 1000]
    seconds = 1.5 if quick else 6.0
    events = 10_000 if quick else 100_000
    report = BenchReport("ex05", f"ex05: fan-out of {RATE:.0f} frames/s ({FRAME_BYTES} B) to N WebSocket "
                         f"clients, and events/s through the consumer{' (quick)' if quick else ''}",
                         ["server", "clients", "p50 ms", "p99 ms", "received %", "closed clients",
                          "frames lost", "load 1m", "events/s"])
    report.chart("bar", x=["clients"], y=["p50 ms", "p99 ms"], series="server",
                 where=lambda r: r["clients"] != "-", title="publish-to-receive latency")
    report.chart("bar", x="server", y="events/s", where=lambda r: r["clients"] == "-",
                 title="events/s through the consumer")
    report.progress((2 if quick else 3) * len(counts) + 1)
    metrics: dict[str, Any] = {}
    hub = local_hub_env()
    log_dir = Path(tempfile.mkdtemp(prefix="ex05-bench-"))
    ours = start_server("solution", log_dir, {"EX05_SYNTHETIC_RATE": str(RATE),
                                              "EX05_SYNTHETIC_BYTES": str(FRAME_BYTES)})
    # The before of "Tune it" (full run only): the same broadcaster sending through Starlette's
    # WebSocket.send_text instead of the ASGI send.
    before = None if quick else start_server("solution", log_dir, {
        "EX05_SYNTHETIC_RATE": str(RATE), "EX05_SYNTHETIC_BYTES": str(FRAME_BYTES),
        "EX05_SEND_PATH": "starlette"})
    bare_port = free_port()
    bare = bare_server(bare_port)
    servers = [("broadcaster", ours.ws), ("bare websockets", f"ws://127.0.0.1:{bare_port}/")]
    if before is not None:
        servers.insert(1, ("broadcaster, Starlette send_text", before.ws))
    try:
        for n in counts:
            for name, url in servers:
                with report.step(f"{name}, {n} clients"):
                    result = fan_out(url, n, seconds)
                load = os.getloadavg()[0]
                if result.failed:
                    report.note(f"{name}, {n} clients: measured nothing ({result.failed})")
                p50, p99 = percentile(result.latencies_ms, 50), percentile(result.latencies_ms, 99)
                report.add(name, n, rounded(p50, 2), rounded(p99, 2), rounded(result.received_share, 1),
                           result.closed_clients, result.lost, round(load, 2), None)
                key = {"broadcaster": "hub", "bare websockets": "bare"}.get(name, "hub_starlette")
                metrics[f"{key}_p50_ms_{n}"], metrics[f"{key}_p99_ms_{n}"] = rounded(p50, 2), rounded(p99, 2)
                metrics[f"{key}_closed_clients_{n}"], metrics[f"{key}_frames_lost_{n}"] = \
                    result.closed_clients, result.lost
                metrics[f"{key}_load_{n}"] = round(load, 2)
            metrics[f"p99_ratio_{n}"] = ratio(metrics[f"hub_p99_ms_{n}"] or float("nan"),
                                              metrics[f"bare_p99_ms_{n}"] or float("nan"))
    finally:
        stop_server(ours)
        if before is not None:
            stop_server(before)
        os.killpg(bare.pid, signal.SIGTERM)
        bare.wait(10)
    with report.step(f"consumer, {events} readings"):
        pipeline_rate, bare_rate = consumer_rate(hub_kafka_config(hub), events)
    report.add("Pipeline (parse, windows, frames)", "-", None, None, None, None, None,
               round(os.getloadavg()[0], 2), round(pipeline_rate))
    report.add("bare consume loop", "-", None, None, None, None, None, round(os.getloadavg()[0], 2),
               round(bare_rate))
    metrics["consumer_events_per_s"] = round(pipeline_rate)
    metrics["bare_consumer_events_per_s"] = round(bare_rate)
    metrics["consumer_ratio"] = ratio(pipeline_rate, bare_rate)
    report.note("latency: receive time minus publish time (time.time_ns() on one host), every frame "
                "published in the window, all clients; the clients run in up to 4 processes (250 each); "
                "closed clients: closed by the server (its slow-client policy); frames lost: published "
                "in the window and not received; load 1m: os.getloadavg() after the point")
    report.finish(metrics)
