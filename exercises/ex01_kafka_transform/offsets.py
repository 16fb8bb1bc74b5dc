"""Where a consumer group stands: committed offsets, end offsets and the lag between them.

Provided, used by the transformer's stats line, the observer and the tests. The end offset of a
partition is its high watermark for a `read_uncommitted` reader and its last stable offset (the
first offset of the oldest open transaction) for a `read_committed` one: librdkafka's
`get_watermark_offsets(..., cached=False)` sends a ListOffsets request at the consumer's own
isolation level, so each reader gets the end it can actually reach.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from confluent_kafka import OFFSET_INVALID, Consumer, TopicPartition

from bootcamp.kafka.config import client_config


@dataclass(frozen=True)
class PartitionLag:
    """One partition of a group's input: what is committed, where the log ends, how far behind."""

    partition: int
    committed: int | None
    """The group's committed offset (the next record it will read), None when it has none."""
    start: int
    end: int

    @property
    def lag(self) -> int:
        """Records not yet committed: from the committed offset (or the log start) to the end."""
        return max(0, self.end - (self.committed if self.committed is not None else self.start))


def end_offsets(consumer: Consumer, partitions: list[TopicPartition], timeout_s: float = 5.0
                ) -> dict[int, tuple[int, int]]:
    """(low, end) per partition, queried from the broker at the consumer's isolation level."""
    found: dict[int, tuple[int, int]] = {}
    for tp in partitions:
        marks = consumer.get_watermark_offsets(TopicPartition(tp.topic, tp.partition), timeout=timeout_s,
                                               cached=False)
        if marks is not None:
            found[tp.partition] = (int(marks[0]), int(marks[1]))
    return found


def lag(consumer: Consumer, partitions: list[TopicPartition], timeout_s: float = 5.0
        ) -> list[PartitionLag]:
    """Per-partition lag of `consumer`'s group on `partitions` (committed offsets vs end offsets)."""
    if not partitions:
        return []
    committed = {tp.partition: tp.offset for tp in consumer.committed(
        [TopicPartition(tp.topic, tp.partition) for tp in partitions], timeout=timeout_s)}
    marks = end_offsets(consumer, partitions, timeout_s)
    rows = []
    for tp in sorted(partitions, key=lambda t: t.partition):
        if tp.partition not in marks:
            continue
        low, end = marks[tp.partition]
        offset = committed.get(tp.partition, OFFSET_INVALID)
        rows.append(PartitionLag(tp.partition, offset if offset >= 0 else None, low, end))
    return rows


def group_lag(group_id: str, topic: str, partitions: int, isolation: str = "read_committed",
              timeout_s: float = 5.0) -> list[PartitionLag]:
    """The lag of any group on `topic`, read by a probe that never joins the group."""
    probe = Consumer(client_config({"group.id": group_id, "enable.auto.commit": False,
                                    "isolation.level": isolation,
                                    "client.id": f"lag-probe-{uuid.uuid4().hex[:6]}"}))
    try:
        return lag(probe, [TopicPartition(topic, p) for p in range(partitions)], timeout_s)
    finally:
        probe.close()


def format_lag(rows: list[PartitionLag]) -> str:
    """`lag 0:12 1:0 2:3 total=15`: the figure an operator alerts on, per partition."""
    if not rows:
        return "lag: no partitions"
    return "lag " + " ".join(f"{r.partition}:{r.lag}" for r in rows) + f" total={sum(r.lag for r in rows)}"
