"""Rows in, points out: validation with a dead-letter output, the per-device key, the InfluxDB point.

InfluxDB identifies a point by measurement, tag set and timestamp: writing a point with the same
three again replaces its fields instead of adding a point. So a re-run of the pipeline overwrites
its earlier output exactly when every point is built from the data alone: the reading's own time
(never the time of the run) and tags that name the series (never a run id or anything random).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import apache_beam as beam

from exercises.ex10_anomaly_detection.records import MEASUREMENT, Anomaly, DeadLetter, RawRow, Reading, day_of

DEAD = "dead"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class ValidateRow(beam.DoFn):  # type: ignore[misc]  # Beam is untyped
    """A RawRow becomes a Reading on the main output, or a DeadLetter with its reason on `dead`."""

    def process(self, row: RawRow) -> Iterator[Any]:
        reason = None
        if not row.device_id or row.day is None or row.ts is None or not row.location:
            reason = "missing key or location"
        elif row.value is None:
            reason = "null value"
        elif not math.isfinite(row.value):
            reason = f"non-finite value {row.value!r}"
        elif day_of(row.ts) != row.day:
            reason = f"timestamp {row.ts.isoformat()} outside its day bucket {row.day.isoformat()}"
        if reason is not None:
            yield beam.pvalue.TaggedOutput(DEAD, DeadLetter(reason, row.describe()))
            return
        assert row.device_id
        assert row.ts
        assert row.location
        assert row.value is not None
        yield Reading(row.device_id, row.ts, float(row.value), row.location)


def device_key(reading: Reading) -> str:
    """The key readings are grouped by: one series, and one detection, per device."""
    return reading.device_id


def to_point(anomaly: Anomaly) -> dict[str, Any]:
    """The InfluxDB point of one anomaly (the `influxdb` client's dict form, time in milliseconds):
    measurement `anomaly`, tags detector, device_id and location, field value, at the reading's time."""
    return {
        "measurement": MEASUREMENT,
        "tags": {"detector": anomaly.detector, "device_id": anomaly.device_id, "location": anomaly.location},
        "time": (anomaly.ts - EPOCH) // timedelta(milliseconds=1),
        "fields": {"value": float(anomaly.value)},
    }
