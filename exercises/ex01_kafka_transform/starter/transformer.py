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

from bootcamp.kafka.config import consumer_group_config  # noqa: F401  # yours to use
from bootcamp.kafka.messages import headers, position, timestamp_ms  # noqa: F401  # yours to use
from bootcamp.settings import KafkaSettings
from exercises.ex01_kafka_transform.config import TransformerSettings
from exercises.ex01_kafka_transform.runtime import (  # noqa: F401  # yours to use
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

    def process_batch(self, messages: list[Message]) -> None:
        """Transform and produce a batch, wait for all its delivery reports, then commit its offsets.

        For each message: skip (and log) a non-fatal `msg.error()`, raise `KafkaException` on a fatal
        one; count it in `self.counters.consumed`; transform `msg.value()` with `self.transform`:
          - on success, produce the result to `output_topic` with the same key and headers;
          - on `TransformError` (or any other exception, as `TRANSFORM_FAILED`), produce the original
            key and value to `dead_letter_topic` with `dead_letter_headers(...)`, and count the reason
            in `self.counters.reasons`.
        Produce with `self.produce(...)` (it waits when the local queue is full), giving each record
        an `on_delivery` callback that records failures and counts `counters.produced` /
        `counters.dead_lettered`. Then `self.producer.flush(...)`: if anything is left or failed, raise
        `DeliveryFailed` WITHOUT committing. Finally commit, synchronously, the next offset (last offset
        + 1) of every partition in the batch, and count `counters.batches`. A commit that fails because
        of a rebalance is not fatal: count it in `counters.commit_failures` (the batch is re-delivered).
        """
        raise NotImplementedError("Transformer.process_batch: produce, await delivery reports, commit")


def main() -> int:
    """Run until SIGINT or SIGTERM (see `runtime.serve` for the exit codes)."""
    return serve(Transformer)


if __name__ == "__main__":
    sys.exit(main())
