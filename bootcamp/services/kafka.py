"""The local Kafka broker: Apache Kafka itself, one KRaft node that is both broker and controller.

The jars come from Maven Central (`bootcamp/parts/parts.toml` pins the version; `scripts/setup.sh`
resolves them), and the broker runs with `java kafka.Kafka` on the project's own `server.properties`,
written here at each start. On the first start the storage tool formats `.bootcamp/kafka/data` with a
new cluster id; later starts reuse it, so topics, records and committed offsets survive a restart.

It listens on 127.0.0.1 only, on three ports: PLAINTEXT (the endpoint every client uses, 9092 when
free), SASL_PLAINTEXT with the PLAIN mechanism (users from the JAAS line below, so a client can be
tested with the settings a managed service needs: Confluent Cloud's API key, the Event Hubs Kafka
endpoint's `$ConnectionString`), and the KRaft controller's own. Internal topics have one replica,
and a new group starts at once (`group.initial.rebalance.delay.ms=0`).

`KAFKA_BOOTSTRAP_SERVERS` replaces it with any real cluster; then nothing is started.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import ClassVar

from confluent_kafka.admin import AdminClient

from bootcamp import parts, requirements
from bootcamp.errors import BootcampError
from bootcamp.services.base import LOCALHOST, Requirement, Service, free_port, port_is_free

KAFKA_VERSION_PART = "kafka"
SASL_MECHANISM = "PLAIN"
SASL_USERNAME = "bootcamp"
SASL_PASSWORD = "bootcamp-secret"  # noqa: S105  # a local, loopback-only test user, by design
EVENT_HUBS_USERNAME = "$ConnectionString"
SASL_ENDPOINT_ENV = "KAFKA_SASL_BOOTSTRAP_SERVERS"
"""host:port of a SASL PLAIN listener, exported beside KAFKA_BOOTSTRAP_SERVERS for a broker we run, so
child processes (which see that broker as an external endpoint) find its SASL listener too."""
EVENT_HUBS_CONNECTION_STRING = (
    "Endpoint=sb://127.0.0.1/;SharedAccessKeyName=RootManageSharedAccessKey;"
    "SharedAccessKey=bootcamp-local-key"
)
HEAP = ("-Xms256m", "-Xmx768m")

LOG4J2 = """\
# Written by bootcamp at each start. Kafka's request and state-change loggers are chatty at INFO.
status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.stdout.ref = STDOUT
logger.request.name = kafka.request.logger
logger.request.level = warn
logger.state.name = state.change.logger
logger.state.level = warn
logger.controller.name = org.apache.kafka.controller
logger.controller.level = warn
"""


def cluster_id() -> str:
    """A new cluster id in Kafka's own form: a random UUID, URL-safe base64 without padding, never
    starting with `-` (one in 64 would: the storage tool's parser then reads it as an option and fails,
    which is why Kafka's own `Uuid.randomUuid()` draws again in that case, as we do)."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not text.startswith("-"):
            return text


def jaas_plain_users() -> str:
    """The SASL PLAIN listener's JAAS line: each `user_NAME="password"` is one account."""
    users = {SASL_USERNAME: SASL_PASSWORD, EVENT_HUBS_USERNAME: EVENT_HUBS_CONNECTION_STRING}
    listed = " ".join(f'user_{name}="{password}"' for name, password in users.items())
    return f"org.apache.kafka.common.security.plain.PlainLoginModule required {listed};"


def server_properties(port: int, sasl_port: int, controller_port: int, data_dir: Path) -> str:
    """The broker's configuration: one combined node, loopback only, sized for a laptop."""
    return "\n".join([
        "# Written by bootcamp at each start (bootcamp/services/kafka.py); edits here are overwritten.",
        "process.roles=broker,controller",
        "node.id=1",
        f"controller.quorum.voters=1@{LOCALHOST}:{controller_port}",
        f"listeners=PLAINTEXT://{LOCALHOST}:{port},SASL_PLAINTEXT://{LOCALHOST}:{sasl_port},"
        f"CONTROLLER://{LOCALHOST}:{controller_port}",
        f"advertised.listeners=PLAINTEXT://{LOCALHOST}:{port},SASL_PLAINTEXT://{LOCALHOST}:{sasl_port}",
        "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT",
        "controller.listener.names=CONTROLLER",
        "inter.broker.listener.name=PLAINTEXT",
        f"sasl.enabled.mechanisms={SASL_MECHANISM}",
        f"listener.name.sasl_plaintext.plain.sasl.jaas.config={jaas_plain_users()}",
        f"log.dirs={data_dir}",
        # One node: every internal topic has one replica, and fewer partitions start faster.
        "offsets.topic.replication.factor=1",
        "offsets.topic.num.partitions=8",
        "transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1",
        "transaction.state.log.num.partitions=8",
        "share.coordinator.state.topic.replication.factor=1",
        "share.coordinator.state.topic.min.isr=1",
        "group.initial.rebalance.delay.ms=0",
        "num.partitions=1",
        "",
    ])


class KafkaService(Service):
    name: ClassVar[str] = "kafka"
    description: ClassVar[str] = "Apache Kafka 4 (KRaft, one broker+controller node), from Maven Central"
    endpoint_env: ClassVar[str] = "KAFKA_BOOTSTRAP_SERVERS"
    default_port: ClassVar[int] = 9092
    port_env: ClassVar[str | None] = "BOOTCAMP_KAFKA_PORT"
    start_timeout_s: ClassVar[float] = 90.0

    def requirements(self) -> list[Requirement]:
        return [requirements.java(17), parts.maven(KAFKA_VERSION_PART).requirement()]

    @property
    def _ports_path(self) -> Path:
        return self.home / "ports.json"

    def _side_ports(self) -> tuple[int, int]:
        """The SASL and controller ports: the ones used last time when still free, else new ones."""
        try:
            saved = json.loads(self._ports_path.read_text())
            sasl, controller = int(saved["sasl"]), int(saved["controller"])
        except (OSError, ValueError, KeyError, TypeError):
            sasl = controller = 0
        if not (sasl and port_is_free(sasl)):
            sasl = free_port()
        if not (controller and controller != sasl and port_is_free(controller)):
            controller = free_port()
        return sasl, controller

    def command(self, port: int, data_dir: Path) -> list[str]:
        java = shutil.which("java")
        assert java is not None, "requirements() guards this"
        classpath = parts.maven(KAFKA_VERSION_PART).classpath_arg()
        sasl_port, controller_port = self._side_ports()
        self._ports_path.write_text(json.dumps({"plaintext": port, "sasl": sasl_port,
                                                "controller": controller_port}))
        properties = self.home / "server.properties"
        properties.write_text(server_properties(port, sasl_port, controller_port, data_dir))
        log4j = self.home / "log4j2.properties"
        log4j.write_text(LOG4J2)
        jvm = [java, *HEAP, "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-Djava.awt.headless=true",
               f"-Dlog4j2.configurationFile={log4j}", "-cp", classpath]
        if not (data_dir / "meta.properties").is_file():
            self._format(jvm, properties)
        return [*jvm, "kafka.Kafka", str(properties)]

    def _format(self, jvm: list[str], properties: Path) -> None:
        """`kafka-storage format`: once, before the first start, with a new cluster id."""
        result = subprocess.run([*jvm, "kafka.tools.StorageTool", "format", "-t", cluster_id(),
                                 "-c", str(properties)], capture_output=True, text=True, check=False,
                                timeout=120)
        if result.returncode != 0:
            tail = " | ".join((result.stdout + result.stderr).strip().splitlines()[-3:])
            raise BootcampError(f"kafka-storage format failed: {tail}",
                                hint=f"remove {self.home / 'data'} to start from empty storage")

    def sasl_endpoint(self) -> str | None:
        """host:port of the SASL PLAIN listener: KAFKA_SASL_BOOTSTRAP_SERVERS if set, else that of the
        broker we run, if it runs."""
        named = os.environ.get(SASL_ENDPOINT_ENV)
        if named:
            return named
        if self.running_endpoint() is None:
            return None
        try:
            return f"{LOCALHOST}:{int(json.loads(self._ports_path.read_text())['sasl'])}"
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def env_for(self, endpoint: str) -> dict[str, str]:
        """KAFKA_BOOTSTRAP_SERVERS, and KAFKA_SASL_BOOTSTRAP_SERVERS when the SASL listener is known."""
        env = super().env_for(endpoint)
        sasl = self.sasl_endpoint()
        if sasl and (os.environ.get(SASL_ENDPOINT_ENV) or endpoint == self.running_endpoint()):
            env[SASL_ENDPOINT_ENV] = sasl
        return env

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
