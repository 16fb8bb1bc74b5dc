"""The Lambda handler, fed real records from the local broker in the MSK event shape: called in
process, and packaged by build.sh and invoked over HTTP through the Lambda Runtime Interface Emulator."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import uuid
from collections import defaultdict
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, Message, TopicPartition
from moto import mock_aws

from bootcamp.kafka.config import client_config
from bootcamp.kafka.messages import headers, position, timestamp_ms
from bootcamp.lambda_emulator import FunctionError, LambdaEmulator
from bootcamp.services.kafka import SASL_MECHANISM, SASL_PASSWORD, SASL_USERNAME, KafkaService
from bootcamp.testing.plugin import Implementation
from exercises.ex01_kafka_transform import lambda_runtime
from exercises.ex01_kafka_transform.config import TransformerSettings
from exercises.ex01_kafka_transform.observer import read_topic
from exercises.ex01_kafka_transform.tests.conftest import Feeder, settings_env

pytestmark = pytest.mark.integration
DEPLOY = Path(__file__).resolve().parents[1] / "deploy" / "lambda"


def read_back(topic: str, partitions: int, count: int) -> list[Message]:
    """The records as the broker stores them (what the event source mapping would fetch)."""
    consumer = Consumer(client_config({"group.id": f"read-{uuid.uuid4().hex[:6]}"}))
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
    found: list[Message] = []
    try:
        for _ in range(100):
            found += [m for m in consumer.consume(500, timeout=0.2) if not m.error()]
            if len(found) >= count:
                break
    finally:
        consumer.close()
    assert len(found) == count
    return found


def msk_event(messages: list[Message]) -> dict[str, Any]:
    """An `aws:kafka` event: records grouped by "topic-partition", base64 keys and values,
    header values as lists of byte values, exactly as Lambda's Kafka event sources deliver them."""
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for msg in messages:
        where = position(msg)
        record: dict[str, Any] = {
            "topic": where.topic, "partition": where.partition, "offset": where.offset,
            "timestamp": timestamp_ms(msg), "timestampType": "CREATE_TIME",
            "value": base64.b64encode(msg.value() or b"").decode(),
            "headers": [{name: list(value if isinstance(value, bytes) else (value or "").encode())}
                        for name, value in headers(msg)],
        }
        if msg.key() is not None:
            record["key"] = base64.b64encode(msg.key() or b"").decode()
        grouped[f"{where.topic}-{where.partition}"].append(record)
    return {
        "eventSource": "aws:kafka",
        "eventSourceArn": "arn:aws:kafka:eu-west-1:123456789012:cluster/ex01/0000-1111",
        "bootstrapServers": "b-1.ex01.kafka.eu-west-1.amazonaws.com:9096",
        "records": dict(grouped),
    }


