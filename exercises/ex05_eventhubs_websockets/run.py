"""`bootcamp run ex05`: the generator sends live readings through the Event Hubs Kafka endpoint (the
local broker's SASL PLAIN listener), the broadcaster aggregates and serves the page, a WebSocket
client watches, and the windows it received are checked against an offline computation."""

from __future__ import annotations

import asyncio
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from rich.console import Console

from bootcamp.exercises import RunResult
from bootcamp.services.base import free_port, port_is_free

from .events import Event
from .generator import live, send
from .harness import (
    Recorder,
    hub_kafka_config,
    local_hub_env,
    offline_windows,
    record_until,
    start_server,
    stop_server,
    unique_topics,
)

console = Console()
DEFAULT_PORT = 8055


def run(quick: bool) -> RunResult:
    seconds, rate = (6.0, 200.0) if quick else (30.0, 400.0)
    hub = local_hub_env()
    env = {**hub, **unique_topics("ex05run"), "EX05_RAW_SAMPLE_EVERY": "5"}
    port = DEFAULT_PORT if port_is_free(DEFAULT_PORT) else free_port()
    log_dir = Path(tempfile.mkdtemp(prefix="ex05-run-"))
    server = start_server(os.environ.get("BOOTCAMP_IMPL", "solution"), log_dir, env, port=port)
    console.print(f"ex05: open {server.url}/ to watch the charts (for {seconds:.0f} s); "
                  f"hub {hub['EVENTHUBS_BOOTSTRAP']} over {hub['EVENTHUBS_SECURITY_PROTOCOL']}, "
                  f"sasl.username=$ConnectionString; server log {server.log}", soft_wrap=True)
    try:
        sent: list[Event] = []
        stream = live(rate)

        def recorded() -> Iterator[Event]:
            for _ in range(int(rate * seconds)):
                event = next(stream)
                sent.append(event)
                yield event

        def generate() -> None:
            send(hub_kafka_config(hub), env["EX05_TOPIC"], recorded(), rate=rate)

        thread = threading.Thread(target=generate, daemon=True)
        thread.start()
        recorder = Recorder()
        started = time.monotonic()
        asyncio.run(record_until(server.ws, recorder, lambda r: not thread.is_alive() and
                                 r.counts.get("stats", 0) >= 2 and time.monotonic() - started > seconds + 2,
                                 since=0, timeout_s=seconds + 60))
        thread.join()
        want = offline_windows(sent)
        shown = recorder.latest_windows()
        matched = sum(1 for key, agg in want.items() if key in shown and shown[key]["count"] == agg.count
                      and abs(shown[key]["mean"] - agg.mean) < 1e-9)
        stats = server.stats()
    finally:
        stop_server(server)
    ok = matched == len(want) and stats["events_in"] == len(sent)
    summary = (f"events in {stats['events_in']}, windows out {stats['windows_out']}, clients served "
               f"{stats['clients_served']}, dropped late {stats['dropped_late']}, windows equal to the "
               f"offline computation {matched}/{len(want)}")
    console.print(f"ex05 results: {summary}")
    return RunResult(ok=ok, summary=summary, figures={
        "url": server.url, "events_in": str(stats["events_in"]), "windows_out": str(stats["windows_out"]),
        "clients_served": str(stats["clients_served"]), "offline_match": f"{matched}/{len(want)}"})
