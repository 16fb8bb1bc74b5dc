"""The Bookstore API (ex06) as a platform service: the reference FastAPI app under uvicorn.

It is a plain HTTP service like any other the project starts: its own session, a free port, readiness
by `GET /health`. `BOOKSTORE_URL` points clients at another instance instead (Cloud Run, App Engine).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import ClassVar

import httpx

from bootcamp.paths import REPO_ROOT
from bootcamp.services.base import LOCALHOST, Requirement, Service

APP = "exercises.ex06_pubsub_enrichment.solution.bookstore_api:app"


class BookstoreService(Service):
    name: ClassVar[str] = "bookstore"
    description: ClassVar[str] = "the ex06 Bookstore API (FastAPI under uvicorn)"
    endpoint_env: ClassVar[str] = "BOOKSTORE_URL"
    default_port: ClassVar[int] = 8090
    port_env: ClassVar[str | None] = "BOOTCAMP_BOOKSTORE_PORT"
    start_timeout_s: ClassVar[float] = 60.0

    def requirements(self) -> list[Requirement]:
        return [Requirement("uvicorn and fastapi (PyPI)",
                            all(importlib.util.find_spec(m) for m in ("uvicorn", "fastapi")), "uv sync")]

    def command(self, port: int, data_dir: Path) -> list[str]:
        return [sys.executable, "-m", "uvicorn", APP, "--app-dir", str(REPO_ROOT), "--host", LOCALHOST,
                "--port", str(port), "--no-access-log"]

    def endpoint_for(self, port: int) -> str:
        return f"http://{LOCALHOST}:{port}"

    def is_healthy(self, endpoint: str) -> bool:
        try:
            response = httpx.get(f"{endpoint.rstrip('/')}/health", timeout=1.5)
        except httpx.HTTPError:
            return False
        return response.status_code == 200 and response.json().get("status") == "ok"
