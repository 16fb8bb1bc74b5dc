"""Consume, transform, produce: the at-least-once transformer.

The loop works in batches. It consumes up to `batch_size` records, transforms each and produces the
result (or, for a record it cannot transform, the original bytes to the dead-letter topic), waits for
every delivery report of the batch, and only then commits the batch's offsets. A crash at any point
therefore re-delivers records whose output may already exist (duplicates), but never skips one (loss).

Per-key order holds because one partition is read in order by one group member, a key always maps to
the same output partition (the murmur2 partitioner, as the Java client uses), and the idempotent
producer keeps order across its internal retries.

A delivery that fails after the producer's own retries ends the process with exit code 1 without
committing: crash-only recovery, where the restart resumes from the last committed offsets.

YOUR TASK: implement `consumer_config`, `producer_config` and `process_batch`; the loop, signals,
shutdown and statistics are done. Run `bootcamp check ex01` to grade your work.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from types import FrameType
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition

from bootcamp.errors import BootcampError
from bootcamp.kafka.admin import ensure_topics
from bootcamp.kafka.config import client_config, consumer_group_config  # noqa: F401  # yours to use
from bootcamp.kafka.messages import Headers, headers, position, timestamp_ms  # noqa: F401
from bootcamp.settings import KafkaSettings
from exercises.ex01_kafka_transform.config import TransformerSettings
from exercises.ex01_kafka_transform.starter.transform import (  # noqa: F401  # yours to use
    TRANSFORM_FAILED,
    Source,
    TransformError,
    dead_letter_headers,
    uppercase,
)

log = logging.getLogger("ex01.transformer")

Transform = Callable[[bytes | None], bytes | None]


class DeliveryFailed(Exception):
    """Some records of a batch were not acknowledged; the batch is not committed."""


@dataclass
class Counters:
    """What the transformer has done, for logs, tests and the benchmark."""

    consumed: int = 0
    produced: int = 0
    dead_lettered: int = 0
    batches: int = 0
    commit_failures: int = 0
    reasons: Counter[str] = field(default_factory=Counter)


class Transformer:
    """A consumer-group member that transforms `input_topic` into `output_topic`."""

    def __init__(
        self,
        settings: TransformerSettings | None = None,
        transform: Transform | None = None,
        kafka: KafkaSettings | None = None,
    ) -> None:
        self.settings = settings or TransformerSettings()
        self.transform: Transform = transform or partial(uppercase, max_bytes=self.settings.max_value_bytes)
        self.counters = Counters()
        self._stopping = threading.Event()
        self.consumer = Consumer(client_config(self.consumer_config(), kafka))
        self.producer = Producer(client_config(self.producer_config(), kafka))
        self._last_stats = time.monotonic()
        self._last_consumed = 0

    def consumer_config(self) -> dict[str, Any]:
        """librdkafka consumer settings for at-least-once processing.

        Join `self.settings.group_id`; never commit automatically (you commit after delivery); start
        from the earliest offset when the group has none; and include `consumer_group_config()`,
        which shortens group timings for the local broker.
        """
        raise NotImplementedError("Transformer.consumer_config: group, manual commits, earliest offsets")

    def producer_config(self) -> dict[str, Any]:
        """librdkafka producer settings: idempotent (so retries neither duplicate nor reorder),
        `linger.ms` and `compression.type` from the settings, and the `murmur2_random` partitioner
        (the Java client's, so a key lands on the same partition whichever client wrote it)."""
        raise NotImplementedError("Transformer.producer_config: idempotence, linger, compression")

    def run(self) -> None:
        """Process batches until `stop()`; then flush, commit, close and leave the group."""
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

    def process_batch(self, messages: list[Message]) -> None:
        """Transform and produce a batch, wait for all its delivery reports, then commit its offsets.

        For each message: skip (and log) a non-fatal `msg.error()`, raise `KafkaException` on a fatal
        one; count it in `self.counters.consumed`; transform `msg.value()` with `self.transform`:
          - on success, produce the result to `output_topic` with the same key and headers;
          - on `TransformError` (or any other exception, as `TRANSFORM_FAILED`), produce the original
            key and value to `dead_letter_topic` with `dead_letter_headers(...)`, and count the reason
            in `self.counters.reasons`.
        Give every produce an `on_delivery` callback that records failures and counts
        `counters.produced` / `counters.dead_lettered`; use `self._produce`, which handles a full queue.
        Then `self.producer.flush(...)`: if anything is left or failed, raise `DeliveryFailed` WITHOUT
        committing. Finally commit, synchronously, the next offset (last offset + 1) of every partition
        in the batch, and count `counters.batches`. A commit that fails because of a rebalance is not
        fatal: count it in `counters.commit_failures` (the batch will be re-delivered).
        """
        raise NotImplementedError("Transformer.process_batch: produce, await delivery reports, commit")

    def _produce(self, topic: str, key: bytes | None, value: bytes | None,
                 record_headers: Headers | None,
                 on_delivery: Callable[[KafkaError | None, Message], None]) -> None:
        while True:
            try:
                self.producer.produce(topic, key=key, value=value, headers=record_headers,
                                      on_delivery=on_delivery)
                return
            except BufferError:  # the local queue is full: serve delivery reports, then try again
                self.producer.poll(0.05)

    def _on_assign(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        log.info("partitions assigned: %s", [p.partition for p in partitions])

    def _on_revoke(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        # Batches are produced, flushed and committed before the next consume(), which is where this
        # callback runs, so nothing is in flight for the partitions being taken away.
        log.info("partitions revoked: %s", [p.partition for p in partitions])

    # -- lifecycle -----------------------------------------------------------------------------
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


def main() -> int:
    """Run until SIGINT or SIGTERM; exit 0 after a clean shutdown, 1 if a batch could not be delivered."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s",
                        stream=sys.stderr)
    settings = TransformerSettings()
    try:
        if settings.create_topics:
            ensure_topics(settings.topics(), partitions=settings.partitions)
    except BootcampError as exc:
        log.error("%s", exc)
        return 2
    transformer = Transformer(settings)

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


if __name__ == "__main__":
    sys.exit(main())
