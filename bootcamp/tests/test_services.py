"""The service manager against the real broker binary: start, reuse, status, env, stop by group."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from bootcamp.errors import BootcampError
from bootcamp.services import all_services, get_service
from bootcamp.services.base import free_port, pid_alive
from bootcamp.services.kafka import KafkaService


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[KafkaService]:
    """A Kafka service with its own state directory and port, whatever else is running."""
    monkeypatch.setenv("BOOTCAMP_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    monkeypatch.setenv("BOOTCAMP_KAFKA_PORT", str(free_port()))
    service = KafkaService()
    yield service
    service.stop()


def test_start_is_idempotent_and_stop_kills_the_process_group(isolated: KafkaService) -> None:
    endpoint = isolated.start()
    status = isolated.status()
    assert status.state == "running"
    assert status.endpoint == endpoint
    assert status.pid is not None
    assert os.getpgid(status.pid) == status.pid, "the server leads its own process group"
    assert isolated.log_path.is_file()
    assert isolated.state_path.is_relative_to(Path(os.environ["BOOTCAMP_STATE_DIR"]))

    assert isolated.start() == endpoint, "a running service is reused"
    assert isolated.status().pid == status.pid
    assert isolated.client_env() == {"KAFKA_BOOTSTRAP_SERVERS": endpoint}

    assert isolated.stop() is True
    assert not pid_alive(status.pid)
    assert isolated.status().state == "stopped"
    assert isolated.stop() is False, "stopping twice is harmless"


def test_a_taken_port_is_one_clear_error(isolated: KafkaService, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        monkeypatch.setenv("BOOTCAMP_KAFKA_PORT", str(taken.getsockname()[1]))
        with pytest.raises(BootcampError, match="is taken"):
            isolated.start()


def test_a_recycled_pid_is_never_signalled(isolated: KafkaService) -> None:
    """A state file naming a live process that is not ours (here: this test) is ignored."""
    isolated.state_path.write_text(
        f'{{"pid": {os.getpid()}, "port": 1, "endpoint": "127.0.0.1:1", "program": "/bin/not-tansu"}}')
    assert isolated.status().state == "stopped"
    assert isolated.stop() is False
    assert pid_alive(os.getpid())


def test_services_are_discovered_and_unknown_names_are_clear() -> None:
    assert "kafka" in all_services()
    with pytest.raises(BootcampError, match="unknown service 'kafak'"):
        get_service("kafak")
