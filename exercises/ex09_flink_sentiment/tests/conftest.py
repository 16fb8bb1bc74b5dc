"""Exercise 9's fixtures: one Flink job run per session, fed in phases, whose outputs many tests read.

A PyFlink start costs ~15 s (a JVM, the MiniCluster, Python workers), so the suite runs the job once:
the run kills its Python UDF worker mid-stream (the restart test) and also yields the scored tweets,
dead letters, late tweets and window aggregates every other job test asserts on. The phases make lateness
deterministic: late tweets are produced only after a window has fired (the watermark has passed it).
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
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
A1 = 60
A = 122
DEADLINE_S = 130.0  # under the harnesses' 150 s per-test timeout: our message, not theirs


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
    killed_worker: int | None = None
    """The pid of the Python UDF worker the fault SIGKILLed (None if it never fired)."""
    job_pid: int = 0
    log: str = ""
    files: list[dict[str, Any]] = field(default_factory=list)
    scored_offsets: list[int] = field(default_factory=list)
    """The offsets the read_committed reader saw on the scored topic (one partition)."""


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
        self.offsets: dict[str, list[int]] = {}

    def poll(self) -> None:
        for msg in self.consumer.consume(500, 0.5):
            value, topic, offset = msg.value(), msg.topic(), msg.offset()
            if msg.error() is None and value is not None and topic is not None:
                self.by_topic.setdefault(topic, []).append(json.loads(value))
                if offset is not None:
                    self.offsets.setdefault(topic, []).append(offset)

    def get(self, topic: str) -> list[dict[str, Any]]:
        return self.by_topic.get(topic, [])


def _await(condition: Any, process: Any, log_path: Path, what: str, deadline: float, reader: Reader) -> None:
    while not condition():
        code = process.poll()
        if code is not None:
            text = log_path.read_text(errors="replace")
            if "NotImplementedError" in text:
                line = next(ln for ln in reversed(text.splitlines()) if "NotImplementedError" in ln)
                start = line.find("not implemented yet")  # the report must start with it
                raise NotImplementedError(line[start:] if start >= 0 else line.strip())
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


def _killed_worker(settings: JobSettings) -> int | None:
    """The pid `faults.FailOnce` wrote before it SIGKILLed its worker (`faults.killed_file`)."""
    evidence = Path(settings.fault_file + ".killed")
    return int(evidence.read_text().split()[0]) if evidence.exists() else None


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@pytest.fixture(scope="session")
def flink_run(
    impl_name: str, kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FlinkRun]:
    """One job run in three phases on a one-partition topic (the watermark follows the topic's order).

    A1: 60 tweets and the junk payloads; once a checkpoint has committed output, A2: tweets up to
    index 121 and X (stamped 121 s), during which the fault fires (after a completed checkpoint) and
    Flink restarts from it. Once all of A is committed and two more checkpoints have passed (so the
    watermark, 116 s with the 5 s bound, has reached the window operator), B: Y (stamped 119.5 s: out
    of order but inside the bound, so on time; with no bound its window has already fired and it is
    late), the late tweets (stamped in the first window, which has fired), the rest, and a closing
    tweet an hour later that fires every remaining window.
    """
    run = uuid.uuid4().hex[:8]
    home = tmp_path_factory.mktemp("ex09-flink")
    settings = JobSettings.named(
        kafka_bootstrap,
        f"ex09-{run}",
        checkpoint_ms=500,
        checkpoint_dir=str(home / "checkpoints"),
        aggregates_dir=str(home / "aggregates"),
        fault_file=str(home / "fault"),
        fault_after=A1 + len(generator.junk_payloads()),
    )
    ensure_topics(settings.topics(), partitions=1)
    producer = Producer({"bootstrap.servers": kafka_bootstrap, "enable.idempotence": True})
    phase_one = generator.tweets(PHASE_ONE)
    rng = random.Random(1)
    x = generator.tweet(rng, 1_800_000_000_000_000_001, generator.START + timedelta(seconds=121))
    y = generator.tweet(
        rng, 1_800_000_000_000_000_002, generator.START + timedelta(seconds=119, milliseconds=500)
    )
    closing = generator.tweet(rng, 1_800_000_000_000_000_003, generator.START + timedelta(hours=1))
    late = generator.late_tweets(LATE, generator.START)
    junk = generator.junk_payloads()
    bad = [json.dumps(t) for t in phase_one if not is_valid(t)] + [j.decode("utf-8", "replace") for j in junk]
    a1 = [json.dumps(t).encode() for t in phase_one[:A1]] + junk
    a2 = [json.dumps(t).encode() for t in [*phase_one[A1:A], x]]
    b = [json.dumps(t).encode() for t in [y, *late, *phase_one[A:], closing]]
    valid_a = {t["id"] for t in [*phase_one[:A], x] if is_valid(t)}
    valid_ids = valid_a | {t["id"] for t in [*phase_one, y, closing, *late] if is_valid(t)}

    def send(payloads: list[bytes]) -> None:
        for payload in payloads:
            producer.produce(settings.tweets_topic, payload)
        assert producer.flush(30) == 0

    send(a1)
    Path(settings.fault_file).write_text("fail once\n")
    log_path = home / "job.log"
    process = start_job(settings, impl_name, log_path, {"EX09_BUNDLE_SIZE": "10"})
    reader = Reader(settings, run)
    deadline = time.monotonic() + DEADLINE_S
    checkpoints = Path(settings.checkpoint_dir)
    try:
        _await(
            lambda: bool(reader.get(settings.scored_topic)),
            process,
            log_path,
            "the first committed scored tweet",
            deadline,
            reader,
        )
        send(a2)
        _await(
            lambda: (
                {r["id"] for r in reader.get(settings.scored_topic)} >= valid_a
                and not Path(settings.fault_file).exists()
            ),
            process,
            log_path,
            "every tweet of phase A, through the injected fault",
            deadline,
            reader,
        )
        def two_more_checkpoints() -> None:
            target = latest_checkpoint(checkpoints) + 2
            _await(lambda: latest_checkpoint(checkpoints) >= target, process, log_path,
                   "two more checkpoints", deadline, reader)

        two_more_checkpoints()
        send(b)
        window = settings.window_s * 1000
        closing_start = _ms(generator.START + timedelta(hours=1)) // window * window
        windows = {
            generator.parse_ms(t["created_at"]) // window * window for t in [*phase_one, x, y] if is_valid(t)
        }

        def complete() -> bool:
            scored = {r["id"] for r in reader.get(settings.scored_topic)}
            aggregated = {a["window_start_ms"] for a in reader.get(settings.aggregates_topic)}
            return scored >= valid_ids and aggregated >= windows

        _await(complete, process, log_path, "every scored tweet, dead letter and window", deadline, reader)
        # Two more checkpoints: dead letters (committed with the same checkpoints as the tweets around
        # them), and anything a wrong sink wrote twice, are committed and visible by then.
        two_more_checkpoints()
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
            killed_worker=_killed_worker(settings),
            job_pid=process.pid,
            log=log_path.read_text(errors="replace"),
            files=files,
            scored_offsets=reader.offsets.get(settings.scored_topic, []),
        )
    finally:
        reader.consumer.close()
        stop_job(process)
