"""At-least-once means: an offset is committed only after its output is acknowledged. These tests make
a delivery fail for real (the broker refuses a record larger than the output topic's
`max.message.bytes`) and check that the committed offsets never move past it, whatever the order of
the learner's calls or the consumer's automatic commits."""

from __future__ import annotations

import random
import string
import uuid

import pytest
from confluent_kafka.admin import AdminClient
from confluent_kafka.admin._config import AlterConfigOpType, ConfigEntry, ConfigResource
from confluent_kafka.cimpl import NewTopic

from bootcamp.kafka.config import client_config
from bootcamp.testing.plugin import Implementation
from bootcamp.testing.processes import wait_until
from exercises.ex01_kafka_transform.config import TransformerSettings
from exercises.ex01_kafka_transform.observer import read_topic
from exercises.ex01_kafka_transform.offsets import group_lag
from exercises.ex01_kafka_transform.runtime import EXIT_FAILED
from exercises.ex01_kafka_transform.tests.conftest import Feeder, StartTransformer, finished

pytestmark = pytest.mark.integration
OUTPUT_LIMIT = 1000  # bytes: the output topic's max.message.bytes


@pytest.mark.parametrize(("module", "name"), [("transformer", "Transformer"),
                                              ("transactional", "TransactionalTransformer")])
def test_offsets_are_not_committed_automatically(impl: Implementation, settings: TransformerSettings,
                                                 module: str, name: str) -> None:
    """Auto-commit commits on a timer (and on close) whatever happened to the output. It is safe only
    with `enable.auto.offset.store=false`, where it commits what the code stored after delivery."""
    transformer = getattr(getattr(impl, module), name)(settings)
    try:
        config = transformer.consumer_config()
    finally:
        transformer.consumer.close()
    auto_commit = str(config.get("enable.auto.commit", True)).lower() == "true"
    auto_store = str(config.get("enable.auto.offset.store", True)).lower() == "true"
    assert not (auto_commit and auto_store), (
        f"{name}: auto-commit is on and offsets are stored as records are consumed, so a timer "
        "commits records whose output may never be delivered (set enable.auto.commit=false)")


@pytest.mark.slow
def test_committed_offsets_do_not_move_past_a_record_whose_delivery_failed(
        settings: TransformerSettings, feeder: Feeder, start_transformer: StartTransformer) -> None:
    output = f"ex01-{uuid.uuid4().hex[:8]}.small-out"
    admin = AdminClient(client_config())
    admin.create_topics([NewTopic(output, settings.partitions, 1,
                                  config={"max.message.bytes": str(OUTPUT_LIMIT)})])[output].result(15)
    settings = settings.model_copy(update={"output_topic": output, "max_value_bytes": 64 * 1024,
                                           "flush_timeout_s": 5.0, "create_topics": False})
    rng = random.Random(3)
    big = "".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(4 * OUTPUT_LIMIT))
    values = [f"before {i}".encode() for i in range(20)] + [big.encode()] + \
             [f"after {i}".encode() for i in range(20)]
    for value in values:
        feeder.send(settings.input_topic, b"one-key", value)  # one key: one partition, in this order
    feeder.flush()
    partition, big_offset = feeder.landed(settings.input_topic, big.encode())

    first = start_transformer(settings)
    code = finished(first, 90)
    log = first.log()
    assert code == EXIT_FAILED, f"a failed delivery must end the process with exit 1:\n{log[-2000:]}"
    assert "batch not delivered" in log, log[-2000:]
    committed = _committed(settings, partition)
    assert committed is None or committed <= big_offset, (
        f"committed offsets moved past records whose delivery failed: offset {committed} committed on "
        f"partition {partition}, but the record at {big_offset} was never delivered (commit only after "
        "every delivery report of the batch says it was delivered, and never automatically)")

    # Let the broker take the record now; a restart resumes from the committed offset: nothing lost.
    _set_topic_config(output, "max.message.bytes", str(8 * OUTPUT_LIMIT))
    second = start_transformer(settings)
    wait_until(lambda: sum(r.lag for r in group_lag(settings.group_id, settings.input_topic,
                                                    settings.partitions)) == 0,
               90, "the restarted transformer to commit every input", second)
    out = {r.value for r in read_topic(output, timeout_s=30).records}
    lost = [v[:20] for v in values if v.upper() not in out]
    assert lost == [], f"{len(lost)} records lost across the failed delivery and the restart: {lost[:3]}"


def _committed(settings: TransformerSettings, partition: int) -> int | None:
    rows = {r.partition: r.committed for r in group_lag(settings.group_id, settings.input_topic,
                                                         settings.partitions)}
    return rows.get(partition)


def _set_topic_config(topic: str, name: str, value: str) -> None:
    admin = AdminClient(client_config())
    resource = ConfigResource(ConfigResource.Type.TOPIC, topic, incremental_configs=[
        ConfigEntry(name, value, incremental_operation=AlterConfigOpType.SET)])
    for future in admin.incremental_alter_configs([resource]).values():
        future.result(timeout=15)

