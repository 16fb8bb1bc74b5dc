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
from bootcamp.kafka.config import client_config, consumer_group_config
from bootcamp.kafka.messages import Headers, headers, position, timestamp_ms
from bootcamp.settings import KafkaSettings
from exercises.ex01_kafka_transform.config import TransformerSettings
from exercises.ex01_kafka_transform.solution.transform import (
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


@dataclass
class _Deliveries:
    """Delivery reports of one batch."""

    counters: Counters
    failures: list[KafkaError] = field(default_factory=list)

    def report(self, dead_letter: bool, error: KafkaError | None, _msg: Message) -> None:
        if error is not None:
            self.failures.append(error)
        elif dead_letter:
            self.counters.dead_lettered += 1
        else:
            self.counters.produced += 1


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
        """Offsets are committed by hand, after delivery; nothing is committed automatically."""
        return {
            "group.id": self.settings.group_id,
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "fetch.wait.max.ms": 100,
            **consumer_group_config(),
        }

    def producer_config(self) -> dict[str, Any]:
        """Idempotent (acks=all, ordered retries), batched by linger, keys placed as Java places them."""
        return {
            "enable.idempotence": True,
            "linger.ms": self.settings.linger_ms,
            "compression.type": self.settings.compression,
            "partitioner": "murmur2_random",
        }

    # -- the loop ------------------------------------------------------------------------------
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
        """Transform and produce a batch, wait for all its delivery reports, then commit its offsets."""
        deliveries = _Deliveries(self.counters)
        next_offsets: dict[tuple[str, int], int] = {}
        for msg in messages:
            error = msg.error()
            if error is not None:
                if error.fatal():
                    raise KafkaException(error)
                log.warning("consumer error (the client retries): %s", error)
                continue
            self.counters.consumed += 1
            self._transform_and_produce(msg, deliveries)
            where = position(msg)
            next_offsets[(where.topic, where.partition)] = where.offset + 1
        self._wait_for_deliveries(deliveries)
        self._commit(next_offsets)
        self.counters.batches += 1

    def _transform_and_produce(self, msg: Message, deliveries: _Deliveries) -> None:
        try:
            value = self.transform(msg.value())
        except TransformError as exc:
            self._dead_letter(msg, exc, deliveries)
        except Exception as exc:  # a bug in a transform must not stop the stream
            self._dead_letter(msg, TransformError(TRANSFORM_FAILED, f"{type(exc).__name__}: {exc}"),
                              deliveries)
        else:
            self._produce(self.settings.output_topic, msg.key(), value, headers(msg),
                          partial(deliveries.report, False))

    def _dead_letter(self, msg: Message, error: TransformError, deliveries: _Deliveries) -> None:
        self.counters.reasons[error.reason] += 1
        where = position(msg)
        source = Source(where.topic, where.partition, where.offset, timestamp_ms(msg))
        self._produce(self.settings.dead_letter_topic, msg.key(), msg.value(),
                      dead_letter_headers(headers(msg), source, error), partial(deliveries.report, True))

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

    def _wait_for_deliveries(self, deliveries: _Deliveries) -> None:
        remaining = self.producer.flush(self.settings.flush_timeout_s)
        if remaining:
            raise DeliveryFailed(f"{remaining} records still undelivered after "
                                 f"{self.settings.flush_timeout_s}s")
        if deliveries.failures:
            raise DeliveryFailed(f"{len(deliveries.failures)} records failed: {deliveries.failures[0]}")

    def _commit(self, next_offsets: dict[tuple[str, int], int]) -> None:
        if not next_offsets:
            return
        offsets = [TopicPartition(topic, partition, offset)
                   for (topic, partition), offset in next_offsets.items()]
        try:
            self.consumer.commit(offsets=offsets, asynchronous=False)
        except KafkaException as exc:
            # Typically a rebalance took the partitions away: their new owner re-reads the batch
            # (duplicates, not loss). Anything fatal is raised.
            error = exc.args[0]
            if isinstance(error, KafkaError) and error.fatal():
                raise
            self.counters.commit_failures += 1
            log.warning("commit failed, the batch will be re-delivered: %s", error)

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
