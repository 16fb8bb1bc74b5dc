"""The load generator itself: what it sends and how fast. Every latency figure of the bench is
stamped by it, so a generator that runs ahead of its rate, or takes the cores the pipeline needs,
makes the figures wrong before the transformer is even measured."""

from __future__ import annotations

from confluent_kafka import Producer

from bootcamp.kafka.config import client_config
from exercises.ex01_kafka_transform.config import TransformerSettings
from exercises.ex01_kafka_transform.generator import PRODUCED_AT, produce, records
from exercises.ex01_kafka_transform.observer import read_topic


def test_records_are_deterministic_keyed_sequences_with_the_invalid_ones_asked_for() -> None:
    first, again = list(records(400, keys=4, size=120, seed=3)), list(records(400, keys=4, size=120, seed=3))
    assert first == again, "the same seed gives the same stream"
    assert first != list(records(400, keys=4, size=120, seed=4))
    seen: dict[bytes, int] = {}
    for record in first:
        assert record.seq == seen.get(record.key, -1) + 1, "seq counts up per key, from 0"
        seen[record.key] = record.seq
        assert record.value.startswith(record.key + b":%d:" % record.seq)
        assert len(record.value) == 120
        record.value.decode("utf-8")
    assert len(seen) == 4
    assert len({r.value.split(b":", 2)[2] for r in first}) > 10, "the bodies vary"

    bad = [r.value for r in records(40, bad_every=10, max_value_bytes=100)]
    invalid = [v for n, v in enumerate(bad) if (n + 1) % 10 == 0]
    assert [v.endswith(b"\xff\xfe not utf-8") for v in invalid] == [True, False, True, False]
    assert all(len(v) > 100 for v in invalid[1::2]), "every other invalid record is oversized"
    assert all(len(v) <= 100 for n, v in enumerate(bad) if (n + 1) % 10), "the others are not"


def test_a_paced_stream_never_runs_ahead_of_its_rate(settings: TransformerSettings) -> None:
    """1,500 records at 1,000/s span at least 1.5 s of produce-time stamps (a pace can only be slower
    under load, never faster, so the bound is not a timing that can flake). `poll` returns as soon as
    it has served a delivery report: a generator that waited with one `poll` and then sent ran ahead
    whenever reports were waiting, and sent these 1,500 in 0.74 s."""
    producer = Producer(client_config({"linger.ms": 0, "enable.idempotence": True}))  # reports come at once
    count, rate = 1500, 1000.0
    assert produce(producer, settings.input_topic, records(count, size=100), rate=rate) == count
    stamps = sorted(int(r.headers[PRODUCED_AT]) for r in read_topic(settings.input_topic).records)
    assert len(stamps) == count
    span_s = (stamps[-1] - stamps[0]) / 1e9
    assert span_s >= 0.95 * (count - 1) / rate, f"{count} records at {rate:g}/s were sent in {span_s:.2f} s"
