"""The service manager against the real broker binary: start, reuse, status, env, stop by group."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from bootcamp.errors import BootcampError
from bootcamp.services import all_services, get_service
from bootcamp.services.base import Service, free_port, pid_alive
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
        f'{{"pid": {os.getpid()}, "port": 1, "endpoint": "127.0.0.1:1", "program": "/bin/not-the-broker"}}')
    assert isolated.status().state == "stopped"
    assert isolated.stop() is False
    assert pid_alive(os.getpid())


def test_services_are_discovered_and_unknown_names_are_clear() -> None:
    assert "kafka" in all_services()
    with pytest.raises(BootcampError, match="unknown service 'kafak'"):
        get_service("kafak")


class _ShellService(Service):
    """A real process standing in for a broken server: the failure paths need one that misbehaves."""

    name: ClassVar[str] = "shell-test"
    description: ClassVar[str] = "a shell command"
    endpoint_env: ClassVar[str] = "SHELL_TEST_ENDPOINT"
    default_port: ClassVar[int] = 1
    start_timeout_s: ClassVar[float] = 2.0
    script: ClassVar[str] = ""

    def command(self, port: int, data_dir: Path) -> list[str]:
        return ["/bin/sh", "-c", self.script]

    def is_healthy(self, endpoint: str) -> bool:
        return False


def test_a_server_that_exits_while_starting_is_reported_with_its_log(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOOTCAMP_STATE_DIR", str(tmp_path))

    class Crashing(_ShellService):
        script = "echo 'fatal: no config' >&2; exit 3"

    with pytest.raises(BootcampError, match=r"exited with code 3 while starting: .*fatal: no config"):
        Crashing().start()
    assert not Crashing().state_path.exists()


def test_a_server_that_never_gets_ready_is_killed_with_its_children(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOOTCAMP_STATE_DIR", str(tmp_path))
    child_pid = tmp_path / "child.pid"

    class Hanging(_ShellService):
        script = f"sleep 300 & echo $! > {child_pid}; wait"

    with pytest.raises(BootcampError, match="did not become ready"):
        Hanging().start()
    assert not pid_alive(int(child_pid.read_text())), "the server's child outlived it"


def test_run_all_restores_the_environment_so_the_next_exercise_starts_its_own_service(
        isolated: KafkaService) -> None:
    """`bootcamp run all` stops what one exercise started; the next one must start it again, not take
    the stale endpoint left in the environment for an external service."""
    from bootcamp.cli import _services_for

    for _ in range(2):
        with _services_for(["kafka"]):
            endpoint = isolated.running_endpoint()
            assert endpoint is not None, "started for this block"
            assert os.environ["KAFKA_BOOTSTRAP_SERVERS"] == endpoint
        assert isolated.status().state == "stopped"
        assert "KAFKA_BOOTSTRAP_SERVERS" not in os.environ
