"""Consume, transform, produce: the exactly-once variant, with Kafka transactions. YOUR TASK.

Each batch is one transaction: its outputs, its dead letters and its input offsets are written
together, and become visible to `read_committed` readers together, or not at all. Implement the five
methods below. The per-record routing (`transform_and_produce`) is your at-least-once transformer's,
inherited; the loop calls `prepare()` once, then `process_batch` for each batch (see `runtime.py`).
Grade your work with `bootcamp check ex01`.
"""

from __future__ import annotations

import logging
import sys
import time  # noqa: F401  # yours to use
from typing import Any

from confluent_kafka import (  # noqa: F401  # yours to use
    OFFSET_BEGINNING,
    KafkaError,
    KafkaException,
    Message,
    TopicPartition,
)

from bootcamp.kafka.messages import position  # noqa: F401  # yours to use
from exercises.ex01_kafka_transform.runtime import (  # noqa: F401  # yours to use
    Deliveries,
    TransactionFailed,
    serve,
)
from exercises.ex01_kafka_transform.starter.transformer import Transformer

log = logging.getLogger("ex01.transformer")


class TransactionalTransformer(Transformer):
    """A consumer-group member that transforms `input_topic` into `output_topic`, exactly once."""

    def consumer_config(self) -> dict[str, Any]:
        """Your at-least-once consumer settings, reading only committed records
        (`isolation.level`): aborted input must never be transformed."""
        raise NotImplementedError("TransactionalTransformer.consumer_config: read only committed input")

    def producer_config(self) -> dict[str, Any]:
        """Your producer settings plus a `transactional.id`: `self.settings.transaction_id()`, stable
        across restarts of this instance (that is what lets a restart abort what it left open)."""
        raise NotImplementedError("TransactionalTransformer.producer_config: a transactional.id")

    def prepare(self) -> None:
        """`init_transactions` (with a timeout: `self.settings.flush_timeout_s`), once, before the
        first batch; it fences an older instance with the same id. Reset any counter of aborts you
        keep for `abort_and_rewind`."""
        raise NotImplementedError("TransactionalTransformer.prepare: init_transactions")

    def process_batch(self, messages: list[Message]) -> None:
        """One batch, one transaction.

        `begin_transaction()`; for each message, as in at-least-once (errors, `counters.consumed`,
        `self.transform_and_produce(msg, deliveries)`, one `Deliveries(self.counters)` for the batch);
        then add the input offsets to the transaction: `send_offsets_to_transaction(
        self.consumer.position(<the batch's partitions>), self.consumer.consumer_group_metadata(),
        timeout)`; `commit_transaction(timeout)`
        (retry it while its error is `retriable()`); count `counters.batches`.
        A `KafkaException` whose error `txn_requires_abort()` goes to `self.abort_and_rewind(error)`;
        any other (fatal: this instance is fenced) propagates.
        """
        raise NotImplementedError("TransactionalTransformer.process_batch: begin, produce, send offsets, "
                                  "commit")

    def abort_and_rewind(self, error: KafkaError) -> None:
        """`abort_transaction(timeout)`, count `counters.aborted`; after `self.settings.max_aborts`
        aborts in a row raise `TransactionFailed`. Then seek every assigned partition you have read
        from back to its committed offset (`self.consumer.committed(...)`; `OFFSET_BEGINNING` where
        none is committed): the consumer's position is past the aborted batch, which must be done
        again, not skipped."""
        raise NotImplementedError("TransactionalTransformer.abort_and_rewind: abort, seek to committed")


def main() -> int:
    """Run until SIGINT or SIGTERM (see `runtime.serve` for the exit codes)."""
    return serve(TransactionalTransformer)


if __name__ == "__main__":
    sys.exit(main())
