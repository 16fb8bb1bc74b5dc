"""Fixtures for Exercise 4: kinesis-local, a fault-injecting proxy in front of it, the output and
dead-letter streams, and the packaged function under the Lambda Runtime Interface Emulator.

The function's package is built and its emulator started once per session (a start costs seconds):
one emulator as the template configures it, and one "strict" one that fails the whole invocation
when a record is undelivered (for a mapping without ReportBatchItemFailures) with a short timeout.
Each test uses input streams of its own and a run id in its order ids, so the shared output stream
can be read per test.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from bootcamp.lambda_emulator import LambdaEmulator
from exercises.ex04_kinesis_lambda import streams
from exercises.ex04_kinesis_lambda.pipeline import build_package, function_env, start_function
from exercises.ex04_kinesis_lambda.tests.faults import FaultyKinesis

STRICT_TIMEOUT_S = 4  # above a cold start here (1.6-1.9 s measured under load), which a timeout repeats


@pytest.fixture(scope="session")
def kinesis(local_service: Callable[[str], str]) -> Any:
    local_service("kinesis")
    return boto3.session.Session().client("kinesis", config=Config(retries={"max_attempts": 2}))


@pytest.fixture(scope="session")
def proxy(kinesis: Any) -> Iterator[FaultyKinesis]:
    faulty = FaultyKinesis(os.environ["AWS_ENDPOINT_URL_KINESIS"])
    yield faulty
    faulty.stop()


@pytest.fixture
def faults(proxy: FaultyKinesis) -> Iterator[FaultyKinesis]:
    """The proxy with no faults at the start and end of the test."""
    proxy.clear()
    proxy.puts.clear()
    yield proxy
    proxy.clear()


@dataclass(frozen=True)
class Sinks:
    output: str
    dead_letter: str


@pytest.fixture(scope="session")
def sinks(kinesis: Any) -> Iterator[Sinks]:
    run = uuid.uuid4().hex[:8]
    made = Sinks(streams.create_stream(kinesis, f"ex04-out-{run}"),
                 streams.create_stream(kinesis, f"ex04-dlq-{run}"))
    yield made
    for name in (made.output, made.dead_letter):
        kinesis.delete_stream(StreamName=name, EnforceConsumerDeletion=True)


@pytest.fixture(scope="session")
def package(impl_name: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_package(impl_name, tmp_path_factory.mktemp("ex04-package"))


def _env(proxy: FaultyKinesis, sinks: Sinks, report_failures: bool) -> dict[str, str]:
    return function_env(proxy.url, sinks.output, sinks.dead_letter, report_failures=report_failures,
                        EX04_PUT_ATTEMPTS="3", EX04_PUT_BASE_DELAY_S="0.02")


@pytest.fixture(scope="session")
def function(package: Path, impl_name: str, proxy: FaultyKinesis, sinks: Sinks) -> Iterator[LambdaEmulator]:
    """The enricher as the template configures it (ReportBatchItemFailures), talking to the proxy."""
    emulator = start_function(package, impl_name, _env(proxy, sinks, True), name="ex04-enrich")
    yield emulator
    emulator.stop()


@pytest.fixture(scope="session")
def strict_function(package: Path, impl_name: str, proxy: FaultyKinesis,
                    sinks: Sinks) -> Iterator[LambdaEmulator]:
    """The enricher for a mapping without ReportBatchItemFailures, with a 4 s timeout."""
    emulator = start_function(package, impl_name, _env(proxy, sinks, False), name="ex04-strict",
                              timeout_s=STRICT_TIMEOUT_S)
    yield emulator
    emulator.stop()


@pytest.fixture
def make_stream(kinesis: Any) -> Iterator[Callable[..., str]]:
    """`make_stream(prefix, shards=1)`: a stream of this test's own, deleted afterwards."""
    made: list[str] = []

    def make(prefix: str, shards: int = 1) -> str:
        made.append(streams.create_stream(kinesis, f"ex04-{prefix}-{uuid.uuid4().hex[:8]}", shards))
        return made[-1]

    yield make
    for name in made:
        kinesis.delete_stream(StreamName=name, EnforceConsumerDeletion=True)


@pytest.fixture
def run_id() -> str:
    return uuid.uuid4().hex[:8]
