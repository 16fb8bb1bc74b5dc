"""Read a topic from the beginning and show what is in it: keys, values, headers, latency.

It reads without a consumer group (partitions assigned directly, nothing committed), so watching a topic
never disturbs the transformer's group or its offsets. It stops after `--idle` seconds with no new
record, or after `--count` records.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated

import typer
from confluent_kafka import OFFSET_BEGINNING, Consumer, Message, TopicPartition
from rich.console import Console
from rich.table import Table

from bootcamp.bench import percentile
from bootcamp.kafka.admin import partition_count
from bootcamp.kafka.config import client_config
from bootcamp.kafka.messages import header_bytes, position
from exercises.ex01_kafka_transform.config import TransformerSettings
from exercises.ex01_kafka_transform.generator import PRODUCED_AT


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


def read_topic(topic: str, count: int | None = None, idle_s: float = 5.0, timeout_s: float = 120.0,
               on_record: Callable[[Observed], None] | None = None, first_wait_s: float = 3.0
               ) -> Observation:
    """Read `topic` from the beginning until `count` records, `idle_s` of silence, or `timeout_s`.

    The broker's high watermarks cannot be trusted (tansu reports wrong ones), so "the end" is a
    silence. The first fetch (offset lookup, connection) can take longer than a short idle period,
    so before the first record the wait is at least `first_wait_s`.
    """
    consumer = Consumer(client_config({
        "group.id": f"observer-{uuid.uuid4().hex[:8]}",  # required by the client; never joined
        "enable.auto.commit": False, "fetch.wait.max.ms": 50,
    }))
    partitions = partition_count(topic)
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
    seen = Observation()
    started = last = time.monotonic()
    try:
        while time.monotonic() - started < timeout_s:
            if count is not None and len(seen.records) >= count:
                break
            batch = consumer.consume(num_messages=1000, timeout=0.1)
            now_ns = time.time_ns()
            for msg in batch:
                if msg.error():
                    continue
                observed = _observed(msg, now_ns)
                seen.records.append(observed)
                if on_record:
                    on_record(observed)
            if batch:
                last = time.monotonic()
            elif time.monotonic() - last > (idle_s if seen.records else max(idle_s, first_wait_s)):
                break
    finally:
        consumer.close()
    return seen


def main(
    topic: Annotated[str | None, typer.Option(help="default: EX01_OUTPUT_TOPIC")] = None,
    count: Annotated[int | None, typer.Option(help="stop after this many records")] = None,
    idle: Annotated[float, typer.Option(help="stop after this many idle seconds")] = 5.0,
    show: Annotated[int, typer.Option(help="records to print")] = 10,
) -> None:
    """Print a topic's records and a summary."""
    settings = TransformerSettings()
    target = topic or settings.output_topic
    console = Console()
    seen = read_topic(target, count=count, idle_s=idle)
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


if __name__ == "__main__":
    typer.run(main)
