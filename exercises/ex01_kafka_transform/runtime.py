"""The transformer's provided machinery: lifecycle, counters, signals and exit codes.

This part is not the exercise. `TransformerRuntime` owns the consumer and producer, runs the loop
(`consume` a batch, hand it to `process_batch`, log statistics), stops on request, and on the way out
flushes, leaves the group and logs its counters. The part that decides the delivery guarantees
(the client settings and `process_batch`) is the exercise's, in `solution/transformer.py`, or in
`starter/transformer.py` for you to write.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition

from bootcamp.errors import BootcampError
from bootcamp.kafka.admin import ensure_topics
from bootcamp.kafka.config import client_config
from bootcamp.kafka.messages import Headers
from bootcamp.settings import KafkaSettings
from exercises.ex01_kafka_transform.config import TransformerSettings

log = logging.getLogger("ex01.transformer")

Transform = Callable[[bytes | None], bytes | None]


class DeliveryFailed(Exception):
    """Some records of a batch were not acknowledged; the batch must not be committed."""


@dataclass
class Counters:
    """What the transformer has done, for logs, tests and the benchmark."""

    consumed: int = 0
    produced: int = 0
    dead_lettered: int = 0
    batches: int = 0
    commit_failures: int = 0
    reasons: Counter[str] = field(default_factory=Counter)


class TransformerRuntime(ABC):
    """A consumer-group member that hands each consumed batch to `process_batch`."""

    def __init__(self, settings: TransformerSettings, transform: Transform,
                 kafka: KafkaSettings | None = None) -> None:
        self.settings = settings
        self.transform = transform
        self.counters = Counters()
        self._stopping = threading.Event()
        self.consumer = Consumer(client_config(self.consumer_config(), kafka))
        self.producer = Producer(client_config(self.producer_config(), kafka))
        self._last_stats = time.monotonic()
        self._last_consumed = 0

    @abstractmethod
    def consumer_config(self) -> dict[str, Any]:
        """librdkafka consumer settings (beyond connection and security, which come from KAFKA_*)."""

    @abstractmethod
    def producer_config(self) -> dict[str, Any]:
        """librdkafka producer settings (beyond connection and security)."""

    @abstractmethod
    def process_batch(self, messages: list[Message]) -> None:
        """Transform and produce one consumed batch; commit it when it is safe to."""

    def run(self) -> None:
        """Process batches until `stop()`; then flush, leave the group and log the counters."""
        self.consumer.subscribe([self.settings.input_topic], on_assign=self._on_assign,
                                on_revoke=self._on_revoke)
        log.info("transforming %s -> %s (dead letters: %s), group %s", self.settings.input_topic,
                 self.settings.output_topic, self.settings.dead_letter_topic, self.settings.group_id)
        try:
            while not self._stopping.is_set():
                messages = self.consumer.consume(num_messages=self.settings.batch_size,
                                                 timeout=self.settings.batch_timeout_s)
                if messages:
                    self.process_batch(messages)
                self._maybe_log_stats()
        finally:
            self.close()

    def produce(self, topic: str, key: bytes | None, value: bytes | None, record_headers: Headers | None,
                on_delivery: Callable[[KafkaError | None, Message], None]) -> None:
        """`producer.produce`, waiting for room when the client's local queue is full."""
        while True:
            try:
                self.producer.produce(topic, key=key, value=value, headers=record_headers,
                                      on_delivery=on_delivery)
                return
            except BufferError:  # serve delivery reports, which frees the queue, then try again
                self.producer.poll(0.05)

    def _on_assign(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        log.info("partitions assigned: %s", [p.partition for p in partitions])

    def _on_revoke(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        # `run` hands a batch to `process_batch` and calls `consume` again only afterwards, and this
        # callback runs inside `consume`: a batch that is processed and committed in `process_batch`
        # leaves nothing in flight for the partitions being taken away.
        log.info("partitions revoked: %s", [p.partition for p in partitions])

    def stop(self) -> None:
        """Ask the loop to finish its current batch and shut down (safe from a signal handler)."""
        self._stopping.set()

    def close(self) -> None:
        """Flush what is in flight, leave the group (so partitions move at once), log the counters."""
        self.producer.flush(self.settings.flush_timeout_s)
        self.consumer.close()
        log.info("stopped: %s", self.stats_line())

    def stats_line(self) -> str:
        c = self.counters
        reasons = ", ".join(f"{k}={v}" for k, v in sorted(c.reasons.items())) or "none"
        return (f"consumed={c.consumed} produced={c.produced} dead_lettered={c.dead_lettered} "
                f"batches={c.batches} commit_failures={c.commit_failures} reasons: {reasons}")

    def _maybe_log_stats(self) -> None:
        now = time.monotonic()
        elapsed = now - self._last_stats
        if elapsed >= self.settings.stats_interval_s:
            rate = (self.counters.consumed - self._last_consumed) / elapsed
            log.info("%s rate=%.0f rec/s", self.stats_line(), rate)
            self._last_stats, self._last_consumed = now, self.counters.consumed


def serve(make: Callable[[TransformerSettings], TransformerRuntime]) -> int:
    """Run a transformer until SIGINT or SIGTERM.

    Exit 0 after a clean shutdown; 1 when a batch could not be delivered (its offsets are not
    committed, so a restart resumes before it) or on a fatal Kafka error; 2 for a setup mistake.
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s",
                        stream=sys.stderr)
    settings = TransformerSettings()
    try:
        if settings.create_topics:
            ensure_topics(settings.topics(), partitions=settings.partitions)
    except BootcampError as exc:
        log.error("%s", exc)
        return 2
    transformer = make(settings)

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("received %s: finishing the current batch", signal.Signals(signum).name)
        transformer.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        transformer.run()
    except DeliveryFailed as exc:
        log.error("batch not delivered, offsets not committed; restart to resume: %s", exc)
        return 1
    except KafkaException as exc:
        log.error("fatal Kafka error: %s", exc)
        return 1
    return 0
