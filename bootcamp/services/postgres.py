"""The local PostgreSQL: a project-owned cluster, `initdb`-ed into `.bootcamp/postgres/data`.

It uses the Debian `postgresql` package's binaries (`/usr/lib/postgresql/<version>/bin`) but none of
Debian's cluster management: the project creates, starts and stops its own cluster, on its own port,
with its socket under `.bootcamp/`, so it never touches a system cluster on 5432.

PostgreSQL refuses to run as root. When we are root, the cluster belongs to the `postgres` system user
(which the Debian package creates) and the server runs under it through `runuser`, which stays the
parent, so the recorded pid is stable and the whole process group still stops together.

Clients reach it on 127.0.0.1 with password authentication (scram-sha-256) as `postgres`/`bootcamp`;
`DATABASE_URL` replaces it with any PostgreSQL (Cloud SQL, RDS, Azure Database for PostgreSQL).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import ClassVar

from bootcamp.errors import BootcampError
from bootcamp.services.base import LOCALHOST, Requirement, Service

PG_ROOT = Path("/usr/lib/postgresql")
LOCAL_PASSWORD = "bootcamp"  # noqa: S105 - a local, loopback-only course cluster
SERVICE_USER = "postgres"


def pg_bin_dir() -> Path | None:
    """The newest installed PostgreSQL server's bin directory, or None."""
    if not PG_ROOT.is_dir():
        return None
    versions = sorted((p for p in PG_ROOT.iterdir() if (p / "bin" / "postgres").is_file()),
                      key=lambda p: int(p.name) if p.name.isdigit() else 0)
    return versions[-1] / "bin" if versions else None


def _as_service_user() -> list[str]:
    """argv prefix that drops root to the `postgres` user; nothing when we are not root."""
    if os.geteuid() != 0:
        return []
    return ["runuser", "-u", SERVICE_USER, "--"]


def _chown_tree(path: Path, user: str) -> None:
    entry = pwd.getpwnam(user)
    for root, dirs, files in os.walk(path):
        os.chown(root, entry.pw_uid, entry.pw_gid)
        for name in dirs + files:
            os.chown(os.path.join(root, name), entry.pw_uid, entry.pw_gid, follow_symlinks=False)


class PostgresService(Service):
    name: ClassVar[str] = "postgres"
    description: ClassVar[str] = "PostgreSQL, a project-owned cluster (Debian binaries, own initdb)"
    endpoint_env: ClassVar[str] = "DATABASE_URL"
    default_port: ClassVar[int] = 55432
    port_env: ClassVar[str | None] = "BOOTCAMP_POSTGRES_PORT"
    start_timeout_s: ClassVar[float] = 60.0

    def requirements(self) -> list[Requirement]:
        reqs = [Requirement("the PostgreSQL server binaries (Debian package postgresql)",
                            pg_bin_dir() is not None, "apt-get install postgresql")]
        if os.geteuid() == 0:
            try:
                pwd.getpwnam(SERVICE_USER)
                present = True
            except KeyError:
                present = False
            reqs.append(Requirement(f"a system user {SERVICE_USER!r} to run the server (not root)",
                                    present, "apt-get install postgresql (it creates the user)"))
        return reqs

    @property
    def socket_dir(self) -> Path:
        return self.home / "socket"

    def _initdb(self, data_dir: Path) -> None:
        """Create the cluster once: scram passwords on TCP, the socket only for its owner."""
        bin_dir = pg_bin_dir()
        assert bin_dir is not None, "requirements() guards this"
        if (data_dir / "PG_VERSION").is_file():
            return
        shutil.rmtree(data_dir, ignore_errors=True)
        data_dir.mkdir(parents=True)
        if os.geteuid() == 0:
            # The server's user must be able to reach its data through our folders.
            for folder in (self.home.parent, self.home):
                folder.chmod(folder.stat().st_mode | 0o711)
        with tempfile.NamedTemporaryFile("w", dir=self.home, delete=False) as pwfile:
            pwfile.write(LOCAL_PASSWORD + "\n")
        try:
            if os.geteuid() == 0:
                _chown_tree(data_dir, SERVICE_USER)
                entry = pwd.getpwnam(SERVICE_USER)
                os.chown(pwfile.name, entry.pw_uid, entry.pw_gid)
            result = subprocess.run(
                [*_as_service_user(), str(bin_dir / "initdb"), "-D", str(data_dir), "-U", "postgres",
                 "--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={pwfile.name}",
                 "--encoding=UTF8", "--locale=C.UTF-8"],
                capture_output=True, text=True, check=False,
            )
        finally:
            Path(pwfile.name).unlink(missing_ok=True)
        if result.returncode != 0:
            shutil.rmtree(data_dir, ignore_errors=True)
            raise BootcampError(f"initdb failed: {result.stderr.strip()[-300:]}",
                                hint=f"remove {data_dir} and try again")

    def command(self, port: int, data_dir: Path) -> list[str]:
        bin_dir = pg_bin_dir()
        assert bin_dir is not None, "requirements() guards this"
        self._initdb(data_dir)
        self.socket_dir.mkdir(exist_ok=True)
        if os.geteuid() == 0:
            _chown_tree(self.socket_dir, SERVICE_USER)
        return [*_as_service_user(), str(bin_dir / "postgres"), "-D", str(data_dir),
                "-k", str(self.socket_dir), "-c", f"listen_addresses={LOCALHOST}", "-p", str(port),
                "-c", "max_connections=200"]

    def stop(self, timeout_s: float = 10.0) -> bool:
        """A *fast* shutdown first (`pg_ctl stop -m fast`: roll back open sessions, checkpoint, exit).

        The base class's SIGTERM would be PostgreSQL's *smart* shutdown, which waits for every
        client to disconnect; then the process group is cleaned up as for any service.
        """
        bin_dir = pg_bin_dir()
        data_dir = self.home / "data"
        with self._lock():
            running = self._owned_pid() is not None
            if running and bin_dir is not None and (data_dir / "postmaster.pid").exists():
                subprocess.run([*_as_service_user(), str(bin_dir / "pg_ctl"), "stop", "-D", str(data_dir),
                                "-m", "fast", "-w", "-t", str(int(timeout_s))],
                               capture_output=True, check=False)
            self._kill_recorded(timeout_s)
            return running

    def endpoint_for(self, port: int) -> str:
        return f"postgresql://postgres:{LOCAL_PASSWORD}@{LOCALHOST}:{port}/postgres"

    def is_healthy(self, endpoint: str) -> bool:
        """A real `SELECT 1` over TCP with the client library the exercises use."""
        import asyncio

        import asyncpg

        async def probe() -> bool:
            conn = await asyncpg.connect(endpoint, timeout=2)
            try:
                return bool(await conn.fetchval("SELECT 1") == 1)
            finally:
                await conn.close()

        try:
            return asyncio.run(probe())
        except Exception:
            return False
