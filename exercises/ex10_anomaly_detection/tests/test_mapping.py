"""Validation with its dead-letter output, the grouping key, and the idempotent InfluxDB point."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import apache_beam as beam

from bootcamp.testing.plugin import Implementation
from exercises.ex10_anomaly_detection.records import Anomaly, DeadLetter, RawRow, Reading

TS = datetime(2026, 11, 3, 10, 15, tzinfo=UTC)
GOOD = RawRow("dev-001", date(2026, 11, 3), TS, 21.5, "oslo")


def outputs(impl: Implementation, row: RawRow) -> list[object]:
    return list(impl.mapping.ValidateRow().process(row) or [])


def test_a_good_row_becomes_a_reading(impl: Implementation) -> None:
    assert outputs(impl, GOOD) == [Reading("dev-001", TS, 21.5, "oslo")]


def test_bad_rows_go_to_the_dead_letter_output_with_their_reason(impl: Implementation) -> None:
    cases = {
        "null value": RawRow("dev-001", date(2026, 11, 3), TS, None, "oslo"),
        "non-finite": RawRow("dev-001", date(2026, 11, 3), TS, math.nan, "oslo"),
        "inf": RawRow("dev-001", date(2026, 11, 3), TS, math.inf, "oslo"),
        "outside its day bucket": RawRow("dev-001", date(2026, 11, 3), TS + timedelta(days=1), 1.0, "oslo"),
        "missing": RawRow(None, date(2026, 11, 3), TS, 1.0, "oslo"),
    }
    for word, row in cases.items():
        out = outputs(impl, row)
        assert len(out) == 1, (f"{row} gave {out}: a bad row must go to the dead-letter output with its "
                               "reason, never be dropped silently")
        tagged = out[0]
        assert isinstance(tagged, beam.pvalue.TaggedOutput), f"{row} must go to a tagged output: {tagged!r}"
        assert tagged.tag == impl.mapping.DEAD, f"{row} must go to the '{impl.mapping.DEAD}' output"
        letter = tagged.value
        assert isinstance(letter, DeadLetter)
        expected_word = "non-finite" if word == "inf" else word
        assert expected_word in letter.reason, f"reason {letter.reason!r} does not say {expected_word!r}"
        assert letter.row == row.describe()


def test_readings_are_grouped_per_device(impl: Implementation) -> None:
    a = Reading("dev-000", TS, 20.0, "berlin")
    b = Reading("dev-003", TS, 80.0, "berlin")
    assert impl.mapping.device_key(a) != impl.mapping.device_key(b), (
        "two devices at one site got one key: detection must run per device, not over the fleet or a site")
    assert impl.mapping.device_key(a) == impl.mapping.device_key(Reading("dev-000", TS + timedelta(days=1),
                                                                         1.0, "oslo"))


def test_the_point_is_the_same_for_the_same_anomaly(impl: Implementation) -> None:
    anomaly = Anomaly("shesd", "dev-001", "oslo", TS, 99.5)
    point = impl.mapping.to_point(anomaly)
    assert point["time"] == int(TS.timestamp() * 1000), (
        f"time {point['time']} is not the reading's own timestamp in ms ({int(TS.timestamp() * 1000)}): a "
        "point stamped with the time of the run is a new point at every run")
    assert point["measurement"] == "anomaly"
    assert point["tags"] == {"detector": "shesd", "device_id": "dev-001", "location": "oslo"}, (
        f"tags {point['tags']}: exactly detector, device_id and location; with a tag that changes between "
        "runs a re-run would add points (a new series) instead of overwriting")
    assert point["fields"] == {"value": 99.5}
    assert point == impl.mapping.to_point(Anomaly("shesd", "dev-001", "oslo", TS, 99.5)), (
        "the same anomaly gave two different points: a re-run would add points instead of overwriting")
