"""Fixtures: the project's Kafka broker reached the Event Hubs way (its SASL PLAIN listener, user
`$ConnectionString`), and broadcaster processes of the implementation under test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka.admin import AdminClient

from ..harness import Server, hub_kafka_config, local_hub_env, start_server, stop_server, unique_topics


@pytest.fixture(scope="session")
def hub_env(kafka_bootstrap: str) -> dict[str, str]:
    """EVENTHUBS_* settings for the local broker's SASL listener (the shared, session broker)."""
    return local_hub_env()


@pytest.fixture(scope="session")
def hub_kafka(hub_env: dict[str, str]) -> dict[str, Any]:
    """librdkafka settings exactly as for an Event Hubs namespace, but SASL_PLAINTEXT on loopback."""
    config = hub_kafka_config(hub_env)
    assert config["sasl.username"] == "$ConnectionString"
    assert config["sasl.mechanism"] == "PLAIN"
    return config


def create_topics(kafka: dict[str, Any], env: dict[str, str], partitions: int = 2) -> None:
    from confluent_kafka.cimpl import NewTopic

    admin = AdminClient(kafka)
    futures = admin.create_topics([NewTopic(env["EX05_TOPIC"], partitions),
                                   NewTopic(env["EX05_DEAD_LETTER_TOPIC"], 1)], operation_timeout=30)
    for future in futures.values():
        future.result(30)


@pytest.fixture(scope="session")
def servers(hub_env: dict[str, str], hub_kafka: dict[str, Any], impl_name: str,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Server]]:
    """`servers(**env)` starts a broadcaster of the implementation under test on topics of its own
    (unless `env` names them); every one still running is stopped at the end."""
    log_dir = tmp_path_factory.mktemp("ex05-servers")
    started: list[Server] = []

    def start(port: int | None = None, **env: str) -> Server:
        full = {**hub_env, **unique_topics(), **env}
        if "EX05_TOPIC" not in env:
            create_topics(hub_kafka, full)
        server = start_server(impl_name, log_dir, full, port=port)
        started.append(server)
        return server

    yield start
    for server in started:
        stop_server(server)


@pytest.fixture(scope="module")
def server(servers: Callable[..., Server]) -> Server:
    """One broadcaster shared by a module's tests."""
    return servers()


@pytest.fixture
def artifacts(request: pytest.FixtureRequest) -> Path:
    """A folder kept after the run for this test's screenshots: .bootcamp/artifacts/ex05/<test>/."""
    from bootcamp.paths import state_dir

    folder: Path = state_dir() / "artifacts" / "ex05" / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    return folder
