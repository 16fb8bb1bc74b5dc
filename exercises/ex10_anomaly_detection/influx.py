"""Writing anomalies to InfluxDB: the 1.x HTTP API through the `influxdb` client, retried.

Configuration, from the environment (the local service exports INFLUXDB_URL):

- `INFLUXDB_URL`: `http://127.0.0.1:8086` locally; `https://<region>.cloud2.influxdata.com` for
  InfluxDB Cloud.
- `INFLUXDB_DATABASE` (default `ex10`): the 1.x database; on Cloud, the database name of the DBRP
  mapping to the bucket.
- `INFLUXDB_TOKEN`: an API token, read from the environment when the client is made (so it is never
  part of a pickled pipeline). Set, every request carries `Authorization: Token ...` (the
  v1-compatibility API of InfluxDB 2.x and Cloud accepts it) and the database is not created (on
  Cloud the bucket and its mapping are made once, by the deploy step).
- `INFLUXDB_USERNAME` / `INFLUXDB_PASSWORD`: 1.x authentication, when enabled.

The client turns the point dicts into line protocol and POSTs them to `/write?db=...&precision=ms`.
Its own retry loop is switched off (`retries=1`: one try per call; 0 would mean "forever"), so that
the retry policy is one visible thing here: tenacity, exponential back-off, a bounded number of
attempts, on transient failures only (connection refused or reset, timeouts, 5xx). A 4xx is the
request's fault and is not retried. What still fails is returned to the caller as failed points,
never dropped.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import requests
from influxdb import InfluxDBClient
from influxdb.exceptions import InfluxDBClientError, InfluxDBServerError
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from exercises.ex10_anomaly_detection.records import MEASUREMENT

DEFAULT_DATABASE = "ex10"


def transient(exc: BaseException) -> bool:
    """Worth another try: the server is away or overloaded, not the request wrong."""
    if isinstance(exc, requests.exceptions.ConnectionError | requests.exceptions.Timeout
                  | InfluxDBServerError):
        return True
    return isinstance(exc, InfluxDBClientError) and exc.code >= 500


@dataclass(frozen=True)
class InfluxSettings:
    url: str
    database: str = DEFAULT_DATABASE
    token: str | None = None
    username: str | None = None
    password: str | None = None
    attempts: int = 6
    max_wait_s: float = 2.0
    timeout_s: float = 5.0

    @classmethod
    def from_env(cls, **overrides: Any) -> InfluxSettings:
        url = overrides.pop("url", None) or os.environ.get("INFLUXDB_URL")
        if not url:
            raise RuntimeError("INFLUXDB_URL is not set (bootcamp up influxdb exports it)")
        values: dict[str, Any] = {
            "url": url, "database": os.environ.get("INFLUXDB_DATABASE", DEFAULT_DATABASE),
            "token": os.environ.get("INFLUXDB_TOKEN") or None,
            "username": os.environ.get("INFLUXDB_USERNAME") or None,
            "password": os.environ.get("INFLUXDB_PASSWORD") or None,
        }
        return cls(**{**values, **overrides})


def client_for(settings: InfluxSettings) -> InfluxDBClient:
    parsed = urlparse(settings.url)
    secure = parsed.scheme == "https"
    token = settings.token or os.environ.get("INFLUXDB_TOKEN")
    headers = {"Authorization": f"Token {token}"} if token else None
    return InfluxDBClient(host=parsed.hostname or "127.0.0.1", port=parsed.port or (443 if secure else 8086),
                          username=settings.username or "", password=settings.password or "",
                          database=settings.database, ssl=secure, verify_ssl=secure,
                          timeout=settings.timeout_s, retries=1, path=parsed.path.strip("/"),
                          headers=headers)


class AnomalySink:
    """Writes point batches with retries; `write` returns how many points were written."""

    def __init__(self, settings: InfluxSettings) -> None:
        self.settings = settings
        self.client = client_for(settings)
        self.attempts_made = 0

    def ensure_database(self) -> None:
        """CREATE DATABASE (idempotent in 1.x); not on Cloud, where the bucket exists already."""
        if not (self.settings.token or os.environ.get("INFLUXDB_TOKEN")):
            self._retrying()(self.client.create_database, self.settings.database)

    def _retrying(self) -> Retrying:
        return Retrying(stop=stop_after_attempt(self.settings.attempts),
                        wait=wait_exponential(multiplier=0.1, max=self.settings.max_wait_s),
                        retry=retry_if_exception(transient), reraise=True)

    def _write_once(self, points: Sequence[dict[str, Any]]) -> None:
        self.attempts_made += 1
        self.client.write_points(list(points), time_precision="ms", database=self.settings.database)

    def write(self, points: Sequence[dict[str, Any]]) -> int:
        """Write one batch; raises the last error when every attempt failed (or a 4xx at once)."""
        if points:
            self._retrying()(self._write_once, points)
        return len(points)

    def close(self) -> None:
        self.client.close()


def _literal(text: str) -> str:
    """An InfluxQL string literal (InfluxDB 1.6 has no bound parameters)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def count_points(settings: InfluxSettings, detector: str | None = None) -> int:
    """How many anomaly points the database holds (for one detector, or all)."""
    client = client_for(settings)
    try:
        where = f" WHERE detector = {_literal(detector)}" if detector else ""
        result = client.query(f'SELECT COUNT("value") FROM "{MEASUREMENT}"{where}')  # noqa: S608  # quoted
        rows = list(result.get_points())
        return int(rows[0]["count"]) if rows else 0
    finally:
        client.close()


def anomaly_keys(settings: InfluxSettings, detector: str) -> set[tuple[str, int]]:
    """(device_id, time in ms) of every point one detector wrote: what the scores are computed from."""
    client = client_for(settings)
    try:
        query = f'SELECT "value", "device_id" FROM "{MEASUREMENT}" WHERE detector = {_literal(detector)}'  # noqa: S608
        result = client.query(query, epoch="ms")
        return {(str(row["device_id"]), int(row["time"])) for row in result.get_points()}
    finally:
        client.close()


def drop_database(settings: InfluxSettings) -> None:
    client = client_for(settings)
    try:
        client.drop_database(settings.database)
    finally:
        client.close()
