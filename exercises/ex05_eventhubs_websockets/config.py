"""Exercise 5 settings from the environment: the Event Hubs connection, and the pipeline's knobs.

The hub is reached through its Kafka endpoint, configured exactly as Azure documents it for a
namespace: `security.protocol=SASL_SSL`, `sasl.mechanism=PLAIN`, `sasl.username=$ConnectionString`,
`sasl.password=<the namespace's (or hub's) connection string>`, bootstrap `<namespace>.servicebus.
windows.net:9093`. Locally the same settings reach the project's Kafka broker on its SASL PLAIN
listener; only `EVENTHUBS_SECURITY_PROTOCOL=SASL_PLAINTEXT` and the bootstrap address differ (no TLS
on loopback). Nothing in the code knows which it talks to.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from bootcamp.errors import BootcampError

EVENT_HUBS_KAFKA_PORT = 9093
_ENDPOINT = re.compile(r"(?:^|;)Endpoint=sb://([^/;:]+)(?::\d+)?/?(?:;|$)", re.IGNORECASE)


class EventHubsSettings(BaseSettings):
    """`EVENTHUBS_CONNECTION_STRING` and friends: where the hub is and how to authenticate."""

    model_config = SettingsConfigDict(env_prefix="EVENTHUBS_", extra="ignore")

    connection_string: SecretStr | None = Field(None, description="the namespace's connection string "
                                                "(Shared access policies), the SASL password")
    bootstrap: str | None = Field(None, description="host:port of the Kafka endpoint; default: the "
                                  "connection string's Endpoint host on port 9093")
    security_protocol: Literal["SASL_SSL", "SASL_PLAINTEXT"] = "SASL_SSL"

    def bootstrap_servers(self) -> str:
        if self.bootstrap:
            return self.bootstrap
        match = _ENDPOINT.search(self.secret())
        if match is None:
            raise BootcampError("EVENTHUBS_CONNECTION_STRING has no Endpoint=sb://<namespace>/ part",
                                hint="copy the whole connection string from Shared access policies")
        return f"{match.group(1)}:{EVENT_HUBS_KAFKA_PORT}"

    def secret(self) -> str:
        if self.connection_string is None:
            raise BootcampError("EVENTHUBS_CONNECTION_STRING is not set",
                                hint="`bootcamp run ex05` sets the local one; in the cloud, the "
                                "namespace's connection string")
        return self.connection_string.get_secret_value()

    def kafka_config(self, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
        """librdkafka settings for the Event Hubs Kafka endpoint (Microsoft's documented ones)."""
        config: dict[str, Any] = {
            "bootstrap.servers": self.bootstrap_servers(),
            "security.protocol": self.security_protocol,
            "sasl.mechanism": "PLAIN",
            "sasl.username": "$ConnectionString",
            "sasl.password": self.secret(),
            "client.id": "bootcamp-ex05",
        }
        config.update(overrides or {})
        return config


class Ex05Settings(BaseSettings):
    """The pipeline's topics and knobs (prefix `EX05_`)."""

    model_config = SettingsConfigDict(env_prefix="EX05_", extra="ignore")

    topic: str = Field("ex05.readings", description="the event hub (a Kafka topic)")
    dead_letter_topic: str = Field("ex05.dead-letter", description="malformed readings, with the reason")
    group_id: str = Field("ex05-broadcaster", description="the consumer group (Event Hubs: consumer "
                          "group; the Kafka endpoint uses the group id as its name)")
    partitions: int = Field(2, ge=1)
    create_topics: bool = Field(True, description="off on Event Hubs, where the hub is made by az")
    window_ms: int = Field(1000, ge=1)
    lateness_ms: int = Field(2000, ge=0, description="how far behind a source's newest reading a "
                             "reading may be and still update its window")
    queue_size: int = Field(256, ge=1, description="frames waiting per WebSocket client")
    replay_size: int = Field(20_000, ge=1, description="aggregate frames kept for resuming clients")
    raw_sample_every: int = Field(10, ge=1, description="broadcast one raw reading in this many")
    commit_interval_s: float = Field(1.0, gt=0, description="how often the checkpoint is committed")
    batch_size: int = Field(500, ge=1)
    stats_interval_s: float = Field(1.0, gt=0)
    socket_sndbuf: int = Field(65536, ge=0, description="each WebSocket's kernel send buffer (the "
                               "kernel doubles it); 0: the kernel's autotuning, up to tcp_wmem's max")
    send_path: Literal["asgi", "starlette"] = Field("asgi", description="how the hub's frames reach "
                                                    "the socket: the ASGI send itself, or Starlette's "
                                                    "WebSocket.send_text (the bench's before)")
    synthetic_rate: float = Field(0, ge=0, description="bench only: the server publishes this many "
                                  "timestamped frames/s itself and reads no hub")
    synthetic_bytes: int = Field(200, ge=16, description="bench only: size of a synthetic frame")
