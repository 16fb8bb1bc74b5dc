"""Offsets as checkpoints: a consumer group restarted mid-stream resumes from the committed offset and
loses no reading of the windows that were open when it stopped. In process, through the SASL listener."""

from __future__ import annotations

from typing import Any

import pytest
from confluent_kafka import Consumer, TopicPartition

from ..config import Ex05Settings
from ..generator import readings, send
from ..harness import offline_windows, unique_topics
from ..pipeline import Pipeline
from .conftest import create_topics

T0 = 1_764_633_600_000
TOTAL = 3000


def committed(kafka: dict[str, Any], settings: Ex05Settings) -> dict[int, int]:
    consumer = Consumer({**kafka, "group.id": settings.group_id})
    try:
        found = consumer.committed([TopicPartition(settings.topic, p) for p in range(settings.partitions)],
                                   timeout=15)
    finally:
        consumer.close()
    return {tp.partition: tp.offset for tp in found if tp.offset >= 0}


def test_a_restarted_group_resumes_from_the_committed_checkpoint(impl: Any, hub_kafka: dict[str, Any]
                                                                 ) -> None:
    first_aggregator = impl.windows.WindowAggregator(1000, 2000)  # a stub fails here, at once
    names = unique_topics("ex05cp")
    create_topics(hub_kafka, names)
    settings = Ex05Settings(topic=names["EX05_TOPIC"], dead_letter_topic=names["EX05_DEAD_LETTER_TOPIC"],
                            group_id=names["EX05_GROUP_ID"], batch_size=100)
    events = readings(TOTAL, rate=400, start_ms=T0, disorder_ms=600)
    send(hub_kafka, settings.topic, events)

    first: list[dict[str, object]] = []
    a = Pipeline(hub_kafka, settings, first_aggregator, first.extend)
    a.run(max_events=TOTAL // 2)  # stops mid-stream: commits its checkpoint and leaves the group
    checkpoint = committed(hub_kafka, settings)
    assert checkpoint, "the first member committed a checkpoint"
    assert sum(checkpoint.values()) < a.counters.events_in, \
        "the checkpoint is behind what was read while windows are open"

    second: list[dict[str, object]] = []
    b = Pipeline(hub_kafka, settings, impl.windows.WindowAggregator(1000, 2000), second.extend)
    b.run(max_events=TOTAL - sum(checkpoint.values()))
    resumed = {p: checkpoint.get(p, 0) for p in b.counters.first_offsets}  # unread partitions: from 0
    assert b.counters.first_offsets == resumed, "the restarted member resumes from the committed offsets"
    assert any(offset > 0 for offset in b.counters.first_offsets.values()), "not from the beginning"

    shown = {(f["source"], f["start_ms"]): f for f in first + second if f["type"] == "agg"}
    want = offline_windows(events, 1000, 2000)
    wrong = sorted(key for key, agg in want.items()
                   if key not in shown or (shown[key]["count"], shown[key]["min"], shown[key]["max"])
                   != (agg.count, agg.min, agg.max) or shown[key]["mean"] != pytest.approx(agg.mean))
    assert wrong == [], (
        f"{len(wrong)} windows differ from the offline computation after the restart (first "
        f"{wrong[0]}: shown {shown.get(wrong[0])}, offline {want[wrong[0]]}): a committed offset past "
        "what an open window still needed loses its readings (commit the checkpoint, not the last "
        "offset read)") if wrong else ""
