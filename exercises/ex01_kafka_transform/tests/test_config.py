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
