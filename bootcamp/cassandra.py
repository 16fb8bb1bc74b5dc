"""Connecting to Cassandra the same way locally and in the cloud, configured by the environment.

- `CASSANDRA_CONTACT_POINTS`: `host[:port]`, comma-separated (the local node exports its own).
- `CASSANDRA_LOCAL_DC`: the data centre the load-balancing policy prefers (`datacenter1` locally,
  the region for Amazon Keyspaces, the DC name Aiven shows).
- `CASSANDRA_USERNAME` / `CASSANDRA_PASSWORD`: PLAIN authentication (Aiven, Keyspaces'
  service-specific credentials; Astra's `token` and its application token).
- `CASSANDRA_SSL_CA`: a CA certificate file; set, the driver speaks TLS and verifies the server
  (Aiven's project CA, Keyspaces' Starfield/Amazon root).
- `CASSANDRA_SECURE_CONNECT_BUNDLE`: Astra DB's bundle zip (it carries the contact points and TLS).
- `CASSANDRA_CONSISTENCY`: the default consistency level (`LOCAL_ONE`, the driver's own default;
  Amazon Keyspaces writes need `LOCAL_QUORUM`).

The load-balancing policy is token-aware over DC-aware round robin: a statement whose routing key is
known (a prepared statement bound with its partition key) goes straight to a replica of that
partition, saving the coordinator hop.
"""

from __future__ import annotations

import os
import ssl
from typing import Any

LOCAL_DC = "datacenter1"  # what SimpleSnitch calls the one data centre


def parse_contact_points(raw: str) -> tuple[list[str], int]:
    """`"a:9142,b"` -> (["a", "b"], 9142): the driver takes one port for all contact points."""
    hosts: list[str] = []
    port = 9042
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        host, _, maybe_port = item.rpartition(":") if item.count(":") == 1 else (item, "", "")
        hosts.append(host)
        if maybe_port:
            port = int(maybe_port)
    if not hosts:
        raise ValueError(f"no contact point in {raw!r}")
    return hosts, port


def cluster_from_env(contact_points: str | None = None, *, connect_timeout: float = 10.0,
                     request_timeout: float = 30.0) -> Any:
    """A `cassandra.cluster.Cluster` for `contact_points` (default: `CASSANDRA_CONTACT_POINTS`)."""
    from cassandra import ConsistencyLevel
    from cassandra.auth import PlainTextAuthProvider
    from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
    from cassandra.policies import DCAwareRoundRobinPolicy, TokenAwarePolicy

    dc = os.environ.get("CASSANDRA_LOCAL_DC", LOCAL_DC)
    consistency = ConsistencyLevel.name_to_value[os.environ.get("CASSANDRA_CONSISTENCY", "LOCAL_ONE")]
    profile = ExecutionProfile(load_balancing_policy=TokenAwarePolicy(DCAwareRoundRobinPolicy(local_dc=dc)),
                               request_timeout=request_timeout, consistency_level=consistency)
    options: dict[str, Any] = {"execution_profiles": {EXEC_PROFILE_DEFAULT: profile},
                               "connect_timeout": connect_timeout, "protocol_version": 5}
    user, password = os.environ.get("CASSANDRA_USERNAME"), os.environ.get("CASSANDRA_PASSWORD")
    if user and password:
        options["auth_provider"] = PlainTextAuthProvider(username=user, password=password)
    bundle = os.environ.get("CASSANDRA_SECURE_CONNECT_BUNDLE")
    if bundle:
        options["cloud"] = {"secure_connect_bundle": bundle}
        options.pop("protocol_version")
        return Cluster(**options)
    ca = os.environ.get("CASSANDRA_SSL_CA")
    if ca:
        context = ssl.create_default_context(cafile=ca)
        options["ssl_context"] = context
    raw = contact_points or os.environ.get("CASSANDRA_CONTACT_POINTS", "127.0.0.1:9042")
    hosts, port = parse_contact_points(raw)
    if ca:
        options["ssl_options"] = {"server_hostname": hosts[0]}
    return Cluster(hosts, port=port, **options)


def cql_answers(endpoint: str) -> bool:
    """True when the node at `endpoint` answers a CQL query (the readiness probe)."""
    from cassandra.cluster import NoHostAvailable

    cluster = cluster_from_env(endpoint, connect_timeout=2.0, request_timeout=5.0)
    try:
        session = cluster.connect()
        row = session.execute("SELECT release_version FROM system.local").one()
        return row is not None
    except (NoHostAvailable, OSError, Exception):  # any failure means "not ready yet"
        return False
    finally:
        cluster.shutdown()
