"""The pipeline as it really runs: its own process, the Pub/Sub emulator, the BundleBasedDirectRunner.

Deterministic despite wall-clock watermarks: each sentence's event time is known when it is
published, so the expected count of every (word, window) is computed exactly, and the test compares
the final (highest-index) pane of each against it. Allowed lateness is generous, so a window that
closes before the pipeline has pulled its data (the local runner's watermark is "now") still counts
it in a LATE pane: nothing may be missing or extra. Heartbeats keep the watermark moving while idle.
Then a stale backlog (event times ten minutes old) pins the local runner's wall-clock watermark:
once the pipeline runs, it is dropped.
"""

from __future__ import annotations

import functools
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from google.cloud import pubsub_v1

from exercises.ex02_pubsub_beam_wordcount.harness import (
    Resources,
    drain,
    expected_counts,
    start_pipeline,
    stop_pipeline,
    to_ms,
    wait_for_counts,
)
from exercises.ex02_pubsub_beam_wordcount.sentences import publish_sentences

WINDOW_S = 2.0
LATENESS_S = 60.0


@pytest.mark.slow
@pytest.mark.integration
def test_exact_windowed_counts_through_the_emulator(impl: Any, resources: Resources, tmp_path: Path) -> None:
    publish = functools.partial(publish_sentences, make_message=impl.generator.make_message)
    publisher = pubsub_v1.PublisherClient()
    log = tmp_path / "pipeline.log"
    process = start_pipeline(resources, WINDOW_S, LATENESS_S, log=log)
    try:
        sent = publish(publisher, resources.input_topic, count=120, rate_per_s=60)
        # Bad input: not UTF-8. It must reach the dead-letter topic and not stop the stream.
        publisher.publish(resources.input_topic, b"\xff\xfe not text", ts=str(sent[-1].event_time_ms),
                          id="bad-1").result(timeout=10)
        more = publish(publisher, resources.input_topic, count=30, start=120)
        expected = expected_counts([(p.sentence, p.event_time_ms) for p in sent + more], WINDOW_S)

        board = wait_for_counts(resources, expected, timeout_s=75)
        assert process.poll() is None, f"pipeline died: {log.read_text()[-2000:]}"
        assert board.counts() == expected  # exact: nothing missing, nothing extra
        # Now that the watermark runs (wall clock), data from ten minutes ago is behind it by more than
        # the allowed lateness: dropped, no pane at all, while fresh data after it still counts.
        stale_ms = time.time_ns() // 1_000_000 - 600_000
        publish(publisher, resources.input_topic, count=20, start=150,
                                         clock_ms=lambda: stale_ms)
        after = publish(publisher, resources.input_topic, count=10, start=170)
        expected += expected_counts([(p.sentence, p.event_time_ms) for p in after], WINDOW_S)
        board = wait_for_counts(resources, expected, timeout_s=45, board=board)
        board = wait_for_counts(resources, Counter(), timeout_s=3, board=board)  # anything late?
        assert board.counts() == expected, "the stale backlog was counted"
        for (_word, start_ms), pane in board.panes.items():
            assert to_ms(str(pane["window_end"])) - start_ms == WINDOW_S * 1000
            assert pane["timing"] in {"ON_TIME", "LATE"}

        dead = drain(pubsub_v1.SubscriberClient(), resources.dead_letter_subscription, timeout_s=5)
        assert len(dead) == 1
        record = json.loads(dead[0].data)
        assert bytes.fromhex(record["original_hex"]) == b"\xff\xfe not text"
        assert "UTF-8" in record["error"]
    finally:
        code = stop_pipeline(process)
    assert code == 0, f"pipeline did not stop cleanly: {log.read_text()[-2000:]}"
    assert "pipeline stopped" in log.read_text()
    assert "pipeline running on BundleBasedDirectRunner" in log.read_text()


@pytest.mark.integration
def test_windows_follow_the_event_time_attribute(impl: Any, resources: Resources, tmp_path: Path) -> None:
    """Sentences that happened 90 s ago, published now, count in the windows of 90 s ago.

    Deterministic: the event time differs from the publish time by far more than a window, and the
    allowed lateness (600 s) keeps those windows open, so by event time each word has exactly one
    window, and by publish time it lands in one of today's.
    """
    log = tmp_path / "pipeline.log"
    process = start_pipeline(resources, WINDOW_S, lateness_s=600.0, log=log)
    try:
        then_ms = time.time_ns() // 1_000_000 - 90_000
        sent = publish_sentences(pubsub_v1.PublisherClient(), resources.input_topic, count=3,
                                 make_message=impl.generator.make_message, clock_ms=lambda: then_ms)
        expected = expected_counts([(p.sentence, p.event_time_ms) for p in sent], WINDOW_S)
        board = wait_for_counts(resources, expected, timeout_s=40,
                                stop_if=lambda b: process.poll() is not None
                                or bool(set(b.counts()) - set(expected)))
        assert process.poll() is None, f"pipeline died: {log.read_text()[-2000:]}"
        wrong = sorted({start for _, start in board.counts()} - {start for _, start in expected})
        assert not wrong, (
            f"panes landed in windows starting {[s - then_ms for s in wrong]} ms after the event time: "
            "windows follow the publish time, not the event time in the `ts` attribute "
            "(ReadFromPubSub(timestamp_attribute='ts'), and make_message must set it)")
        assert board.counts() == expected
    finally:
        stop_pipeline(process)
