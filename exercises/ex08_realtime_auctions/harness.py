"""Plumbing shared by `bootcamp run`, `bootcamp bench` and the tests: databases and app instances.

An app instance is a real server process (`python -m exercises.ex08_realtime_auctions.server`) in its
own session, stopped by SIGTERM to its process group (uvicorn then shuts down gracefully).
"""

from __future__ import annotations

import importlib
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx

from bootcamp.errors import BootcampError
from bootcamp.paths import REPO_ROOT
from bootcamp.services.base import free_port

PACKAGE = "exercises.ex08_realtime_auctions"
# Cheaper argon2id parameters for tests and benchmarks only (the default is RFC 9106's 64 MiB
# profile): they sign up dozens of users on a 2-core machine. Still argon2id.
CHEAP_ARGON2 = {"AUCTION_ARGON2_TIME_COST": "1", "AUCTION_ARGON2_MEMORY_KIB": "8192",
                "AUCTION_ARGON2_PARALLELISM": "1"}


def admin_url() -> str:
    """The PostgreSQL the CLI started (or DATABASE_URL's), as a URL to its maintenance database."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        raise BootcampError("DATABASE_URL is not set",
                            hint="run through `bootcamp run ex08`, or `bootcamp up postgres`")
    return url


def with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


async def create_database(admin: str, impl: str, prefix: str = "ex08", migrate: bool = True) -> str:
    """A new database with a random name, migrated by `impl`'s runner unless `migrate` is False."""
    name = f"{prefix}_{secrets.token_hex(5)}"
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    url = with_database(admin, name)
    if migrate:
        migrate_module = importlib.import_module(f"{PACKAGE}.{impl}.migrate")
        conn = await asyncpg.connect(url)
        try:
            await migrate_module.apply_migrations(conn)
        finally:
            await conn.close()
    return url


async def drop_database(admin: str, url: str) -> None:
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{url.rpartition("/")[2]}" WITH (FORCE)')
    finally:
        await conn.close()


@dataclass
class Instance:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def ws(self) -> str:
        return self.url.replace("http://", "ws://")


def launch_instance(database_url: str, impl: str, log_dir: Path, **env: str) -> Instance:
    """Start one app instance on a free port (returns at once; see `wait_healthy`)."""
    port = free_port()
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / f"server-{port}.log"
    with log.open("wb") as handle:
        process = subprocess.Popen(
            [sys.executable, "-m", f"{PACKAGE}.server", "--impl", impl, "--port", str(port),
             "--log-level", "warning"],
            cwd=REPO_ROOT, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "DATABASE_URL": database_url, "AUCTION_CLOSE_INTERVAL_S": "0.1",
                 **CHEAP_ARGON2, **env},
        )
    return Instance(f"http://127.0.0.1:{port}", process, log)


def wait_healthy(instance: Instance, timeout_s: float = 30.0) -> Instance:
    """Wait until /healthz answers 200 (database reachable, LISTEN connection up)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if instance.process.poll() is not None:
            raise RuntimeError(f"the auction server exited: {instance.log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{instance.url}/healthz", timeout=1).status_code == 200:
                return instance
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    stop_instance(instance)
    raise RuntimeError(f"the auction server did not become healthy: {instance.log.read_text()[-2000:]}")


def start_instances(database_url: str, impl: str, log_dir: Path, count: int = 2, **env: str
                    ) -> list[Instance]:
    """`count` instances on one database (started together, which is faster on few cores)."""
    started = [launch_instance(database_url, impl, log_dir, **env) for _ in range(count)]
    try:
        for instance in started:
            wait_healthy(instance)
    except BaseException:
        for instance in started:
            stop_instance(instance)
        raise
    return started


def stop_instance(instance: Instance) -> None:
    """SIGTERM the instance's process group (graceful), SIGKILL if it does not stop in 15 s."""
    if instance.process.poll() is None:
        os.killpg(instance.process.pid, signal.SIGTERM)
        try:
            instance.process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(instance.process.pid, signal.SIGKILL)
            instance.process.wait()
