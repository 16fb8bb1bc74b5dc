"""The provided lag figures against the real broker: committed offsets, end offsets, per partition."""

from __future__ import annotations

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition

from bootcamp.kafka.config import client_config
from exercises.ex01_kafka_transform.config import TransformerSettings
from exercises.ex01_kafka_transform.offsets import format_lag, group_lag

pytestmark = pytest.mark.integration


def test_lag_is_end_offset_minus_committed_offset_per_partition(settings: TransformerSettings) -> None:
    producer = Producer(client_config({"enable.idempotence": True}))
    for partition, count in ((0, 10), (1, 4)):
        for n in range(count):
            producer.produce(settings.input_topic, value=b"%d" % n, partition=partition)
    assert producer.flush(30) == 0
    committer = Consumer(client_config({"group.id": settings.group_id, "enable.auto.commit": False}))
    try:
        committer.commit(offsets=[TopicPartition(settings.input_topic, 0, 3),
                                  TopicPartition(settings.input_topic, 1, 4)], asynchronous=False)
    finally:
        committer.close()

    rows = group_lag(settings.group_id, settings.input_topic, settings.partitions)
    assert [(r.partition, r.committed, r.end, r.lag) for r in rows] == [
        (0, 3, 10, 7), (1, 4, 4, 0), (2, None, 0, 0)]
    assert format_lag(rows) == "lag 0:7 1:0 2:0 total=7"
