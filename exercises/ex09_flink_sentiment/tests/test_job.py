"""The Flink job end to end on the MiniCluster and the real broker, through one injected failure.

All read the session's one job run (`flink_run`): a fault SIGKILLs the job's Python UDF worker once
mid-stream, after a completed checkpoint; Flink restarts the job from that checkpoint.
`read_committed` readers must then see every valid tweet scored exactly once, every bad record
dead-lettered exactly once, and window aggregates equal to an offline computation over the same
tweets.
"""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict
from typing import Any

import pytest

from exercises.ex09_flink_sentiment.tests.conftest import FlinkRun


def test_the_fault_fired_and_the_job_recovered(flink_run: FlinkRun) -> None:
    assert flink_run.fault_fired, "the injected fault never fired (the job saw no completed checkpoint)"
    worker = flink_run.killed_worker
    assert worker is not None, "the fault fired but killed no worker"
    assert worker != flink_run.job_pid, "the UDF worker ran inside the job's client (loopback mode)"
    with pytest.raises(ProcessLookupError):
        os.kill(worker, 0)  # the SIGKILLed worker is gone; the job went on with a new one


def test_every_valid_tweet_is_scored_exactly_once_after_the_restart(flink_run: FlinkRun) -> None:
    counts = Counter(r["id"] for r in flink_run.scored)
    duplicates = {i: n for i, n in counts.items() if n > 1}
    assert not duplicates, (
        f"{len(duplicates)} tweets scored more than once after the restart: an "
        f"at-least-once (non-transactional) Kafka sink replays what it wrote after the "
        f"last checkpoint"
    )
    assert set(counts) == flink_run.valid_ids, "scored tweets lost or invented"
    for record in flink_run.scored:
        assert record["label"] in ("positive", "negative", "neutral")
        assert -1.0 <= record["polarity"] <= 1.0


def test_scored_tweets_are_written_in_transactions(flink_run: FlinkRun) -> None:
    """Deterministic where the duplicates above depend on timing (whether the failed attempt had sent
    records after the last completed checkpoint): each committed transaction leaves a commit marker in
    the partition, which takes an offset that no consumer sees, so transactional writes leave gaps in
    the offsets read; a plain (at-least-once) producer's records sit at contiguous offsets."""
    offsets = sorted(flink_run.scored_offsets)
    assert offsets, "the reader saw no scored tweets"
    hidden = offsets[-1] + 1 - offsets[0] - len(offsets)
    assert hidden > 0, (
        f"{len(offsets)} scored tweets at contiguous offsets {offsets[0]}..{offsets[-1]}, no commit "
        "markers between them: the Kafka sink writes outside transactions (at-least-once), so a "
        "restart replays what it wrote after the last checkpoint"
    )


def test_every_bad_record_is_dead_lettered_exactly_once_with_its_reason(flink_run: FlinkRun) -> None:
    parse_failures = [d for d in flink_run.dead_letters if d["stage"] == "parse"]
    raws = Counter(d["raw"] for d in parse_failures)
    assert sorted(raws.elements()) == sorted(flink_run.bad_payloads), (
        "the dead-letter topic must hold each bad record exactly once: bad records dropped silently, "
        "or dead letters written twice by an at-least-once sink"
    )
    assert all(d["reason"] for d in parse_failures), "every dead letter names its reason"


def test_late_tweets_beyond_the_bound_are_counted_not_dropped(flink_run: FlinkRun) -> None:
    late = [d for d in flink_run.dead_letters if d["stage"] == "window"]
    assert all(d["reason"].startswith("late") for d in late)
    late_ids = {json.loads(d["raw"])["id"] for d in late}
    assert late_ids == flink_run.late_ids, (
        f"expected exactly the {len(flink_run.late_ids)} tweets produced after their window fired as late, "
        f"got {len(late_ids)}: a watermark with no out-of-orderness bound makes on-time tweets late"
    )


def offline_windows(flink_run: FlinkRun) -> dict[tuple[str, int], dict[str, Any]]:
    """The same per-hashtag tumbling windows computed in plain Python from the scored tweets."""
    size = flink_run.settings.window_s * 1000
    groups: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    for record in flink_run.scored:
        if record["id"] in flink_run.late_ids:
            continue
        start = record["created_at_ms"] // size * size
        if start == flink_run.closing_window_start_ms:
            continue
        for tag in record["hashtags"]:
            groups[(tag, start)].append(record)
    return {
        key: {
            "count": len(rs),
            "mean_polarity": sum(r["polarity"] for r in rs) / len(rs),
            "share_negative": sum(r["label"] == "negative" for r in rs) / len(rs),
            "ids": sorted(r["id"] for r in rs),
        }
        for key, rs in groups.items()
    }


def test_window_aggregates_equal_an_offline_computation(flink_run: FlinkRun) -> None:
    expected = offline_windows(flink_run)
    got = {(a["hashtag"], a["window_start_ms"]): a for a in flink_run.aggregates}
    assert len(got) == len(flink_run.aggregates), "a window was emitted twice (at-least-once sink?)"
    assert set(got) == set(expected), (
        "windows differ from the offline computation: are windows keyed by "
        "hashtag, with event time from created_at?"
    )
    for key, want in expected.items():
        have = got[key]
        assert have["ids"] == want["ids"], f"window {key} holds other tweets than offline"
        assert have["count"] == want["count"]
        assert abs(have["mean_polarity"] - want["mean_polarity"]) < 1e-9
        assert abs(have["share_negative"] - want["share_negative"]) < 1e-9
        assert have["window_end_ms"] - have["window_start_ms"] == flink_run.settings.window_s * 1000


def test_the_file_sink_holds_committed_aggregates(flink_run: FlinkRun) -> None:
    committed = {(a["hashtag"], a["window_start_ms"]) for a in flink_run.aggregates}
    files = [(a["hashtag"], a["window_start_ms"]) for a in flink_run.files]
    assert files, "the file sink finished no part file (it rolls on checkpoints)"
    assert set(files) <= committed
    assert len(files) == len(set(files)), "a window written twice to the files"
