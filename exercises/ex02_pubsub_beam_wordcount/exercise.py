"""ex02 manifest: `bootcamp run ex02` and `bootcamp bench ex02`."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

from google.cloud import pubsub_v1
from rich.console import Console

from bootcamp.bench import BenchReport, percentile, ratio
from bootcamp.exercises import CATALOG, Exercise, RunResult
from bootcamp.paths import service_dir
from bootcamp.pubsub.config import use_local_emulator
from exercises.ex02_pubsub_beam_wordcount.baseline import PlainWordCount
from exercises.ex02_pubsub_beam_wordcount.harness import (
    expected_counts,
    start_pipeline,
    stop_pipeline,
    unique_resources,
    wait_for_counts,
)
from exercises.ex02_pubsub_beam_wordcount.sentences import Published, publish_heartbeat
from exercises.ex02_pubsub_beam_wordcount.sentences import publish_sentences as _publish
from exercises.ex02_pubsub_beam_wordcount.solution.generator import make_message

console = Console()


def publish_sentences(publisher: pubsub_v1.PublisherClient, topic: str, count: int, rate: float = 0.0,
                      start: int = 0) -> list[Published]:
    """The provided publisher with the reference `make_message` (run and bench show the solution)."""
    return _publish(publisher, topic, count, rate, make_message=make_message, start=start)


def _log(name: str) -> Path:
    return service_dir("ex02") / name


def run(quick: bool) -> RunResult:
    """Generator -> emulator -> Beam (BundleBasedDirectRunner) -> emulator; the last window's top words."""
    use_local_emulator()
    window_s, count, rate = (2.0, 200, 100.0) if quick else (5.0, 1500, 150.0)
    resources = unique_resources("run02")
    process = start_pipeline(resources, window_s, lateness_s=60.0, impl="solution", log=_log("pipeline.log"))
    try:
        console.print(f"pipeline started (BundleBasedDirectRunner, {window_s:g} s windows); "
                      f"publishing {count} sentences at {rate:g}/s to {resources.input_topic}")
        publisher = pubsub_v1.PublisherClient()
        sent = publish_sentences(publisher, resources.input_topic, count, rate)
        publisher.publish(resources.input_topic, b"\xff not utf-8", ts=str(sent[-1].event_time_ms),
                          id="bad").result(timeout=10)
        expected = expected_counts([(p.sentence, p.event_time_ms) for p in sent], window_s)
        board = wait_for_counts(resources, expected, timeout_s=90)
    finally:
        code = stop_pipeline(process)
        resources.delete()
    ok = board.counts() == expected and code == 0
    last_window = max(start for _, start in expected)
    top = Counter({w: c for (w, s), c in board.counts().items() if s == last_window}).most_common(5)
    console.print("last window's top words: " + ", ".join(f"{w}={c}" for w, c in top))
    windows = len({s for _, s in expected})
    on_time = percentile(board.latencies_s, 50)
    return RunResult(
        ok,
        f"{count} sentences -> {board.messages} result panes over {windows} windows; counts "
        + ("exact" if board.counts() == expected else "WRONG")
        + (", clean stop" if code == 0 else ", stop failed"),
        {"words": str(sum(expected.values())), "windows": str(windows),
         "on_time_fire_p50_s": f"{on_time:.2f}"},
    )


def _beam(count: int, rate: float, window_s: float) -> dict[str, float]:
    """The pipeline, warm, fed `count` sentences at `rate`/s (0 = a burst): throughput and firing delay."""
    resources = unique_resources("bench02")
    process = start_pipeline(resources, window_s, lateness_s=600.0, impl="solution", log=_log("bench.log"))
    try:
        publisher = pubsub_v1.PublisherClient()
        # Warm up (first pull, first bundle, first firing) and wait for it, then measure.
        warm = publish_sentences(publisher, resources.input_topic, 5)
        board = wait_for_counts(resources, expected_counts([(p.sentence, p.event_time_ms) for p in warm],
                                                           window_s), timeout_s=60)
        board.latencies_s.clear()
        panes_before = board.messages
        began = time.monotonic()
        sent = publish_sentences(publisher, resources.input_topic, count, rate, start=5)
        expected = expected_counts([(p.sentence, p.event_time_ms) for p in warm + sent], window_s)
        board = wait_for_counts(resources, expected, timeout_s=300, board=board)
        elapsed = time.monotonic() - began
        complete = board.counts() == expected
    finally:
        stop_pipeline(process)
        resources.delete()
    panes = board.messages - panes_before
    return {"msgs_per_s": count / elapsed if complete else float("nan"), "elapsed_s": elapsed,
            "p50_s": percentile(board.latencies_s, 50), "p99_s": percentile(board.latencies_s, 99),
            "on_time_fraction": len(board.latencies_s) / panes if panes else float("nan")}


