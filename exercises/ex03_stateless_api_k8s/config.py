"""The API's configuration, from the environment only: the same image runs locally and on GKE/EKS/AKS.

`STORE=redis` with `REDIS_URL` is what a Deployment with several replicas must use; `STORE=memory` is
the seed's in-memory dictionary, kept to show (and test) why it breaks as soon as there are two pods.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ApiSettings(BaseSettings):
    """Settings read from `STORE`, `REDIS_URL`, `REDIS_NAMESPACE`, `HOST`, `PORT`, ..."""

    model_config = SettingsConfigDict(extra="ignore")

    store: Literal["memory", "redis"] = "memory"
    redis_url: str = "redis://127.0.0.1:6379/0"
    # Every key the API writes starts with this prefix, so several APIs (or tests) can share one Redis.
    redis_namespace: str = Field(default="books", pattern=r"^[A-Za-z0-9_.:-]{1,64}$")
    redis_timeout_s: float = Field(default=2.0, gt=0)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    # Seconds uvicorn waits for in-flight requests after SIGTERM before closing connections.
    graceful_shutdown_s: int = Field(default=10, ge=0)
    page_max: int = Field(default=100, ge=1)
    # The largest request body accepted; larger ones get 413 before they are read. A book is well under
    # 4 KiB even with every field at its maximum length; 64 KiB leaves room for JSON escapes.
    max_body_bytes: int = Field(default=64 * 1024, ge=0)
    # Which route serves GET /books/{id}: a plain Starlette endpoint (fast), or the FastAPI route with
    # dependency injection and parameter validation (what the bench compares it with).
    read_path: Literal["starlette", "fastapi"] = "starlette"
    # FastAPI's native OpenTelemetry (spans, metrics, logs through the global providers). Off unless
    # you configure a provider: unconfigured, it records nothing but still looks the providers up on
    # every request.
    telemetry: bool = False
    log_level: Literal["critical", "error", "warning", "info", "debug"] = "info"
