"""Rows in, points out: validation with a dead-letter output, the per-device key, the InfluxDB point.

InfluxDB identifies a point by measurement, tag set and timestamp: writing a point with the same
three again replaces its fields instead of adding a point. So a re-run of the pipeline overwrites
its earlier output exactly when every point is built from the data alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import apache_beam as beam

from exercises.ex10_anomaly_detection.records import MEASUREMENT, Anomaly, DeadLetter, RawRow, Reading, day_of

DEAD = "dead"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
__all__ = ["MEASUREMENT", "DeadLetter", "day_of"]


class ValidateRow(beam.DoFn):  # type: ignore[misc]  # Beam is untyped
    """A RawRow becomes a Reading on the main output, or a DeadLetter with its reason on `dead`."""

    def process(self, row: RawRow) -> Iterator[Any]:
        raise NotImplementedError("ValidateRow.process: a Reading, or a DeadLetter on the 'dead' output")


def device_key(reading: Reading) -> str:
    """The key readings are grouped by: one series, and one detection, per device."""
    raise NotImplementedError("device_key: the grouping key")


def to_point(anomaly: Anomaly) -> dict[str, Any]:
    """The InfluxDB point of one anomaly (the `influxdb` client's dict form, time in milliseconds):
    measurement `anomaly`, tags detector, device_id and location, field value, at the reading's time."""
    raise NotImplementedError("to_point: measurement, tags, fields and the reading's own time")
