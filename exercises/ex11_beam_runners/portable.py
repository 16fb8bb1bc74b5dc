"""Beam's portable runners on this machine, without a download. Provided.

- **Prism**, Beam's Go runner: `scripts/setup.sh` builds it with `go install` at the Python SDK's version
  (`bootcamp/parts/parts.toml`, part `beam-prism`), and `runners.runner_options("prism")` points
  `--prism_location` at that binary. Without the option the PrismRunner (and, since Beam 2.68, a bare
  DirectRunner) downloads a release zip from GitHub at first use.
- **Flink and Spark**, through Beam's job servers: one shaded jar each from Maven Central (parts
  `beam-flink-job-server`, `beam-spark-job-server`). Beam's own `FlinkRunner` would start the jar itself,
  but it waits for the job server's port with no deadline (`SubprocessServer.start` in
  `apache_beam/utils/subprocess_server.py` loops until the channel is ready), and logs the server's
  output through Python logging. Here `job_server` starts it, writes its output to a log file, gives it a
  deadline, and the runner is pointed at it with `--job_endpoint`; `FlinkRunner`/`SparkRunner` then pass
  their own options (`--flink_version`, `--parallelism`, LOOPBACK) through the job API as usual.

A job server that does not start, or a runner that rejects the pipeline, is a `RunnerFailed`: one line
that names the runner, its log file and the version pair.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import apache_beam.version

from bootcamp import parts
from bootcamp.paths import service_dir

BEAM_VERSION: str = apache_beam.version.__version__
FLINK_VERSION = "1.20"
"""The Flink of Beam's job server: embedded in the jar ([local]), so no cluster is needed for tests."""
START_TIMEOUT_S = 120.0
"""How long a job server may take to open its port (Flink's, cold, took about 10 s on two loaded cores)."""


class RunnerFailed(RuntimeError):
    """A portable runner that could not run the pipeline; the message is the whole story, in one line."""


@dataclass(frozen=True)
class JobServer:
    """How to start one of Beam's Java job servers, and what it runs the pipeline on."""

    runner_class: str
    part: str
    engine: str
    arguments: tuple[str, ...]

    def artifact(self) -> str:
        return parts.maven(self.part).artifacts[0]

    def versions(self) -> str:
        """The version pair that matters: the Python SDK's and the job server's (and its engine's)."""
        _, artifact, version = self.artifact().split(":")
        return f"apache-beam {BEAM_VERSION} (Python SDK) with {artifact} {version} ({self.engine})"


JOB_SERVERS = {
    "flink": JobServer("FlinkRunner", "beam-flink-job-server", f"Flink {FLINK_VERSION}, embedded",
                       ("--flink-master", "[local]")),
    "spark": JobServer("SparkRunner", "beam-spark-job-server", "Spark 3, local[2]",
                       ("--spark-master-url", "local[2]")),
}
"""The runners that need a job server; usable when set-up resolved its jar (see `available`)."""


OWN_PRISM_SERVER = "--experiments=disable_prism_server_singleton"
"""Give this pipeline its own Prism job server. Beam keeps one Prism server per process and reuses it
whatever the next pipeline's options say: once a bare DirectRunner (which tries Prism first) or a
PrismRunner without `--prism_location` has created it, every later PrismRunner in the process tries
the download too, even one that names the binary. Seen in a test worker that ran both kinds."""


def prism_location() -> str:
    """The project's Prism binary (built by set-up); a clear error when it was not built."""
    part = parts.go("beam-prism")
    binary = part.binary()
    if binary is None:
        raise ValueError(f"the PrismRunner needs {part.what}, which is not built: {part.fix}")
    return str(binary)


def available() -> list[str]:
    """The job-server runners whose jar set-up resolved (none where Maven Central does not serve them)."""
    return [name for name, server in JOB_SERVERS.items() if parts.maven(server.part).jar() is not None]


def log_path(runner: str) -> Path:
    return service_dir("ex11") / f"{runner}-job-server.log"


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def job_server(runner: str, jar: str | None = None, timeout: float = START_TIMEOUT_S) -> Iterator[str]:
    """Start `runner`'s job server (`jar`, else the one set-up resolved) and yield its job endpoint.

    The server's output goes to `log_path(runner)`; it must open its job port within `timeout` seconds,
    and is stopped (SIGTERM, then SIGKILL) when the block ends.
    """
    server = JOB_SERVERS[runner]
    part = parts.maven(server.part)
    path = jar or (str(found) if (found := part.jar()) else None)
    if path is None:
        reason = part.refusal() or "not resolved"
        raise ValueError(f"the {server.runner_class} needs its job server {server.artifact()}: {reason}; "
                         f"{part.fix}")
    java = shutil.which("java")
    if java is None:
        raise ValueError(f"the {server.runner_class}'s job server needs Java 17+ (apt-get install -y "
                         "openjdk-17-jre-headless)")
    log = log_path(runner)
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix=f"ex11-{runner}-artifacts-") as artifacts, log.open("wb") as out:
        argv = [java, "-jar", path, *server.arguments, "--artifacts-dir", artifacts, "--job-port", str(port),
                "--artifact-port", "0", "--expansion-port", "0"]
        out.write(f"$ {' '.join(argv)}\n".encode())
        out.flush()
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
        try:
            deadline = time.monotonic() + timeout
            while not _port_open(port):
                if proc.poll() is not None:
                    raise RunnerFailed(describe(runner, f"its job server ({path}) exited with code "
                                                        f"{proc.returncode} before opening its port"))
                if time.monotonic() > deadline:
                    raise RunnerFailed(describe(runner, f"its job server ({path}) did not open its port "
                                                        f"within {timeout:.0f} s"))
                time.sleep(0.2)  # a Java process offers no readiness event but the port itself
            yield f"localhost:{port}"
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def describe(runner: str, what: str) -> str:
    """The one line a failed portable run prints: the runner, what happened, its log, the version pair."""
    server = JOB_SERVERS[runner]
    return f"{server.runner_class}: {what}; log: {log_path(runner)}; versions: {server.versions()}"


def options(runner: str, endpoint: str, workers: int = 2) -> list[str]:
    """The options that run the pipeline on `runner` through the job server at `endpoint`.

    LOOPBACK: the job server's workers call back into this Python process to run the DoFns (no Docker);
    on a real cluster it would be DOCKER or PROCESS, and the job server's master a cluster address.
    """
    server = JOB_SERVERS[runner]
    extra = [f"--flink_version={FLINK_VERSION}", f"--parallelism={workers}"] if runner == "flink" else []
    return [f"--runner={server.runner_class}", f"--job_endpoint={endpoint}", "--environment_type=LOOPBACK",
            *extra]
