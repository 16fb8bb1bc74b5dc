"""The same code against managed Kafka: connection settings come from the environment alone."""

from __future__ import annotations

import pytest

from bootcamp.kafka.config import client_config, consumer_group_config
from bootcamp.services.kafka import KafkaService

EVENT_HUBS = "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=abc="


def test_event_hubs_kafka_endpoint_by_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "ns.servicebus.windows.net:9093")
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("KAFKA_SASL_MECHANISM", "PLAIN")
    monkeypatch.setenv("KAFKA_SASL_USERNAME", "$ConnectionString")
    monkeypatch.setenv("KAFKA_SASL_PASSWORD", EVENT_HUBS)
    config = client_config({"linger.ms": 5})
    assert config == {
        "bootstrap.servers": "ns.servicebus.windows.net:9093", "client.id": "bootcamp",
        "security.protocol": "SASL_SSL", "sasl.mechanism": "PLAIN",
        "sasl.username": "$ConnectionString", "sasl.password": EVENT_HUBS, "linger.ms": 5,
    }
    assert consumer_group_config() == {}, "managed clusters keep librdkafka's group timings"


def test_an_external_broker_means_nothing_is_started(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "pkc-1234.eu-west-1.aws.confluent.cloud:9092")
    service = KafkaService()
    assert service.start() == "pkc-1234.eu-west-1.aws.confluent.cloud:9092"
    assert service.status().state == "external"


def test_a_bad_security_protocol_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "x:9092")
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "TLS")
    with pytest.raises(ValueError, match="security_protocol"):
        client_config()


class RecordingConsumer:
    """A consumer that records how it was asked for records and has three fetched ones ready."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int | None, float]] = []

    def poll(self, timeout: float) -> str:
        self.calls.append(("poll", None, timeout))
        return "m0"

    def consume(self, num_messages: int, timeout: float) -> list[str]:
        self.calls.append(("consume", num_messages, timeout))
        return ["m1", "m2", "m3"][:num_messages]


@pytest.mark.parametrize(("wait", "calls", "batch"), [
    ("fill", [("consume", 500, 0.1)], ["m1", "m2", "m3"]),
    ("first", [("poll", None, 0.1), ("consume", 499, 0)], ["m0", "m1", "m2", "m3"]),
])
def test_batch_wait_fill_waits_for_the_batch_and_first_only_for_its_first_record(
        wait: str, calls: list[tuple[str, int | None, float]], batch: list[str]) -> None:
    """`EX01_BATCH_WAIT`: `fill` hands librdkafka the batch timeout (it returns when the batch is full
    or the timeout passed); `first` waits only for one record, then takes what is fetched (timeout 0)."""
    from types import SimpleNamespace

    from exercises.ex01_kafka_transform.config import TransformerSettings
    from exercises.ex01_kafka_transform.runtime import TransformerRuntime

    consumer = RecordingConsumer()
    runtime = SimpleNamespace(consumer=consumer, settings=TransformerSettings(batch_size=500,
                                                                               batch_timeout_s=0.1,
                                                                               batch_wait=wait))
    got: list[object] = list(TransformerRuntime._next_batch(runtime))  # type: ignore[arg-type]
    assert got == batch
    assert consumer.calls == calls
