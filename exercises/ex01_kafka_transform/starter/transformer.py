"""Consume, transform, produce: the at-least-once transformer. YOUR TASK.

Implement `consumer_config`, `producer_config` and `process_batch` so that the transformer is
at least once: a record's offset is committed only after its output (or its dead letter) has been
acknowledged by the broker. The loop that calls `process_batch`, signals, shutdown and statistics are
provided by `TransformerRuntime` (in `runtime.py`, worth a read). Grade your work with
`bootcamp check ex01`.
"""

from __future__ import annotations

import logging
import sys
from functools import partial
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Message, TopicPartition  # noqa: F401  # yours

from bootcamp.kafka.messages import headers, position, timestamp_ms  # noqa: F401  # yours to use
from bootcamp.settings import KafkaSettings
from exercises.ex01_kafka_transform.config import TransformerSettings
from exercises.ex01_kafka_transform.runtime import (  # noqa: F401  # yours to use
    Deliveries,
    DeliveryFailed,
    Transform,
    TransformerRuntime,
    serve,
)
from exercises.ex01_kafka_transform.starter.transform import (  # noqa: F401  # yours to use
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
        """librdkafka consumer settings for at-least-once processing.

        Join the group with `**self.membership()` (provided: group id, protocol, the local broker's
        short session); never commit automatically (you commit after delivery); start from the
        earliest offset when the group has none.
        """
        raise NotImplementedError("Transformer.consumer_config: group, manual commits, earliest offsets")

    def producer_config(self) -> dict[str, Any]:
        """librdkafka producer settings: idempotent (so retries neither duplicate nor reorder),
        `linger.ms` and `compression.type` from the settings, and the `murmur2_random` partitioner
        (the Java client's, so a key lands on the same partition whichever client wrote it)."""
        raise NotImplementedError("Transformer.producer_config: idempotence, linger, compression")

    def transform_and_produce(self, msg: Message, deliveries: Deliveries) -> None:
        """Produce the transformed record with its key and headers, or dead-letter the original.

        Transform `msg.value()` with `self.transform`:
          - on success, produce the result to `output_topic` with the same key and headers;
          - on `TransformError` (or any other exception, as `TRANSFORM_FAILED`), produce the original
            key and value to `dead_letter_topic` with `dead_letter_headers(...)` (the original headers,
            a `Source` with the record's topic, partition, offset and timestamp), and count the reason
            in `self.counters.reasons`.
        Produce with `self.produce(...)` (it waits when the local queue is full), passing
        `deliveries.callback(dead_letter=...)` as the `on_delivery` callback: it keeps failures and
        counts `counters.produced` / `counters.dead_lettered`.
        """
        raise NotImplementedError("Transformer.transform_and_produce: transform, or dead-letter the original")

    def process_batch(self, messages: list[Message]) -> None:
        """Transform and produce a batch, wait for all its delivery reports, then commit its offsets.

        Make one `Deliveries(self.counters)` for the batch. For each message: skip (and log) a
        non-fatal `msg.error()`, raise `KafkaException` on a fatal one; count it in
        `self.counters.consumed`; `self.transform_and_produce(msg, deliveries)`. Then
        `self.producer.flush(self.settings.flush_timeout_s)`: if anything is left or
        `deliveries.failures` is not empty, raise `DeliveryFailed` WITHOUT committing. Finally commit,
        synchronously, the next offset (last offset + 1) of every partition in the batch, and count
        `counters.batches`. A commit that fails because of a rebalance is not fatal: count it in
        `counters.commit_failures` (the batch is re-delivered).
        """
        raise NotImplementedError("Transformer.process_batch: produce, await delivery reports, commit")


def main() -> int:
    """Run until SIGINT or SIGTERM (see `runtime.serve` for the exit codes)."""
    return serve(Transformer)


if __name__ == "__main__":
    sys.exit(main())
