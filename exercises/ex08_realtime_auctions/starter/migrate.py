"""Apply the schema's migrations: in version order, each once, atomically with its record.

`python -m exercises.ex08_realtime_auctions.starter.migrate` applies them to `DATABASE_URL`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg

from ..schema import LOCK_KEY, MIGRATIONS_DIR, MigrationError, discover, main  # noqa: F401 - you will need them


async def apply_migrations(conn: asyncpg.Connection, directory: Path = MIGRATIONS_DIR) -> list[int]:
    """Apply every pending migration in order; return the versions applied now."""
    raise NotImplementedError(
        'apply_migrations: take the advisory lock (LOCK_KEY), create '
        'schema_migrations if missing, refuse an applied migration whose checksum '
        "changed (MigrationError, say 'edited'), apply each pending one in version "
        'order inside a transaction that also records it, raise MigrationError naming'
        ' a failed one, and always release the lock'
    )


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main(apply_migrations)))
