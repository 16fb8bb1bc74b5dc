"""A small versioned-migration runner: `migrations/NNNN_name.sql`, applied in order, once.

Each applied file is recorded in `schema_migrations` with a checksum, inside the same transaction as
its SQL, so a migration either fully applies and is recorded or leaves no trace. A session-level
advisory lock makes concurrent runners (two instances starting at once) take turns. Editing a file
that was already applied is refused: a deployed schema must only move forward by new files.

`python -m exercises.ex08_realtime_auctions.starter.migrate` applies them to `DATABASE_URL`.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import asyncpg

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
LOCK_KEY = 0x0E08_A0C7  # any constant the whole application agrees on
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class MigrationError(Exception):
    """The migrations on disk and in the database disagree, or one failed."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migration files in version order; a misnamed file or a repeated version is an error."""
    found: dict[int, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise MigrationError(f"{path.name}: migration files are named NNNN_name.sql")
        version = int(match.group(1))
        if version in found:
            raise MigrationError(f"version {version} appears twice ({found[version].name}, {path.name})")
        found[version] = Migration(version, match.group(2), path.read_text())
    return [found[v] for v in sorted(found)]


async def apply_migrations(conn: asyncpg.Connection, directory: Path = MIGRATIONS_DIR) -> list[int]:
    """Apply every pending migration in order; return the versions applied now."""
    raise NotImplementedError(
        'apply_migrations: take the advisory lock (LOCK_KEY), create '
        'schema_migrations if missing, refuse an applied migration whose checksum '
        "changed (MigrationError, say 'edited'), apply each pending one in version "
        'order inside a transaction that also records it, raise MigrationError naming'
        ' a failed one, and always release the lock'
    )


async def _main() -> int:
    from ..config import Settings

    conn = await asyncpg.connect(Settings().database_url)
    try:
        applied = await apply_migrations(conn)
    except MigrationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        await conn.close()
    print(f"applied {applied or 'nothing (up to date)'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(_main()))
