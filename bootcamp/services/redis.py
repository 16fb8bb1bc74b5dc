"""The local Redis: Debian's `redis-server`, started by the project on 127.0.0.1.

It runs in the foreground with its own config on the command line (no /etc/redis, no systemd): data
under `.bootcamp/redis/data`, append-only file on (so a restart keeps what the API stored, as a managed
Redis with persistence would), no RDB snapshots, protected mode on. Readiness is a real `PING`.

`REDIS_URL` (e.g. `rediss://:password@my-cache.redis.cache.windows.net:6380/0`, a Memorystore or an
ElastiCache endpoint) replaces it with any real Redis.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import ClassVar

import redis

from bootcamp.services.base import LOCALHOST, Requirement, Service


def redis_server_binary() -> str | None:
    return shutil.which("redis-server") or shutil.which("redis-server", path="/usr/bin:/usr/sbin")


class RedisService(Service):
    name: ClassVar[str] = "redis"
    description: ClassVar[str] = "Redis 7 (Debian redis-server), append-only persistence"
    endpoint_env: ClassVar[str] = "REDIS_URL"
    default_port: ClassVar[int] = 6379
    port_env: ClassVar[str | None] = "BOOTCAMP_REDIS_PORT"
    start_timeout_s: ClassVar[float] = 20.0

    def requirements(self) -> list[Requirement]:
        return [Requirement("redis-server (Debian package redis-server)",
                            redis_server_binary() is not None,
                            "apt-get install redis-server (or bash scripts/setup.sh)")]

    def command(self, port: int, data_dir: Path) -> list[str]:
        binary = redis_server_binary()
        assert binary is not None, "requirements() guards this"
        return [binary, "--bind", LOCALHOST, "--port", str(port), "--dir", str(data_dir),
                "--daemonize", "no", "--protected-mode", "yes", "--save", "",
                "--appendonly", "yes", "--appendfsync", "everysec", "--logfile", "",
                "--supervised", "no",
                "--set-proc-title", "no"]  # keep argv[0] intact: `stop` checks it before signalling

    def endpoint_for(self, port: int) -> str:
        return f"redis://{LOCALHOST}:{port}/0"

    def is_healthy(self, endpoint: str) -> bool:
        """PING answered with PONG: the server accepts commands (not merely connections)."""
        try:
            client = redis.Redis.from_url(endpoint, socket_timeout=1.0, socket_connect_timeout=1.0)
            try:
                return bool(client.ping())
            finally:
                client.close()
        except (redis.RedisError, OSError, ValueError):
            return False