def test_handler_transforms_a_real_batch_and_dead_letters_bad_records(
        impl: Implementation, settings: TransformerSettings, feeder: Feeder,
        monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in settings_env(settings).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(lambda_runtime, "_producer", None)  # a cold start, dropped afterwards
    good = [f"record {i} for lambda".encode() for i in range(20)]
    bad = b"\xc3\x28 invalid utf-8"
    for i, payload in enumerate([*good[:10], bad, *good[10:]]):
        feeder.send(settings.input_topic, f"k{i % 4}".encode(), payload, headers=[("trace", b"t%d" % i)])
    feeder.flush()
    event = msk_event(read_back(settings.input_topic, settings.partitions, len(good) + 1))

    result = impl.lambda_handler.handler(event, SimpleNamespace(aws_request_id="test"))

    assert result == {"records": 21, "transformed": 20, "deadLettered": 1}
    out = read_topic(settings.output_topic, count=20, idle_s=1)
    assert sorted(r.value or b"" for r in out.records) == sorted(v.upper() for v in good)
    assert all(r.headers["trace"].startswith(b"t") for r in out.records)
    dead = read_topic(settings.dead_letter_topic, count=1, idle_s=1).records
    assert [(r.value, r.headers["dlq.reason"]) for r in dead] == [(bad, b"not-utf8")]
    assert dead[0].headers["dlq.source.offset"] == str(feeder.landed(settings.input_topic, bad)[1]).encode()


def build_package(impl: Implementation, out: Path) -> Path:
    """deploy/lambda/build.sh's zip of the implementation under test, for this machine's architecture."""
    which = impl.package.rsplit(".", 1)[-1]
    subprocess.run(["bash", str(DEPLOY / "build.sh")], check=True, capture_output=True, timeout=600,
                   env={**os.environ, "OUT": str(out / "build"), "ARCH": "x86_64", "IMPL": which})
    return out / "build.zip"


def sasl_env(password: str = SASL_PASSWORD) -> dict[str, str]:
    """The function's connection settings: the broker's SASL PLAIN listener, as against a managed one."""
    endpoint = KafkaService().sasl_endpoint()
    assert endpoint, "the local broker runs with its SASL listener"
    return {"KAFKA_BOOTSTRAP_SERVERS": endpoint, "KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
            "KAFKA_SASL_MECHANISM": SASL_MECHANISM, "KAFKA_SASL_USERNAME": SASL_USERNAME,
            "KAFKA_SASL_PASSWORD": password}


@pytest.mark.slow
def test_the_packaged_function_runs_under_the_lambda_runtime_emulator(
        impl: Implementation, settings: TransformerSettings, feeder: Feeder, tmp_path: Path) -> None:
    """build.sh's zip, unpacked and run by awslambdaric under aws-lambda-rie (the Lambda Runtime API),
    invoked over HTTP with an MSK event of real records, talking SASL PLAIN to the broker. The
    runtime's interpreter has no site-packages: a dependency missing from the zip fails here."""
    package = build_package(impl, tmp_path)
    good = [f"packaged record {i}".encode() for i in range(12)]
    bad = b"\xff\xfe not utf-8"
    for i, payload in enumerate([*good[:6], bad, *good[6:]]):
        feeder.send(settings.input_topic, f"k{i % 3}".encode(), payload, headers=[("trace", b"t%d" % i)])
    feeder.flush()
    event = msk_event(read_back(settings.input_topic, settings.partitions, len(good) + 1))
    handler = f"{impl.package}.lambda_handler.handler"

    with LambdaEmulator(package, handler, {**sasl_env(), **settings_env(settings)}, name="ex01") as function:
        first = function.invoke(event)
        out = read_topic(settings.output_topic, count=len(good), idle_s=1).records
        again = function.invoke(event)  # a warm invocation: Lambda retries deliver a batch again

    assert first == {"records": 13, "transformed": 12, "deadLettered": 1}, function.log_tail()
    assert again == first
    assert sorted(r.value or b"" for r in out) == sorted(v.upper() for v in good)
    dead = read_topic(settings.dead_letter_topic, count=2, idle_s=1).records
    assert [(r.value, r.headers["dlq.reason"]) for r in dead] == [(bad, b"not-utf8")] * 2


@pytest.mark.slow
def test_an_undeliverable_batch_fails_the_invocation_so_lambda_retries_it(
        impl: Implementation, settings: TransformerSettings, tmp_path: Path) -> None:
    """With credentials the broker refuses, nothing is acknowledged: the invocation must fail (the
    event source mapping then retries the batch and does not move its offsets), not return success."""
    package = build_package(impl, tmp_path)
    record = {"topic": settings.input_topic, "partition": 0, "offset": 0, "timestamp": 1700000000000,
              "timestampType": "CREATE_TIME", "value": base64.b64encode(b"never delivered").decode(),
              "headers": []}
    event = {"eventSource": "aws:kafka", "records": {f"{settings.input_topic}-0": [record]}}
    env = {**sasl_env(password="wrong"), **settings_env(settings), "EX01_FLUSH_TIMEOUT_S": "3"}

    handler = f"{impl.package}.lambda_handler.handler"
    with LambdaEmulator(package, handler, env, name="ex01-denied") as function, \
            pytest.raises(FunctionError) as failed:
        function.invoke(event)

    if isinstance(failed.value, NotImplementedError):
        raise failed.value  # the handler is still the starter's stub
    assert failed.value.payload["errorType"] == "BatchNotDelivered", failed.value.payload


@mock_aws
def test_credentials_come_from_secrets_manager(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's Secrets Manager stands in for AWS's: no AWS account is reachable from here."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    secret = boto3.client("secretsmanager").create_secret(
        Name="AmazonMSK_ex01", SecretString=json.dumps({"username": "alice", "password": "s3cret"}))
    monkeypatch.setenv("KAFKA_SASL_SECRET_ARN", secret["ARN"])
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "b-1.example:9096")
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")

    config = client_config(None, lambda_runtime.kafka_settings())

    assert (config["sasl.username"], config["sasl.password"]) == ("alice", "s3cret")
    assert (config["security.protocol"], config["sasl.mechanism"]) == ("SASL_SSL", "SCRAM-SHA-512")


@mock_aws
def test_a_malformed_secret_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    secret = boto3.client("secretsmanager").create_secret(Name="AmazonMSK_bad", SecretString='{"user": 1}')
    monkeypatch.setenv("KAFKA_SASL_SECRET_ARN", secret["ARN"])
    with pytest.raises(ValueError, match="'username' and 'password'"):
        lambda_runtime.kafka_settings()
