"""The Cassandra and InfluxDB services' configuration, checked without starting them (the exercise
that uses them, ex10, starts both for real in its own tests)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bootcamp import requirements
from bootcamp.cassandra import parse_contact_points
from bootcamp.services.cassandra import JVM17_SERVER_OPTIONS, CassandraService, cassandra_yaml, java17
from bootcamp.services.influxdb import influxdb_conf


def test_cassandra_yaml_binds_loopback_and_keeps_its_files_under_home(tmp_path: Path) -> None:
    text = cassandra_yaml(19042, 17000, tmp_path)
    for line in ("listen_address: 127.0.0.1", "rpc_address: 127.0.0.1", "native_transport_port: 19042",
                 "storage_port: 17000", "auto_bootstrap: false", "num_tokens: 4"):
        assert line in text
    for key in ("commitlog_directory", "saved_caches_directory", "hints_directory", "cdc_raw_directory"):
        assert f"{key}: {tmp_path / 'data'}" in text


def test_cassandra_runs_on_java_17_with_its_jvm17_flags_and_the_jamm_agent() -> None:
    java = java17()
    assert java is not None
    assert requirements.java_major_version(java) == 17
    assert "--add-opens" in JVM17_SERVER_OPTIONS
    assert "java.base/jdk.internal.misc=ALL-UNNAMED" in JVM17_SERVER_OPTIONS
    service = CassandraService()
    argv = service.command(19042, service.home / "data")
    assert argv[0] == java
    assert argv[-1] == "org.apache.cassandra.service.CassandraDaemon"
    assert any(a.startswith("-javaagent:") and "jamm-" in a for a in argv), "the jamm agent"
    assert "-Xmx512m" in argv
    assert "-Dcassandra.skip_wait_for_gossip_to_settle=0" in argv


def test_influxdb_conf_binds_loopback_and_disables_reporting(tmp_path: Path) -> None:
    text = influxdb_conf(18086, 18088, tmp_path)
    assert 'bind-address = "127.0.0.1:18086"' in text
    assert 'bind-address = "127.0.0.1:18088"' in text
    assert "reporting-disabled = true" in text
    for key in ("meta", "data", "wal"):
        assert str(tmp_path / "data" / key) in text


@pytest.mark.parametrize(("raw", "expected"), [
    ("127.0.0.1:9042", (["127.0.0.1"], 9042)),
    ("a.example:9142,b.example:9142", (["a.example", "b.example"], 9142)),
    ("node1, node2", (["node1", "node2"], 9042)),
])
def test_contact_points_parse(raw: str, expected: tuple[list[str], int]) -> None:
    assert parse_contact_points(raw) == expected
