"""The migration files on disk (provided): `migrations/NNNN_name.sql`, discovered in version order.

The implementation's `migrate.apply_migrations` applies them: each file in a transaction together
with its record in `schema_migrations` (with a checksum), under a session-level advisory lock so
concurrent runners (two instances starting at once) take turns. Editing an applied file is refused:
a deployed schema only moves forward by new files.
"""

from __future__ import annotations

import hashlib
import re
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import asyncpg

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
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


async def main(apply_migrations: Callable[[asyncpg.Connection], Awaitable[list[int]]]) -> int:
    """`python -m exercises.ex08_realtime_auctions.<impl>.migrate`: migrate `DATABASE_URL`."""
    from .config import Settings

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
