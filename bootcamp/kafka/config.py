"""librdkafka configuration built from the environment.

One function builds the connection part of every producer, consumer and admin client, so switching to a
managed cluster is a matter of environment variables, never of code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bootcamp.errors import BootcampError
from bootcamp.settings import KafkaSettings


def bootstrap_servers(settings: KafkaSettings | None = None) -> str:
    """The broker address: `KAFKA_BOOTSTRAP_SERVERS`, else the local broker if it is running."""
    settings = settings or KafkaSettings()
    if settings.bootstrap_servers:
        return settings.bootstrap_servers
    from bootcamp.services.kafka import KafkaService

    endpoint = KafkaService().running_endpoint()
    if endpoint is None:
        raise BootcampError(
            "no Kafka broker: KAFKA_BOOTSTRAP_SERVERS is unset and the local broker is not running",
            hint="run `bootcamp up kafka`, or export KAFKA_BOOTSTRAP_SERVERS",
        )
    return endpoint


def is_local(settings: KafkaSettings | None = None) -> bool:
    """True when talking to the project's own broker (then the local tuning profile applies)."""
    settings = settings or KafkaSettings()
    host = (settings.bootstrap_servers or "127.0.0.1").split(",")[0].rsplit(":", 1)[0]
    return host in {"127.0.0.1", "localhost", "::1", "[::1]"}


def client_config(
    overrides: Mapping[str, Any] | None = None, settings: KafkaSettings | None = None
) -> dict[str, Any]:
    """Connection and security settings for a confluent-kafka client, then `overrides` on top.

    Overrides use librdkafka's own dotted names (`{"linger.ms": 5}`).
    """
    settings = settings or KafkaSettings()
    config: dict[str, Any] = {
        "bootstrap.servers": bootstrap_servers(settings),
        "client.id": settings.client_id,
        "security.protocol": settings.security_protocol,
    }
    if settings.sasl_mechanism:
        config["sasl.mechanism"] = settings.sasl_mechanism
    if settings.sasl_username is not None:
        config["sasl.username"] = settings.sasl_username
    if settings.sasl_password is not None:
        config["sasl.password"] = settings.sasl_password.get_secret_value()
    if settings.ssl_ca_location:
        config["ssl.ca.location"] = settings.ssl_ca_location
    config.update(overrides or {})
    return config


def consumer_group_config(settings: KafkaSettings | None = None) -> dict[str, Any]:
    """Group-membership timings: a short session locally, librdkafka's defaults elsewhere.

    A member that dies without leaving (SIGKILL, a lost machine) keeps its partitions until the
    broker has not heard from it for `session.timeout.ms`. Locally, where the course kills members on
    purpose, a 6 s session (the broker's minimum, `group.min.session.timeout.ms`) with a 1 s heartbeat
    keeps failover quick. Against a real cluster the defaults (45 s session, 3 s heartbeat) are the
    right trade-off between failover time and false evictions on a slow network or a long GC pause.
    """
    if is_local(settings):
        return {"session.timeout.ms": 6000, "heartbeat.interval.ms": 1000}
    return {}
