"""Local replicas: the API (or the bare Starlette baseline) as real uvicorn processes on free ports.

`bootcamp run ex03`, `bootcamp bench ex03` and the tests start servers the same way a pod does:
`python -m exercises.ex03_stateless_api_k8s.server` with settings in the environment. Each runs in its own
session and is stopped by SIGTERM to its process group (SIGKILL if it will not go).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bootcamp.paths import REPO_ROOT
from bootcamp.services.base import free_port

SERVER_MODULE = "exercises.ex03_stateless_api_k8s.server"
BARE_MODULE = "exercises.ex03_stateless_api_k8s.bare"


@dataclass
class ServerProcess:
    """One server process (a replica); `launch`, then `wait_ready`, then `stop`."""

    env: dict[str, str]
    log: Path
    module: str = SERVER_MODULE
    ready_path: str = "/healthz"
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def launch(self) -> ServerProcess:
        env = {**os.environ, **self.env, "PORT": str(self.port), "HOST": "127.0.0.1"}
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as handle:
            self.process = subprocess.Popen([sys.executable, "-m", self.module], cwd=REPO_ROOT, env=env,
                                            stdout=handle, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        return self

    def wait_ready(self, timeout_s: float = 30.0) -> ServerProcess:
        assert self.process is not None, "launch() first"
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = self.log.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"server exited with {self.process.returncode}: {tail}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.url}{self.ready_path}", timeout=1).status_code == 200:
                    return self
            time.sleep(0.1)
        tail = self.log.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"server not up within {timeout_s}s: {tail}")

    def signal(self, sig: signal.Signals) -> None:
        assert self.process is not None
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)

    def wait(self, timeout_s: float = 15.0) -> int:
        assert self.process is not None
        return self.process.wait(timeout_s)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.signal(signal.SIGKILL)
                self.process.wait(5)


@contextlib.contextmanager
def replicas(count: int, env: dict[str, str], log_dir: Path, module: str = SERVER_MODULE,
             ready_path: str = "/healthz") -> Iterator[list[ServerProcess]]:
    """`count` servers started together (startup is mostly imports, so in parallel), all stopped after."""
    started = [ServerProcess(env=env, log=log_dir / f"replica-{i}.log", module=module,
                             ready_path=ready_path).launch() for i in range(count)]
    try:
        yield [server.wait_ready() for server in started]
    finally:
        for server in started:
            server.stop()
