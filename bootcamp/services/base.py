"""The one small interface every local service implements, and the process plumbing they share.

A service runs as a child in its own session (so it outlives `bootcamp up` and can be killed as a
process group), binds to 127.0.0.1 on its conventional port when free or any free port otherwise, and
keeps its data, log and state file under `.bootcamp/<name>/`. The state file records the pid and the
program, so `stop` never signals a process that merely reused the pid. Readiness is a real request
(a Kafka metadata call, an HTTP GET), never "the port is open".

Every service can instead be an external endpoint named by an environment variable; then the project
starts nothing and the same code talks to that endpoint.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import socket
import subprocess
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import psutil

from bootcamp.errors import BootcampError
from bootcamp.paths import service_dir

LOCALHOST = "127.0.0.1"


@dataclass(frozen=True)
class Requirement:
    """Something a service needs on the machine, whether it is there, and how to get it."""

    what: str
    present: bool
    fix: str
    optional: bool = False  # the project works without it (what needs it is left out); doctor still lists it


@dataclass(frozen=True)
class ServiceStatus:
    """What `bootcamp status` shows for one service."""

    name: str
    state: str  # "running", "stopped", "external", "stale"
    endpoint: str | None
    pid: int | None
    log: Path | None


def port_is_free(port: int, host: str = LOCALHOST) -> bool:
    """True when nothing listens on host:port (checked by binding, the only reliable test).

    The probe binds with SO_REUSEADDR, as every server here does (asyncio, Java, Redis, PostgreSQL):
    connections of a server stopped a moment ago linger in TIME_WAIT for a minute, and a plain bind
    counts them as a live server, so `bootcamp down` then `up` on a pinned port would fail. With
    SO_REUSEADDR, Linux still refuses the bind while any socket listens on the port.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def held_by_another(server_pid: int, port: int) -> bool:
    """True when the process listening on `port` is known and is neither `server_pid` nor one of its
    descendants: a health check on that port is then answered by another server, not by ours.

    False when nothing listens yet, or when the listener's owner cannot be seen (sockets of another
    user show no pid to a non-root user): the health check alone decides then, as before.
    """
    try:
        listeners = {c.pid for c in psutil.net_connections(kind="tcp")
                     if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port and c.pid}
        if not listeners:
            return False
        server = psutil.Process(server_pid)
        ours = {server_pid, *(child.pid for child in server.children(recursive=True))}
    except psutil.Error:
        return False
    return not listeners & ours


def free_port(host: str = LOCALHOST) -> int:
    """A port the kernel says is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def pid_alive(pid: int) -> bool:
    """True when `pid` exists and is not a zombie (reaping it if it is our own child)."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def _cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


class _LostPortRace(Exception):
    """The server exited while starting, and its port is now someone else's."""


