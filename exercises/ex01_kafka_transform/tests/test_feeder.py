"""The test feeder itself: it must survive every delivery report librdkafka can give, or the tests
that use it fail for a reason that is not the learner's."""

from __future__ import annotations

from confluent_kafka import Message

from exercises.ex01_kafka_transform.config import TransformerSettings
from exercises.ex01_kafka_transform.tests.conftest import Feeder


def test_a_delivery_reported_without_its_offset_is_found_in_the_topic(
        settings: TransformerSettings, feeder: Feeder) -> None:
    """An idempotent retry the broker had already written is reported delivered with no offset
    (DUPLICATE_SEQUENCE_NUMBER). The report is injected here; the record itself is real."""
    for n in range(5):
        feeder.send(settings.input_topic, b"one-key", f"record {n}".encode())
    feeder.flush()
    partition, offset = feeder.landed(settings.input_topic, b"record 3")

    feeder.positions.clear()
    for n in range(5):
        value = f"record {n}".encode()
        feeder._report(None, Message(topic=settings.input_topic, partition=partition, offset=-1001,
                                     value=value))
    assert feeder.positions[b"record 3"] == [(partition, None)]
    assert feeder.per_partition() == {partition: 5}
    assert feeder.landed(settings.input_topic, b"record 3") == (partition, offset)
