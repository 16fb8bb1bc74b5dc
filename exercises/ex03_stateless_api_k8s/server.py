"""Serve the API with uvicorn: `python -m exercises.ex03_stateless_api_k8s.server`.

The container's entry point and what `bootcamp run ex03` starts. Uvicorn owns SIGTERM/SIGINT: it stops
accepting connections, lets in-flight requests finish (up to `GRACEFUL_SHUTDOWN_S`), then runs the
app's lifespan shutdown, which flips readiness to 503 and closes the Redis pool. Kubernetes sends
SIGTERM when it deletes a pod; the Deployment's preStop sleep gives the endpoints controller time to
take the pod out of the Service first, so no new request arrives at a closing socket.
"""

from __future__ import annotations

import importlib
import os
import signal
import sys

import uvicorn
from fastapi import FastAPI

from exercises.ex03_stateless_api_k8s.config import ApiSettings

PACKAGE = "exercises.ex03_stateless_api_k8s"


def build_app(settings: ApiSettings | None = None) -> FastAPI:
    """The app of the implementation named by BOOTCAMP_IMPL (solution unless the tests say starter)."""
    impl = os.environ.get("BOOTCAMP_IMPL", "solution")
    module = importlib.import_module(f"{PACKAGE}.{impl}.app")
    app: FastAPI = module.create_app(settings=settings or ApiSettings())
    return app


def main() -> None:
    settings = ApiSettings()
    config = uvicorn.Config(
        build_app(settings), host=settings.host, port=settings.port, log_level=settings.log_level,
        timeout_graceful_shutdown=settings.graceful_shutdown_s, access_log=False,
        proxy_headers=True, server_header=False, lifespan="on")
    # Uvicorn handles SIGTERM/SIGINT itself, then re-raises the signal once it has shut down cleanly.
    # These handlers receive that re-raised signal and turn it into exit status 0: the shutdown was
    # orderly, and a process manager should not report it as a crash.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _exit_cleanly)
    uvicorn.Server(config).run()


def _exit_cleanly(_signum: int, _frame: object) -> None:
    sys.exit(0)


if __name__ == "__main__":
    main()