class Service(ABC):
    """A local server the project starts and stops itself, or an external endpoint."""

    name: ClassVar[str]
    description: ClassVar[str]
    endpoint_env: ClassVar[str]
    default_port: ClassVar[int]
    port_env: ClassVar[str | None] = None
    start_timeout_s: ClassVar[float] = 60.0

    # -- what each service defines -------------------------------------------------------------
    @abstractmethod
    def command(self, port: int, data_dir: Path) -> list[str]:
        """The argv that runs the server in the foreground on 127.0.0.1:port."""

    @abstractmethod
    def is_healthy(self, endpoint: str) -> bool:
        """A real request to the server; True when it answered correctly."""

    def requirements(self) -> list[Requirement]:
        """What the machine must have for `start` to work (shown by `bootcamp doctor`)."""
        return []

    def endpoint_for(self, port: int) -> str:
        """How clients address the server on that port (host:port unless a URL is conventional)."""
        return f"{LOCALHOST}:{port}"

    def env_for(self, endpoint: str) -> dict[str, str]:
        """The environment that points clients at `endpoint`."""
        return {self.endpoint_env: endpoint}

    def extra_env(self) -> dict[str, str]:
        """Environment for the server process itself (beyond the caller's)."""
        return {}

    # -- paths ---------------------------------------------------------------------------------
    @property
    def home(self) -> Path:
        return service_dir(self.name)

    @property
    def log_path(self) -> Path:
        return self.home / f"{self.name}.log"

    @property
    def state_path(self) -> Path:
        return self.home / "state.json"

    # -- state ---------------------------------------------------------------------------------
    def external_endpoint(self) -> str | None:
        """The endpoint named by the environment, if the user pointed us elsewhere."""
        return os.environ.get(self.endpoint_env) or None

    def _read_state(self) -> dict[str, object] | None:
        try:
            loaded: dict[str, object] = json.loads(self.state_path.read_text())
        except (OSError, ValueError):
            return None
        return loaded

    def _owned_pid(self) -> int | None:
        """The recorded pid if that process is alive and is still the program we started."""
        state = self._read_state()
        if not state:
            return None
        pid = state.get("pid")
        program = state.get("program")
        if not isinstance(pid, int) or not pid_alive(pid):
            return None
        cmdline = _cmdline(pid)
        if not cmdline or cmdline[0] != program:
            return None
        return pid

    def running_endpoint(self) -> str | None:
        """The endpoint of the server we started, if it is up and answering."""
        if self._owned_pid() is None:
            return None
        state = self._read_state() or {}
        endpoint = state.get("endpoint")
        if isinstance(endpoint, str) and self.is_healthy(endpoint):
            return endpoint
        return None

    def status(self) -> ServiceStatus:
        external = self.external_endpoint()
        if external:
            return ServiceStatus(self.name, "external", external, None, None)
        pid = self._owned_pid()
        state = self._read_state() or {}
        recorded = state.get("endpoint")
        endpoint = recorded if isinstance(recorded, str) else None
        if pid is None:
            return ServiceStatus(self.name, "stopped", None, None, None)
        healthy = isinstance(endpoint, str) and self.is_healthy(endpoint)
        return ServiceStatus(self.name, "running" if healthy else "stale", endpoint, pid, self.log_path)

    # -- lifecycle -----------------------------------------------------------------------------
    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        """Serialise start/stop between `bootcamp up`, pytest workers and scripts."""
        with (self.home / "lock").open("w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _choose_port(self) -> int:
        if self.port_env and os.environ.get(self.port_env):
            raw = os.environ[self.port_env]
            if not raw.isdigit():
                raise BootcampError(f"{self.port_env}={raw!r} is not a port number")
            port = int(raw)
            if not port_is_free(port):
                raise BootcampError(
                    f"port {port} for {self.name} is taken ({self.port_env})",
                    hint=f"unset {self.port_env} to use any free port, or stop what listens there",
                )
            return port
        return self.default_port if port_is_free(self.default_port) else free_port()

    def start(self) -> str:
        """Start the server unless it already runs; return its endpoint. Idempotent."""
        external = self.external_endpoint()
        if external:
            return external
        with self._lock():
            endpoint = self.running_endpoint()
            if endpoint:
                return endpoint
            self._kill_recorded()
            missing = [req for req in self.requirements() if not req.present]
            if missing:
                req = missing[0]
                raise BootcampError(f"{self.name} needs {req.what}", hint=req.fix)
            port = self._choose_port()
            pinned = bool(self.port_env and os.environ.get(self.port_env))
            try:
                return self._launch(port, may_move=not pinned)
            except _LostPortRace:
                # Another server (of another state directory: a second test worker, a bench)
                # bound the port between our probe and this server's bind, and ours exited.
                # Once more, on another free port; a port the user pinned is never changed.
                return self._launch(free_port(), may_move=False)

    def _launch(self, port: int, *, may_move: bool) -> str:
        """Run the server on `port` and wait until it answers; its endpoint."""
        data_dir = self.home / "data"
        data_dir.mkdir(parents=True, exist_ok=True)
        argv = self.command(port, data_dir)
        endpoint = self.endpoint_for(port)
        with self.log_path.open("ab") as log:
            log.write(f"\n--- starting {' '.join(argv)} at {time.ctime()}\n".encode())
            log.flush()
            process = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.home,
                env={**os.environ, **self.extra_env()},
                start_new_session=True,
            )
        # argv[0] as given is what /proc/<pid>/cmdline shows once the child has exec'd; reading
        # it back now could catch the child between fork and exec.
        self.state_path.write_text(json.dumps({
            "pid": process.pid, "port": port, "endpoint": endpoint,
            "program": argv[0], "started": time.time(),
        }))
        try:
            self._wait_ready(process, endpoint, port)
        except BootcampError:
            if may_move and process.returncode is not None and not port_is_free(port):
                raise _LostPortRace(port) from None
            raise
        return endpoint

    def _wait_ready(self, process: subprocess.Popen[bytes], endpoint: str, port: int) -> None:
        """Until the server answers its health check on `endpoint`, and the answer is its own.

        Another server of the same kind that won the race for `port` (a second test worker's, a
        bench's) answers the health check too, while ours is still starting: a broker binds its
        client port seconds after its start. Ready then would hand the caller the other server's
        endpoint. So an answer counts only while no other process holds the port; ours then fails its
        bind and exits, and `start` moves it to a free port (`_LostPortRace`).
        """
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            if process.poll() is not None:
                self._abandon(process)
                raise BootcampError(
                    f"{self.name} exited with code {process.returncode} while starting: "
                    f"{self._log_tail()}",
                    hint=f"see {self.log_path}",
                )
            if self.is_healthy(endpoint) and not held_by_another(process.pid, port):
                return
            time.sleep(0.2)
        self._abandon(process)
        raise BootcampError(
            f"{self.name} did not become ready within {self.start_timeout_s:.0f}s: {self._log_tail()}",
            hint=f"see {self.log_path}",
        )

    def _abandon(self, process: subprocess.Popen[bytes]) -> None:
        """Kill a server that failed to start: its whole group, by the handle we still hold."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(10)
        self.state_path.unlink(missing_ok=True)

    def _log_tail(self, lines: int = 3) -> str:
        try:
            text = self.log_path.read_text(errors="replace").strip().splitlines()
        except OSError:
            return ""
        return " | ".join(text[-lines:])

    def stop(self, timeout_s: float = 10.0) -> bool:
        """Stop the server we started (its whole process group); True if one was running."""
        with self._lock():
            return self._kill_recorded(timeout_s)

    def _kill_recorded(self, timeout_s: float = 10.0) -> bool:
        pid = self._owned_pid()
        self.state_path.unlink(missing_ok=True)
        if pid is None:
            return False
        for sig in (signal.SIGTERM, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, sig)
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline:
                if not pid_alive(pid):
                    return True
                time.sleep(0.1)
        return True

    def client_env(self) -> dict[str, str]:
        """Environment pointing clients at this service (external or running), else empty."""
        endpoint = self.external_endpoint() or self.running_endpoint()
        return self.env_for(endpoint) if endpoint else {}
