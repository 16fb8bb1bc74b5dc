"""Shared fixtures: the real Cassandra and InfluxDB (started once per test session and shared with
every other test file through the platform's `local_service`), one small known dataset, and a proxy
that takes InfluxDB away."""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from bootcamp.cassandra import cluster_from_env
from exercises.ex10_anomaly_detection import generator
from exercises.ex10_anomaly_detection.influx import InfluxSettings
from exercises.ex10_anomaly_detection.records import TABLE, create_schema

KEYSPACE = "ex10_test"


@pytest.fixture(scope="session")
def cassandra(local_service: Callable[[str], str]) -> str:
    """The Cassandra node's host:port (also exported as CASSANDRA_CONTACT_POINTS)."""
    return local_service("cassandra")


@pytest.fixture(scope="session")
def influxdb_url(local_service: Callable[[str], str]) -> str:
    """InfluxDB's URL (also exported as INFLUXDB_URL)."""
    return local_service("influxdb")


@pytest.fixture(scope="session")
def session(cassandra: str) -> Iterator[Any]:
    cluster = cluster_from_env(cassandra)
    yield cluster.connect()
    cluster.shutdown()


@dataclass(frozen=True)
class Dataset:
    keyspace: str
    series: list[generator.Series]
    rows: int   # every row written, the bad ones included
    bad: int

    def labelled(self) -> set[tuple[str, int]]:
        """(device_id, time in ms) of every injected anomaly."""
        return {(device, int(ts.timestamp() * 1000)) for s in self.series for device, ts in s.labelled()}


@pytest.fixture(scope="session")
def dataset(session: Any) -> Iterator[Dataset]:
    """Four devices over three days at 15-minute steps (dev-000 and dev-003 share a site but not a
    level), with labelled anomalies, plus three bad rows (null, NaN, time outside its bucket)."""
    keyspace = f"{KEYSPACE}_{uuid.uuid4().hex[:8]}"  # the grader's children share the node: one each
    create_schema(session, keyspace)
    series = generator.generate(4, 3, seed=10)
    bad = generator.bad_rows()
    written = generator.write_rows(session, keyspace, generator.rows_of(series) + bad)
    yield Dataset(keyspace, series, written, len(bad))
    session.execute(f"DROP KEYSPACE IF EXISTS {keyspace}")


@pytest.fixture(scope="session")
def full_scan(session: Any, dataset: Dataset) -> list[tuple[str, Any, Any]]:
    """Every row's primary key, by a plain full-table read."""
    rows = session.execute(f"SELECT device_id, day, ts FROM {dataset.keyspace}.{TABLE}")
    return [(r.device_id, r.day, r.ts) for r in rows]


@pytest.fixture
def influx_settings(influxdb_url: str, request: pytest.FixtureRequest) -> InfluxSettings:
    """A database of its own for each test (dropped first), so counts are this test's alone."""
    from exercises.ex10_anomaly_detection.influx import drop_database

    name = "t_" + "".join(c if c.isalnum() else "_" for c in request.node.name)[:60]
    settings = InfluxSettings(url=influxdb_url, database=name, attempts=4, max_wait_s=0.2)
    drop_database(settings)
    return settings


class DroppingProxy:
    """A TCP proxy to InfluxDB that resets the connections numbered in `drop` (1 = the first) and
    relays the others: InfluxDB 'going away' at a chosen moment, deterministically."""

    def __init__(self, target: tuple[str, int], drop: Callable[[int], bool]) -> None:
        self.target = target
        self.drop = drop
        self.accepted = 0
        self.dropped = 0
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            self.accepted += 1
            if self.drop(self.accepted):
                self.dropped += 1
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                client.close()  # an RST: "connection reset by peer"
                continue
            upstream = socket.create_connection(self.target)
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self._server.close()


@pytest.fixture
def proxy(influxdb_url: str) -> Iterator[Callable[[Callable[[int], bool]], DroppingProxy]]:
    made: list[DroppingProxy] = []
    host, port = influxdb_url.removeprefix("http://").rsplit(":", 1)

    def make(drop: Callable[[int], bool]) -> DroppingProxy:
        made.append(DroppingProxy((host, int(port)), drop))
        return made[-1]

    yield make
    for p in made:
        p.close()
