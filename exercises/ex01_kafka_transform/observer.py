"""Read a topic from the beginning and show what is in it: keys, values, headers, latency, lag.

It reads without a consumer group (partitions assigned directly, nothing committed), so watching a topic
never disturbs the transformer's group or its offsets. It stops at the end of every partition (the
end offsets of its isolation level: the high watermark, or for `read_committed` the last stable
offset), or after `--count` records. `--group` also prints that group's lag on the input topic, per
partition, from its committed offsets and the partitions' high watermarks.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated

import typer
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Message, TopicPartition
from rich.console import Console
from rich.table import Table

from bootcamp.bench import percentile
from bootcamp.kafka.admin import partition_count
from bootcamp.kafka.config import client_config
from bootcamp.kafka.messages import header_bytes, position
from exercises.ex01_kafka_transform.config import TransformerSettings
from exercises.ex01_kafka_transform.generator import PRODUCED_AT
from exercises.ex01_kafka_transform.offsets import group_lag


@dataclass
class Observed:
    """One record as read back, with its end-to-end latency if the generator stamped it."""

    key: bytes | None
    value: bytes | None
    headers: dict[str, bytes]
    partition: int
    offset: int
    latency_ms: float | None


@dataclass
class Observation:
    records: list[Observed] = field(default_factory=list)

    def latencies(self) -> list[float]:
        return [r.latency_ms for r in self.records if r.latency_ms is not None]

    def p(self, q: float) -> float:
        return percentile(self.latencies(), q)


def _observed(msg: Message, received_ns: int) -> Observed:
    found = header_bytes(msg)
    stamp = found.get(PRODUCED_AT)
    latency = (received_ns - int(stamp)) / 1e6 if stamp and stamp.isdigit() else None
    where = position(msg)
    return Observed(msg.key(), msg.value(), found, where.partition, where.offset, latency)


def read_topic(topic: str, count: int | None = None, idle_s: float | None = None,
               timeout_s: float = 60.0, on_record: Callable[[Observed], None] | None = None,
               isolation: str = "read_committed", follow: bool = False,
               on_caught_up: Callable[[], None] | None = None) -> Observation:
    """Read `topic` from the beginning: to the end of every partition, or `count` records.

    The end is librdkafka's partition EOF: the consumer's fetch position reached the partition's end
    offset (the high watermark, or the last stable offset for `read_committed`, past commit markers
    and aborted records). With `count` or `follow` it keeps reading new records instead, until
    `count`, `timeout_s`, or, when given, `idle_s` at the end of every partition without a new record.
    `on_caught_up` is called once, the first time every partition is at its end: a latency run starts
    its generator there, so that the observer's own start (connection, offsets, first fetch) is not
    counted as the latency of the first records.
    """
    consumer = Consumer(client_config({
        "group.id": f"observer-{uuid.uuid4().hex[:8]}",  # required by the client; never joined
        "enable.auto.commit": False, "fetch.wait.max.ms": 10, "enable.partition.eof": True,
        "socket.nagle.disable": True,  # fetch requests leave at once, not after the last one's ACK
        "isolation.level": isolation,
    }))
    partitions = partition_count(topic)
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
    seen = Observation()
    at_end: set[int] = set()
    started = last = time.monotonic()
    try:
        while time.monotonic() - started < timeout_s:
            if count is not None and len(seen.records) >= count:
                break
            if count is None and not follow and len(at_end) >= partitions:
                break
            if idle_s is not None and len(at_end) >= partitions and time.monotonic() - last > idle_s:
                break
            batch = _drain(consumer, 1000, 0.05)
            received_ns = time.time_ns()  # when the batch reached us, not when we got to each record
            for msg in batch:
                error = msg.error()
                if error is not None:
                    if error.code() == KafkaError._PARTITION_EOF and msg.partition() is not None:
                        at_end.add(int(msg.partition() or 0))
                        last = time.monotonic()
                        if on_caught_up is not None and len(at_end) >= partitions:
                            on_caught_up()
                            on_caught_up = None
                    continue
                at_end.discard(int(msg.partition() or 0))
                observed = _observed(msg, received_ns)
                seen.records.append(observed)
                last = time.monotonic()
                if on_record:
                    on_record(observed)
    finally:
        consumer.close()
    return seen


def _drain(consumer: Consumer, most: int, timeout_s: float) -> list[Message]:
    """Wait for one record, then take what is already fetched without waiting: a record is stamped
    when it arrives, not when a batch of `most` fills (which is what `consume(most, t)` waits for)."""
    first = consumer.poll(timeout_s)
    if first is None:
        return []
    return [first, *consumer.consume(most - 1, timeout=0)]


def show_lag(console: Console, group: str, topic: str) -> None:
    """A group's committed offset, end offset and lag per partition of `topic`."""
    rows = group_lag(group, topic, partition_count(topic))
    table = Table(title=f"group {group} on {topic}")
    for column in ("partition", "committed", "end offset", "lag"):
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(str(row.partition), "–" if row.committed is None else str(row.committed),
                      str(row.end), str(row.lag))
    table.add_row("total", "", "", str(sum(r.lag for r in rows)))
    console.print(table)


def main(
    topic: Annotated[str | None, typer.Option(help="default: EX01_OUTPUT_TOPIC")] = None,
    count: Annotated[int | None, typer.Option(help="wait for this many records")] = None,
    show: Annotated[int, typer.Option(help="records to print")] = 10,
    group: Annotated[str | None, typer.Option(help="also show this group's lag on the input topic "
                                              "(default: EX01_GROUP_ID)")] = None,
    uncommitted: Annotated[bool, typer.Option(help="read_uncommitted: show records of open and aborted "
                                              "transactions too")] = False,
) -> None:
    """Print a topic's records and a summary, then the transformer group's lag."""
    settings = TransformerSettings()
    target = topic or settings.output_topic
    console = Console()
    seen = read_topic(target, count=count,
                      isolation="read_uncommitted" if uncommitted else "read_committed")
    table = Table(title=f"{target}: first {min(show, len(seen.records))} of {len(seen.records)} records")
    for column in ("p/offset", "key", "value", "headers"):
        table.add_column(column, overflow="fold")
    for record in seen.records[:show]:
        value = (record.value or b"")[:60].decode(errors="replace")
        extra = {k: v[:40].decode(errors="replace") for k, v in record.headers.items() if k != PRODUCED_AT}
        table.add_row(f"{record.partition}/{record.offset}", (record.key or b"").decode(errors="replace"),
                      value, ", ".join(f"{k}={v}" for k, v in extra.items()))
    console.print(table)
    if seen.latencies():
        console.print(f"end-to-end latency: p50 {seen.p(50):.1f} ms, p99 {seen.p(99):.1f} ms")
    show_lag(console, group or settings.group_id, settings.input_topic)


if __name__ == "__main__":
    typer.run(main)
