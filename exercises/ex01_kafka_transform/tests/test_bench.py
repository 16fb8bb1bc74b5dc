"""The bench's own rules, without a broker: which points it refuses to measure and how much it
sends to the slow ones. (`bootcamp bench ex01 --quick` itself runs in bootcamp/tests/test_benches.py.)"""

from __future__ import annotations

import math

import pytest

from exercises.ex01_kafka_transform.bench import Point, Profile, keeps_up, per_record_sample

BATCH_1 = Profile("batch-1", 1, 0.0, 0.1)
DEFAULT = Profile("default", 500, 5.0, 0.1)


def test_a_transaction_per_record_gets_a_sample_it_can_finish() -> None:
    assert per_record_sample(Point(BATCH_1, "exactly-once"), 100_000) == 500
    assert per_record_sample(Point(BATCH_1, "at-least-once"), 100_000) == 5_000
    assert per_record_sample(Point(DEFAULT, "exactly-once"), 100_000) == 100_000
    assert per_record_sample(Point(BATCH_1, "exactly-once"), 200) == 200


def test_a_latency_point_above_the_transformers_throughput_is_refused_with_the_reason() -> None:
    with pytest.raises(RuntimeError, match=r"throughput \(12 records/s\) is below the 1000/s load"):
        keeps_up(Point(BATCH_1, "exactly-once", records_per_s=12.0), 1000.0)
    keeps_up(Point(DEFAULT, "at-least-once", records_per_s=90_000.0), 1000.0)
    keeps_up(Point(DEFAULT, "at-least-once", records_per_s=math.nan), 1000.0)  # unknown: try it
