"""Consume, transform, produce: the exactly-once variant, with Kafka transactions.

Each batch is one transaction: its outputs, its dead letters and its input offsets are written
together, and become visible to `read_committed` readers together, or not at all. The offsets go
through the producer (`send_offsets_to_transaction`, with the consumer's group metadata), so the
commit of the outputs and the commit of the offsets are one atomic write to the transaction log.

- A crash anywhere before `commit_transaction` leaves an open transaction; the restarted instance
  (same `transactional.id`) aborts it in `init_transactions` and re-reads the batch from the last
  committed offsets. `read_uncommitted` readers see the aborted records; `read_committed` ones never.
- An abortable error (a record not delivered, a commit that failed) aborts the transaction and
  rewinds the consumer to the committed offsets, so the batch is done again, not skipped.
- A fatal error (fenced by a newer instance with the same `transactional.id`: this one is a zombie)
  ends the process; `runtime.serve` exits 3 with a one-line reason.

The per-record routing (transform or dead-letter) is the at-least-once transformer's, inherited.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, KafkaError, KafkaException, Message, TopicPartition

from bootcamp.kafka.messages import position
from exercises.ex01_kafka_transform.runtime import Deliveries, TransactionFailed, serve
from exercises.ex01_kafka_transform.solution.transformer import Transformer

log = logging.getLogger("ex01.transformer")


class TransactionalTransformer(Transformer):
    """A consumer-group member that transforms `input_topic` into `output_topic`, exactly once."""

    def consumer_config(self) -> dict[str, Any]:
        """Read only committed input (librdkafka's default, the Java client's is not), commit nothing
        from the consumer: the offsets travel inside the producer's transaction."""
        return {**super().consumer_config(), "isolation.level": "read_committed"}

    def producer_config(self) -> dict[str, Any]:
        """A transactional producer (implies idempotence); one stable id per instance."""
        return {**super().producer_config(), "transactional.id": self.settings.transaction_id()}

    def prepare(self) -> None:
        """Register the transactional id: fences any older instance with it and aborts (or completes)
        the transaction it left open."""
        self.producer.init_transactions(self.settings.flush_timeout_s)
        self._aborts_in_a_row = 0

    def process_batch(self, messages: list[Message]) -> None:
        """One transaction: begin, produce every output or dead letter, add the consumer's positions,
        commit. On an abortable error, abort and rewind; a fatal one propagates."""
        deliveries = Deliveries(self.counters)
        self.producer.begin_transaction()
        try:
            partitions: dict[tuple[str, int], TopicPartition] = {}
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
                partitions[(where.topic, where.partition)] = TopicPartition(where.topic, where.partition)
            if partitions:
                self.producer.send_offsets_to_transaction(
                    self.consumer.position(list(partitions.values())),
                    self.consumer.consumer_group_metadata(), self.settings.flush_timeout_s)
            self._commit_transaction()
        except KafkaException as exc:
            error = exc.args[0]
            if not (isinstance(error, KafkaError) and error.txn_requires_abort()):
                raise
            self.abort_and_rewind(error)
            return
        self._aborts_in_a_row = 0
        self.counters.batches += 1

    def _commit_transaction(self) -> None:
        """`commit_transaction`, called again while its error is retriable (e.g. a timeout), until
        `flush_timeout_s` is spent."""
        deadline = time.monotonic() + self.settings.flush_timeout_s
        while True:
            try:
                self.producer.commit_transaction(max(0.1, deadline - time.monotonic()))
                return
            except KafkaException as exc:
                error = exc.args[0]
                if not (isinstance(error, KafkaError) and error.retriable()) or time.monotonic() > deadline:
                    if isinstance(error, KafkaError) and (error.fatal() or error.txn_requires_abort()):
                        raise
                    raise TransactionFailed(f"commit did not complete: {error}") from exc
                log.warning("commit_transaction: %s; retrying", error)

    def abort_and_rewind(self, error: KafkaError) -> None:
        """Abort the open transaction, then seek every assigned partition back to its committed
        offset: the consumer's position is past the aborted batch, which must be done again."""
        self.producer.abort_transaction(self.settings.flush_timeout_s)
        self.counters.aborted += 1
        self._aborts_in_a_row += 1
        if self._aborts_in_a_row >= self.settings.max_aborts:
            raise TransactionFailed(f"{self._aborts_in_a_row} batches aborted in a row, last: {error}")
        assigned = self.consumer.assignment()
        consumed = {(tp.topic, tp.partition) for tp in self.consumer.position(assigned) if tp.offset >= 0}
        for tp in self.consumer.committed(assigned, timeout=self.settings.flush_timeout_s):
            if (tp.topic, tp.partition) not in consumed:
                continue  # nothing read there yet: it starts from the committed offset anyway
            # Nothing committed yet: back to where a new member starts (auto.offset.reset=earliest).
            self.consumer.seek(tp if tp.offset >= 0 else
                               TopicPartition(tp.topic, tp.partition, OFFSET_BEGINNING))
        log.warning("transaction aborted (%s); rewound %d partitions to their committed offsets",
                    error, len(assigned))


def main() -> int:
    """Run until SIGINT or SIGTERM (see `runtime.serve` for the exit codes)."""
    return serve(TransactionalTransformer)


if __name__ == "__main__":
    sys.exit(main())
