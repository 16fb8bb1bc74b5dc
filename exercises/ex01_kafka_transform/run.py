"""`bootcamp run ex01`: generator -> transformer -> observer, end to end on the local broker."""

from __future__ import annotations

from confluent_kafka import Producer
from rich.console import Console

from bootcamp.exercises import RunResult
from bootcamp.kafka.config import client_config
from exercises.ex01_kafka_transform.generator import produce, records
from exercises.ex01_kafka_transform.harness import TransformerProcess, fresh_settings, wait_for
from exercises.ex01_kafka_transform.observer import read_topic

console = Console()


def run(quick: bool) -> RunResult:
    count, bad_every = (2_000, 97) if quick else (20_000, 97)
    settings = fresh_settings("run", partitions=3)
    console.print(f"topics: {settings.input_topic} -> {settings.output_topic}, "
                  f"dead letters {settings.dead_letter_topic}")

    transformer = TransformerProcess(settings)
    producer = Producer(client_config({"linger.ms": 5, "enable.idempotence": True,
                                       "partitioner": "murmur2_random"}))
    sent = produce(producer, settings.input_topic,
                   records(count, bad_every=bad_every, max_value_bytes=settings.max_value_bytes))
    bad = count // bad_every
    console.print(f"generator: sent {sent} records ({bad} deliberately invalid)")

    def all_out() -> bool:
        out = read_topic(settings.output_topic, count=sent - bad, idle_s=0.5, timeout_s=20)
        return len(out.records) >= sent - bad

    try:
        wait_for(all_out, 120, "every good record in the output topic", transformer)
    finally:
        code = transformer.stop()
    out = read_topic(settings.output_topic, idle_s=0.5)
    dead = read_topic(settings.dead_letter_topic, idle_s=0.5)
    for record in out.records[:3]:
        console.print(f"  out  {record.key!r}: {(record.value or b'')[:50]!r}")
    for record in dead.records[:2]:
        console.print(f"  dead {record.key!r}: reason={record.headers['dlq.reason'].decode()} "
                      f"source offset={record.headers['dlq.source.offset'].decode()}")
    stats = next((ln for ln in transformer.log().splitlines() if "stopped:" in ln), "")
    console.print(f"transformer: {stats.split('stopped: ')[-1]}")
    ok = len(out.records) == sent - bad and len(dead.records) == bad and code == 0
    return RunResult(
        ok, f"{sent} in -> {len(out.records)} upper-cased + {len(dead.records)} dead-lettered; "
            f"SIGTERM exit {code}",
        {"in": str(sent), "out": str(len(out.records)), "dead-lettered": str(len(dead.records))})
