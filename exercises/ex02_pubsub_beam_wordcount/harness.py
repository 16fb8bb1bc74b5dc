"""Plumbing shared by `bootcamp run`, `bootcamp bench` and the tests: resources, the pipeline process,
and reading results back. Not part of what the learner writes.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from google.cloud import pubsub_v1

from bootcamp.pubsub.admin import delete_subscription, delete_topic, ensure_subscription, ensure_topic
from bootcamp.pubsub.config import PubSubSettings
from exercises.ex02_pubsub_beam_wordcount.sentences import publish_heartbeat

PACKAGE = "exercises.ex02_pubsub_beam_wordcount"
REPO_ROOT = Path(__file__).resolve().parents[2]
# An independent definition of a word, so tests do not grade the learner's split_words with itself.
WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


@dataclass
class Resources:
    """Input, output and dead-letter topics, each with a subscription; unique per run unless named."""

    prefix: str
    project: str = field(default_factory=lambda: PubSubSettings().project())

    def path(self, kind: str, what: str) -> str:
        return f"projects/{self.project}/{kind}/{self.prefix}-{what}"

    @property
    def input_topic(self) -> str:
        return self.path("topics", "input")

    @property
    def input_subscription(self) -> str:
        return self.path("subscriptions", "input-pipeline")

    @property
    def output_topic(self) -> str:
        return self.path("topics", "output")

    @property
    def output_subscription(self) -> str:
        return self.path("subscriptions", "output-reader")

    @property
    def dead_letter_topic(self) -> str:
        return self.path("topics", "dead-letter")

    @property
    def dead_letter_subscription(self) -> str:
        return self.path("subscriptions", "dead-letter-reader")

    def create(self) -> Resources:
        for topic in (self.input_topic, self.output_topic, self.dead_letter_topic):
            ensure_topic(topic.rsplit("/", 1)[1], self.project)
        ensure_subscription(self.input_subscription.rsplit("/", 1)[1], self.input_topic, self.project,
                            ack_deadline_s=60)
        ensure_subscription(self.output_subscription.rsplit("/", 1)[1], self.output_topic, self.project)
        ensure_subscription(self.dead_letter_subscription.rsplit("/", 1)[1], self.dead_letter_topic,
                            self.project)
        return self

    def delete(self) -> None:
        for sub in (self.input_subscription, self.output_subscription, self.dead_letter_subscription):
            delete_subscription(sub)
        for topic in (self.input_topic, self.output_topic, self.dead_letter_topic):
            delete_topic(topic)


def unique_resources(label: str = "ex02") -> Resources:
    return Resources(f"{label}-{uuid.uuid4().hex[:8]}").create()


def start_pipeline(resources: Resources, window_s: float, lateness_s: float,
                   impl: str | None = None, log: Path | None = None) -> subprocess.Popen[bytes]:
    """The pipeline as its own process (as it runs for real), graded impl from BOOTCAMP_IMPL."""
    which = impl or os.environ.get("BOOTCAMP_IMPL", "solution")
    argv = [sys.executable, "-m", f"{PACKAGE}.{which}.pipeline",
            f"--input_subscription={resources.input_subscription}",
            f"--output_topic={resources.output_topic}",
            f"--dead_letter_topic={resources.dead_letter_topic}",
            f"--window_size_s={window_s}", f"--allowed_lateness_s={lateness_s}"]
    out = log.open("wb") if log else subprocess.DEVNULL
    return subprocess.Popen(argv, cwd=REPO_ROOT, stdout=out, stderr=subprocess.STDOUT,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})


def stop_pipeline(process: subprocess.Popen[bytes], timeout_s: float = 40.0) -> int | None:
    """SIGTERM, then wait; the exit code, or None if it had to be killed."""
    if process.poll() is not None:
        return process.returncode
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return None


def expected_counts(sent: Iterable[tuple[str, int]], window_s: float) -> Counter[tuple[str, int]]:
    """(word, window start in ms) -> count, from (sentence, event time ms) pairs."""
    size_ms = round(window_s * 1000)
    counts: Counter[tuple[str, int]] = Counter()
    for sentence, event_ms in sent:
        start = event_ms - event_ms % size_ms
        counts.update((word, start) for word in WORD.findall(sentence.lower()))
    return counts


def to_ms(rfc3339: str) -> int:
    return round(datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).timestamp() * 1000)


@dataclass
class ResultBoard:
    """The latest pane per (word, window): accumulating panes replace, never add."""

    panes: dict[tuple[str, int], dict[str, object]] = field(default_factory=dict)
    messages: int = 0
    latencies_s: list[float] = field(default_factory=list)

    def add(self, message: pubsub_v1.types.PubsubMessage) -> None:
        result = json.loads(message.data)
        self.messages += 1
        key = (str(result["word"]), to_ms(str(result["window_start"])))
        current = self.panes.get(key)
        if current is None or int(str(current["pane_index"])) < int(result["pane_index"]):
            self.panes[key] = result
        if result["timing"] == "ON_TIME":
            published = message.publish_time.timestamp()
            self.latencies_s.append(published - to_ms(str(result["window_end"])) / 1000)

    def counts(self) -> Counter[tuple[str, int]]:
        return Counter({key: int(str(pane["count"])) for key, pane in self.panes.items()})


def drain(subscriber: pubsub_v1.SubscriberClient, subscription: str,
          timeout_s: float = 2.0) -> list[pubsub_v1.types.PubsubMessage]:
    """Pull and ack what is there (empty after `timeout_s` of nothing)."""
    try:
        response = subscriber.pull(request={"subscription": subscription, "max_messages": 1000},
                                   timeout=timeout_s)
    except Exception:  # DEADLINE_EXCEEDED on an idle subscription
        return []
    if response.received_messages:
        subscriber.acknowledge(request={"subscription": subscription,
                                        "ack_ids": [m.ack_id for m in response.received_messages]})
    return [m.message for m in response.received_messages]


def wait_for_counts(resources: Resources, expected: Counter[tuple[str, int]], timeout_s: float,
                    heartbeat: bool = True, board: ResultBoard | None = None,
                    stop_if: Callable[[ResultBoard], bool] | None = None) -> ResultBoard:
    """Read results until they equal `expected`, `stop_if(board)` holds, or time runs out, sending
    heartbeats meanwhile (`stop_if` lets a test give up at the first wrong pane)."""
    publisher = pubsub_v1.PublisherClient()
    subscriber = pubsub_v1.SubscriberClient()
    board = board or ResultBoard()
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if heartbeat:
            publish_heartbeat(publisher, resources.input_topic)
        for message in drain(subscriber, resources.output_subscription, timeout_s=0.5):
            board.add(message)
        if board.counts() == expected or (stop_if is not None and stop_if(board)):
            break
    return board
