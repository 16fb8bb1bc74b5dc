"""Exercise 9's fixtures: one Flink job run per session, fed in phases, whose outputs many tests read.

A PyFlink start costs ~15 s (a JVM, the MiniCluster, Python workers), so the suite runs the job once:
the run injects a fault mid-stream (the restart test) and also yields the scored tweets, dead letters,
late tweets and window aggregates every other job test asserts on. The phases make lateness
deterministic: late tweets are produced only after a window has fired (the watermark has passed it).
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer, Producer

from bootcamp.kafka.admin import ensure_topics
from exercises.ex09_flink_sentiment import generator
from exercises.ex09_flink_sentiment.config import JobSettings
from exercises.ex09_flink_sentiment.flinkjob import start_job, stop_job

PHASE_ONE = 240
LATE = 5
SPLIT = 100
DEADLINE_S = 150.0


@dataclass
class FlinkRun:
    settings: JobSettings
    valid_ids: set[str]
    bad_payloads: list[str]
    late_ids: set[str]
    closing_window_start_ms: int
    scored: list[dict[str, Any]] = field(default_factory=list)
    dead_letters: list[dict[str, Any]] = field(default_factory=list)
    aggregates: list[dict[str, Any]] = field(default_factory=list)
    fault_fired: bool = False
    log: str = ""
    files: list[dict[str, Any]] = field(default_factory=list)


def is_valid(tweet: dict[str, Any]) -> bool:
    text = tweet.get("text")
    return (
        "id" in tweet
        and isinstance(text, str)
        and bool(text.strip())
        and tweet.get("created_at", "").endswith("Z")
    )


def latest_checkpoint(directory: Path) -> int:
    found = [int(p.parent.name.split("-")[1]) for p in directory.glob("*/chk-*/_metadata")]
    return max(found, default=0)


class Reader:
    """read_committed consumer of the three output topics."""

    def __init__(self, settings: JobSettings, run: str) -> None:
        self.consumer = Consumer(
            {
                "bootstrap.servers": settings.bootstrap_servers,
                "group.id": f"reader-{run}",
                "auto.offset.reset": "earliest",
                "isolation.level": "read_committed",
                "enable.auto.commit": False,
            }
        )
        self.consumer.subscribe(
            [settings.scored_topic, settings.dead_letter_topic, settings.aggregates_topic]
        )
        self.by_topic: dict[str, list[dict[str, Any]]] = {}

    def poll(self) -> None:
        for msg in self.consumer.consume(500, 0.5):
            value, topic = msg.value(), msg.topic()
            if msg.error() is None and value is not None and topic is not None:
                self.by_topic.setdefault(topic, []).append(json.loads(value))

    def get(self, topic: str) -> list[dict[str, Any]]:
        return self.by_topic.get(topic, [])


def _await(condition: Any, process: Any, log_path: Path, what: str, deadline: float, reader: Reader) -> None:
    while not condition():
        code = process.poll()
        if code is not None:
            text = log_path.read_text(errors="replace")
            if "NotImplementedError" in text:
                line = next(ln for ln in reversed(text.splitlines()) if "NotImplementedError" in ln)
                raise NotImplementedError(line.strip())
            error = next((ln for ln in text.splitlines() if ln.startswith("error: ")), None)
            raise AssertionError(
                error or f"the Flink job exited with {code} while waiting for {what}:\n" + text[-3000:]
            )
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out waiting for {what} (committed output only appears when a "
                f"checkpoint completes: is checkpointing on?):\n"
                + log_path.read_text(errors="replace")[-2000:]
            )
        reader.poll()


@pytest.fixture(scope="session")
def flink_run(
    impl_name: str, kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FlinkRun]:
    run = uuid.uuid4().hex[:8]
    home = tmp_path_factory.mktemp("ex09-flink")
    settings = JobSettings(
        bootstrap_servers=kafka_bootstrap,
        tweets_topic=f"ex09-{run}.tweets",
        scored_topic=f"ex09-{run}.scored",
        aggregates_topic=f"ex09-{run}.aggregates",
        dead_letter_topic=f"ex09-{run}.dead-letter",
        group_id=f"ex09-{run}",
        transactional_id_prefix=f"ex09-{run}",
        checkpoint_ms=500,
        checkpoint_dir=str(home / "checkpoints"),
        aggregates_dir=str(home / "aggregates"),
        fault_file=str(home / "fault"),
        fault_after=SPLIT,
    )
    ensure_topics(settings.topics(), partitions=1)  # one partition: the watermark's order is the topic's
    producer = Producer({"bootstrap.servers": kafka_bootstrap, "enable.idempotence": True})
    phase_one = generator.tweets(PHASE_ONE)
    bad = [json.dumps(t) for t in phase_one if not is_valid(t)] + [
        j.decode("utf-8", "replace") for j in generator.junk_payloads()
    ]
    payloads = [json.dumps(t).encode() for t in phase_one]
    payloads[SPLIT:SPLIT] = generator.junk_payloads()
    for payload in payloads[:SPLIT]:
        producer.produce(settings.tweets_topic, payload)
    assert producer.flush(30) == 0
    Path(settings.fault_file).write_text("fail once\n")
    log_path = home / "job.log"
    process = start_job(settings, impl_name, log_path, {"EX09_BUNDLE_SIZE": "10"})
    reader = Reader(settings, run)
    deadline = time.monotonic() + DEADLINE_S
    try:
        # The rest of phase one only once a checkpoint has committed output: the fault then fires
        # on records that come after a completed checkpoint.
        _await(
            lambda: bool(reader.get(settings.scored_topic)),
            process,
            log_path,
            "the first committed scored tweet",
            deadline,
            reader,
        )
        for payload in payloads[SPLIT:]:
            producer.produce(settings.tweets_topic, payload)
        assert producer.flush(30) == 0
        _await(
            lambda: bool(reader.get(settings.aggregates_topic)),
            process,
            log_path,
            "the first window aggregate",
            deadline,
            reader,
        )
        fired = min(a["window_start_ms"] for a in reader.get(settings.aggregates_topic))
        behind = generator.START + timedelta(milliseconds=fired - int(generator.START.timestamp() * 1000))
        late = generator.late_tweets(LATE, behind)
        closing = generator.tweet(
            random.Random(1), 1_800_000_000_000_000_000, generator.START + timedelta(hours=1)
        )
        for tweet in [*late, closing]:
            producer.produce(settings.tweets_topic, json.dumps(tweet).encode(), key=tweet["id"].encode())
        assert producer.flush(30) == 0
        valid_ids = {t["id"] for t in phase_one if is_valid(t)} | {t["id"] for t in late} | {closing["id"]}
        bad_count = len(bad) + LATE
        closing_start = (
            (int(generator.START.timestamp() * 1000) + 3_600_000)
            // (settings.window_s * 1000)
            * settings.window_s
            * 1000
        )

        def complete() -> bool:
            scored = {r["id"] for r in reader.get(settings.scored_topic)}
            aggregated = {a["window_start_ms"] for a in reader.get(settings.aggregates_topic)}
            phase_one_windows = {
                generator.parse_ms(t["created_at"]) // (settings.window_s * 1000) * settings.window_s * 1000
                for t in phase_one
                if is_valid(t)
            }
            return (
                scored >= valid_ids
                and len(reader.get(settings.dead_letter_topic)) >= bad_count
                and aggregated >= phase_one_windows
            )

        _await(complete, process, log_path, "every scored tweet, dead letter and window", deadline, reader)
        # Two more checkpoints: anything a wrong sink wrote twice is committed and visible by then.
        target = latest_checkpoint(Path(settings.checkpoint_dir)) + 2
        _await(
            lambda: latest_checkpoint(Path(settings.checkpoint_dir)) >= target,
            process,
            log_path,
            "two more checkpoints",
            deadline,
            reader,
        )
        reader.poll()
        files = [
            json.loads(line)
            for path in sorted(Path(settings.aggregates_dir).rglob("*"))
            if path.is_file() and not path.name.startswith(".")
            for line in path.read_text().splitlines()
            if line.strip()
        ]
        yield FlinkRun(
            settings=settings,
            valid_ids=valid_ids,
            bad_payloads=bad,
            late_ids={t["id"] for t in late},
            closing_window_start_ms=closing_start,
            scored=reader.get(settings.scored_topic),
            dead_letters=reader.get(settings.dead_letter_topic),
            aggregates=reader.get(settings.aggregates_topic),
            fault_fired=not Path(settings.fault_file).exists(),
            log=log_path.read_text(errors="replace"),
            files=files,
        )
    finally:
        reader.consumer.close()
        stop_job(process)