def _plain(count: int, rate: float, window_s: float) -> dict[str, float]:
    resources = unique_resources("bench02p")
    consumer = PlainWordCount(resources.input_subscription, resources.output_topic, window_s)
    consumer.start()
    try:
        publisher = pubsub_v1.PublisherClient()
        time.sleep(1)
        began = time.monotonic()
        publish_sentences(publisher, resources.input_topic, count, rate)
        while consumer.processed < count and time.monotonic() - began < 300:
            time.sleep(0.02)
        counted_s = time.monotonic() - began
        while consumer.windows and time.monotonic() - began < 300:  # until every window is published
            time.sleep(0.02)
        elapsed = time.monotonic() - began
    finally:
        consumer.stop()
        resources.delete()
    return {"msgs_per_s": count / counted_s, "elapsed_s": elapsed,
            "p50_s": percentile(consumer.window_latencies_s, 50),
            "p99_s": percentile(consumer.window_latencies_s, 99), "on_time_fraction": 1.0}


def _idle_fire_delay(window_s: float) -> float:
    """One sentence, then silence: how long after its window's end does the result appear?"""
    resources = unique_resources("bench02i")
    process = start_pipeline(resources, window_s, lateness_s=60.0, impl="solution", log=_log("idle.log"))
    try:
        publisher = pubsub_v1.PublisherClient()
        publish_heartbeat(publisher, resources.input_topic)
        time.sleep(4)
        sent = publish_sentences(publisher, resources.input_topic, 1)
        expected = expected_counts([(p.sentence, p.event_time_ms) for p in sent], window_s)
        board = wait_for_counts(resources, expected, timeout_s=60, heartbeat=False)
    finally:
        stop_pipeline(process)
        resources.delete()
    return percentile(board.latencies_s, 100)


def bench(quick: bool) -> None:
    use_local_emulator()
    window_s = 1.0
    burst, steady_rate, steady_s = (200, 10.0, 4) if quick else (4000, 20.0, 30)  # quick: 343 s with 1000
    steady = int(steady_rate * steady_s)
    report = BenchReport(
        "ex02", f"ex02: windowed word count on the emulator, {window_s:g} s windows",
        ["consumer / load", "msgs/s", "window end -> result p50 s", "p99 s", "on-time panes", "total s"])
    report.progress(4 if quick else 5)
    report.chart("bar", x="consumer / load", y="msgs/s", title="throughput (log scale)", logy=True)
    # Latency only at the steady rate: a burst's few ON_TIME panes (often none) say nothing about it.
    report.chart("bar", x="consumer / load", y=["window end -> result p50 s", "p99 s"], ylabel="s",
                 names={"window end -> result p50 s": "p50", "p99 s": "p99"},
                 where=lambda row: "steady" in str(row["consumer / load"]),
                 title="window end -> result, steady rate")
    results: dict[str, dict[str, float]] = {}
    for label, fn in (("beam", _beam), ("plain", _plain)):
        with report.step(f"{label}: steady {steady_rate:g}/s for {steady_s} s"):
            results[f"{label}_steady"] = fn(steady, steady_rate, window_s)
        with report.step(f"{label}: burst of {burst}"):
            results[f"{label}_burst"] = fn(burst, 0.0, window_s)
    names = {"beam": "Beam BundleBasedDirectRunner", "plain": "plain streaming pull"}
    for key, r in results.items():
        who, load = key.split("_")
        report.add(f"{names[who]}, {load if load == 'burst' else f'steady {steady_rate:g}/s'}",
                   r["msgs_per_s"], r["p50_s"], r["p99_s"], f"{r['on_time_fraction']:.0%}", r["elapsed_s"])
    beam_b, plain_b, beam_s, plain_s = (results[k] for k in ("beam_burst", "plain_burst", "beam_steady",
                                                              "plain_steady"))
    metrics: dict[str, float] = {
        "beam_burst_msgs_per_s": beam_b["msgs_per_s"], "plain_burst_msgs_per_s": plain_b["msgs_per_s"],
        "beam_vs_plain_throughput": ratio(beam_b["msgs_per_s"], plain_b["msgs_per_s"]),
        "beam_steady_fire_p50_s": beam_s["p50_s"], "beam_steady_fire_p99_s": beam_s["p99_s"],
        "plain_steady_fire_p99_s": plain_s["p99_s"],
        "beam_vs_plain_p99": ratio(beam_s["p99_s"], plain_s["p99_s"]),
        "beam_burst_on_time_fraction": beam_b["on_time_fraction"],
    }
    if not quick:
        with report.step("idle firing delay (one message, no heartbeats)"):
            metrics["beam_idle_fire_delay_s"] = _idle_fire_delay(window_s=2.0)
        delay = metrics["beam_idle_fire_delay_s"]
        report.note(f"idle: one message, then silence: its window fired {delay:.1f} s "
                    "after its end (the BundleBasedDirectRunner's pull blocks up to 30 s on an idle "
                    "subscription)")
    report.note("latency: wall-clock time from a window's end to its result on the output topic (Beam: "
                "ON_TIME panes only; the plain consumer publishes a window 0.5 s after its end).")
    report.note("on-time panes: the share of Beam's panes that fired ON_TIME; the rest were LATE because the "
                "BundleBasedDirectRunner's watermark is wall-clock and the backlog was behind it.")
    report.finish(metrics)


EXERCISE = Exercise(id="ex02", title=CATALOG["ex02"], services=("pubsub",), run=run, bench=bench)
