"""Consume, transform, produce: the at-least-once transformer.

The loop works in batches. It consumes up to `batch_size` records, transforms each and produces the
result (or, for a record it cannot transform, the original bytes to the dead-letter topic), waits for
every delivery report of the batch, and only then commits the batch's offsets. A crash at any point
therefore re-delivers records whose output may already exist (duplicates), but never skips one (loss).

Per-key order holds because one partition is read in order by one group member, a key always maps to
the same output partition (the murmur2 partitioner, as the Java client uses), and the idempotent
producer keeps order across its internal retries.

A delivery that fails after the producer's own retries raises `DeliveryFailed` without committing, and
the process exits 1: crash-only recovery, where the restart resumes from the last committed offsets.
The loop, signals and statistics around this are provided, in `runtime.py`.
"""

from __future__ import annotations

import logging
import sys
from functools import partial
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Message, TopicPartition

from bootcamp.kafka.messages import headers, position, timestamp_ms
from bootcamp.settings import KafkaSettings
from exercises.ex01_kafka_transform.config import TransformerSettings
from exercises.ex01_kafka_transform.runtime import (
    Deliveries,
    DeliveryFailed,
    Transform,
    TransformerRuntime,
    serve,
)
from exercises.ex01_kafka_transform.solution.transform import (
    TRANSFORM_FAILED,
    Source,
    TransformError,
    dead_letter_headers,
    uppercase,
)

log = logging.getLogger("ex01.transformer")


class Transformer(TransformerRuntime):
    """A consumer-group member that transforms `input_topic` into `output_topic`, at least once."""

    def __init__(self, settings: TransformerSettings | None = None, transform: Transform | None = None,
                 kafka: KafkaSettings | None = None) -> None:
        settings = settings or TransformerSettings()
        super().__init__(settings, transform or partial(uppercase, max_bytes=settings.max_value_bytes),
                         kafka)

    def consumer_config(self) -> dict[str, Any]:
        """Offsets are committed by hand, after delivery; nothing is committed automatically."""
        return {
            **self.membership(),
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "fetch.wait.max.ms": 100,
        }

    def producer_config(self) -> dict[str, Any]:
        """Idempotent (acks=all, ordered retries), batched by linger, keys placed as Java places them."""
        return {
            "enable.idempotence": True,
            "linger.ms": self.settings.linger_ms,
            "compression.type": self.settings.compression,
            "partitioner": "murmur2_random",
        }

    def process_batch(self, messages: list[Message]) -> None:
        """Transform and produce a batch, wait for all its delivery reports, then commit its offsets."""
        deliveries = Deliveries(self.counters)
        next_offsets: dict[tuple[str, int], int] = {}
        for msg in messages:
            error = msg.error()
            if error is not None:
                if error.fatal():
                    raise KafkaException(error)
                log.warning("consumer error (the client retries): %s", error)
                continue
            self.counters.consumed += 1
            self.transform_and_produce(msg, deliveries)
            where = position(msg)
            next_offsets[(where.topic, where.partition)] = where.offset + 1
        self._wait_for_deliveries(deliveries)
        self._commit(next_offsets)
        self.counters.batches += 1

    def transform_and_produce(self, msg: Message, deliveries: Deliveries) -> None:
        """Produce the transformed record with its key and headers, or dead-letter the original."""
        try:
            value = self.transform(msg.value())
        except TransformError as exc:
            self._dead_letter(msg, exc, deliveries)
        except Exception as exc:  # a bug in a transform must not stop the stream
            self._dead_letter(msg, TransformError(TRANSFORM_FAILED, f"{type(exc).__name__}: {exc}"),
                              deliveries)
        else:
            self.produce(self.settings.output_topic, msg.key(), value, headers(msg),
                         deliveries.callback(dead_letter=False))

    def _dead_letter(self, msg: Message, error: TransformError, deliveries: Deliveries) -> None:
        self.counters.reasons[error.reason] += 1
        where = position(msg)
        source = Source(where.topic, where.partition, where.offset, timestamp_ms(msg))
        self.produce(self.settings.dead_letter_topic, msg.key(), msg.value(),
                     dead_letter_headers(headers(msg), source, error), deliveries.callback(dead_letter=True))

    def _wait_for_deliveries(self, deliveries: Deliveries) -> None:
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


def main() -> int:
    """Run until SIGINT or SIGTERM (see `runtime.serve` for the exit codes)."""
    return serve(Transformer)


if __name__ == "__main__":
    sys.exit(main())
