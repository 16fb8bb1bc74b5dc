"""The local InfluxDB: Debian's `influxd` 1.6 with the project's own configuration file.

Debian packages InfluxDB 1.6.7 (`apt-get install influxdb`). InfluxDB 1.13 from the Go module proxy
was tried first: `go install github.com/influxdata/influxdb/cmd/influxd@v1.13.2` stops at
`github.com/influxdata/flux/libflux`, which needs the Rust-built libflux through pkg-config, so it
cannot be built from the module proxy alone. 1.6 speaks the 1.x HTTP API (`/write` with line
protocol, `/query` with InfluxQL, `/ping`) and has no `/api/v2` compatibility endpoints (those came
in 1.8); exercise READMEs say what changes for InfluxDB 2.x, Cloud (v2) and 3.x.

The server is never the system one: `influxdb.conf` is written here at each start with the HTTP API
on 127.0.0.1 and the service's port (8086 when free), the RPC (backup) port on another free
loopback port, meta, data and WAL under `.bootcamp/influxdb/`, usage reporting off, no self-monitoring
database, and every other listener (graphite, collectd, opentsdb, udp, ifql) off.

Ready means `SHOW DATABASES` answers on `/query`. `INFLUXDB_URL` replaces it with any InfluxDB
(InfluxDB Cloud: also `INFLUXDB_TOKEN`, `INFLUXDB_ORG`, `INFLUXDB_BUCKET`); then nothing is started.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import ClassVar

import httpx

from bootcamp import requirements
from bootcamp.services.base import LOCALHOST, Requirement, Service, free_port, port_is_free


def influxdb_conf(port: int, rpc_port: int, home: Path) -> str:
    """influxd's configuration: loopback only, its files under `home`, nothing but the HTTP API."""
    data = home / "data"
    return f"""\
# Written by bootcamp at each start (bootcamp/services/influxdb.py); edits here are overwritten.
reporting-enabled = false
reporting-disabled = true
bind-address = "{LOCALHOST}:{rpc_port}"

[meta]
  dir = "{data / 'meta'}"
  retention-autocreate = true
  logging-enabled = false

[data]
  dir = "{data / 'data'}"
  wal-dir = "{data / 'wal'}"
  index-version = "inmem"
  query-log-enabled = false
  wal-fsync-delay = "0s"

[monitor]
  store-enabled = false

[http]
  enabled = true
  bind-address = "{LOCALHOST}:{port}"
  auth-enabled = false
  log-enabled = false
  pprof-enabled = false

[logging]
  level = "warn"
  suppress-logo = true

[ifql]
  enabled = false

[continuous_queries]
  enabled = false
"""


class InfluxDBService(Service):
    name: ClassVar[str] = "influxdb"
    description: ClassVar[str] = "InfluxDB 1.6 (Debian influxd, the project's own config)"
    endpoint_env: ClassVar[str] = "INFLUXDB_URL"
    default_port: ClassVar[int] = 8086
    port_env: ClassVar[str | None] = "BOOTCAMP_INFLUXDB_PORT"
    start_timeout_s: ClassVar[float] = 60.0

    def requirements(self) -> list[Requirement]:
        return [requirements.command("influxd", "influxdb")]

    def endpoint_for(self, port: int) -> str:
        return f"http://{LOCALHOST}:{port}"

    def _rpc_port(self, http_port: int) -> int:
        path = self.home / "ports.json"
        try:
            port = int(json.loads(path.read_text())["rpc"])
        except (OSError, ValueError, KeyError, TypeError):
            port = 0
        if not (port and port != http_port and port_is_free(port)):
            port = free_port()
        return port

    def command(self, port: int, data_dir: Path) -> list[str]:
        influxd = shutil.which("influxd")
        assert influxd is not None, "requirements() guards this"
        rpc = self._rpc_port(port)
        (self.home / "ports.json").write_text(json.dumps({"http": port, "rpc": rpc}))
        config = self.home / "influxdb.conf"
        config.write_text(influxdb_conf(port, rpc, self.home))
        return [influxd, "run", "-config", str(config)]

    def is_healthy(self, endpoint: str) -> bool:
        """`SHOW DATABASES` answers on /query: the HTTP API serves InfluxQL."""
        try:
            response = httpx.get(f"{endpoint.rstrip('/')}/query", params={"q": "SHOW DATABASES"}, timeout=2.0)
        except httpx.HTTPError:
            return False
        return response.status_code == 200 and "results" in response.text
