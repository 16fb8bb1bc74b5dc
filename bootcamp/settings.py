"""Every endpoint and credential comes from the environment, with local defaults.

The same code runs against the project's local services and against managed ones: set
`KAFKA_BOOTSTRAP_SERVERS` (and the security settings below) and every script talks to Confluent Cloud,
Amazon MSK or the Azure Event Hubs Kafka endpoint instead of the local broker. Unset, the address of
the broker that `bootcamp up kafka` started is used.
"""

from __future__ import annotations

from typing import Literal

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"]


class KafkaSettings(BaseSettings):
    """Connection settings for any Kafka-protocol broker.

    Confluent Cloud: SASL_SSL + PLAIN with an API key and secret. MSK: SASL_SSL + SCRAM-SHA-512.
    Event Hubs: SASL_SSL + PLAIN, username `$ConnectionString`, password the namespace connection
    string. The local broker: nothing at all.
    """

    model_config = SettingsConfigDict(env_prefix="KAFKA_", extra="ignore")

    bootstrap_servers: str | None = None
    security_protocol: SecurityProtocol = "PLAINTEXT"
    sasl_mechanism: SaslMechanism | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_ca_location: str | None = None
    client_id: str = "bootcamp"
