"""The records of Exercise 5: a sensor reading on the hub, a window's aggregate on the WebSocket.

A reading is JSON `{"source": "sensor-1", "time_ms": 1764633600123, "value": 21.4}`: the event time is
the sensor's clock when it measured, not the time the hub or the consumer saw it. Anything else
(bytes that are not JSON, a missing field, a wrong type, a non-finite value) is malformed: `parse`
raises `MalformedEvent` with the reason, and the pipeline dead-letters the original bytes with it.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass


class MalformedEvent(ValueError):
    """A record that is not a reading; the message is the reason the dead-letter topic keeps."""


@dataclass(frozen=True)
class Event:
    source: str
    time_ms: int
    value: float

    def to_bytes(self) -> bytes:
        return json.dumps({"source": self.source, "time_ms": self.time_ms, "value": self.value},
                          separators=(",", ":")).encode()


@dataclass(frozen=True)
class Position:
    """Where a record sits on the hub: its partition and offset (Event Hubs: partition, offset)."""

    partition: int
    offset: int


@dataclass(frozen=True)
class Aggregate:
    """count, mean, min and max of one source's readings whose event time falls in
    [start_ms, start_ms + window_ms). `revision` is 0 when the window first fires and grows by one
    with each late reading (within the allowed lateness) that updates it."""

    source: str
    start_ms: int
    count: int
    mean: float
    min: float
    max: float
    revision: int

    def to_frame(self) -> dict[str, object]:
        return {"type": "agg", "source": self.source, "start_ms": self.start_ms, "count": self.count,
                "mean": self.mean, "min": self.min, "max": self.max, "rev": self.revision}


MAX_SOURCE_LENGTH = 64


def parse(raw: bytes | None) -> Event:
    """The reading in `raw`, or `MalformedEvent` saying why not."""
    if not raw:
        raise MalformedEvent("empty record")
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedEvent(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise MalformedEvent("not a JSON object")
    source, time_ms, value = data.get("source"), data.get("time_ms"), data.get("value")
    if not isinstance(source, str) or not 0 < len(source) <= MAX_SOURCE_LENGTH:
        raise MalformedEvent(f"source must be a string of 1-{MAX_SOURCE_LENGTH} characters")
    if not isinstance(time_ms, int) or isinstance(time_ms, bool) or time_ms < 0:
        raise MalformedEvent("time_ms must be a non-negative integer (milliseconds since the epoch)")
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        raise MalformedEvent("value must be a finite number")
    return Event(source, time_ms, float(value))
