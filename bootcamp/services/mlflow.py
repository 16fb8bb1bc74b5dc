"""The local MLflow tracking server and Model Registry: PyPI's `mlflow server`, run by the project.

It runs in the foreground on 127.0.0.1 with one worker (the machine is small, and one uvicorn worker
serves a course's load), a SQLite backend store (runs, metrics and the Model Registry) at
`.bootcamp/mlflow/data/mlflow.db`, and proxied artifact serving (`--serve-artifacts`, the default)
rooted at `.bootcamp/mlflow/data/artifacts`: clients upload and download models over HTTP
(`mlflow-artifacts:/` URIs), so they never need the server's disk, exactly as with a remote server
whose artifacts live in S3 or GCS. Readiness is a real `GET /health` answered `OK`.

Telemetry is off for the server and for every client pointed at it (`MLFLOW_DISABLE_TELEMETRY=true`,
and the cross-tool `DO_NOT_TRACK=true`, both read by `mlflow.telemetry.utils.is_telemetry_disabled`).

`MLFLOW_TRACKING_URI` (e.g. `https://mlflow.example.com`, or `databricks`) replaces it with any real
tracking server; the exercises' code then registers and loads models there instead.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import ClassVar

import httpx

from bootcamp.services.base import LOCALHOST, Requirement, Service

TELEMETRY_OFF = {"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}
"""What turns MLflow's usage telemetry off, for the server and for its clients."""


class MlflowService(Service):
    name: ClassVar[str] = "mlflow"
    description: ClassVar[str] = "MLflow 3 tracking server + Model Registry (SQLite, proxied artifacts)"
    endpoint_env: ClassVar[str] = "MLFLOW_TRACKING_URI"
    default_port: ClassVar[int] = 5000
    port_env: ClassVar[str | None] = "BOOTCAMP_MLFLOW_PORT"
    start_timeout_s: ClassVar[float] = 90.0  # first start migrates the SQLite schema (alembic), ~10 s here

    def requirements(self) -> list[Requirement]:
        return [Requirement("the mlflow Python package (PyPI mlflow, in the project's lock)",
                            importlib.util.find_spec("mlflow") is not None,
                            "uv sync (or bash scripts/setup.sh)")]

    def command(self, port: int, data_dir: Path) -> list[str]:
        # `python -m mlflow`, not the console script: /proc/<pid>/cmdline of a script starts with the
        # interpreter, and `stop` compares argv[0] with what it recorded before signalling.
        return [sys.executable, "-m", "mlflow", "server",
                "--host", LOCALHOST, "--port", str(port), "--workers", "1",
                "--backend-store-uri", f"sqlite:///{data_dir / 'mlflow.db'}",
                "--artifacts-destination", str(data_dir / "artifacts")]

    def endpoint_for(self, port: int) -> str:
        return f"http://{LOCALHOST}:{port}"

    def env_for(self, endpoint: str) -> dict[str, str]:
        return {self.endpoint_env: endpoint, **TELEMETRY_OFF}

    def extra_env(self) -> dict[str, str]:
        return dict(TELEMETRY_OFF)

    def is_healthy(self, endpoint: str) -> bool:
        """`GET /health` answered 200 `OK`: the app is up (not merely the socket)."""
        if not endpoint.startswith("http"):
            return False
        try:
            response = httpx.get(f"{endpoint}/health", timeout=2.0)
        except httpx.HTTPError:
            return False
        return response.status_code == 200 and response.text.strip() == "OK"
