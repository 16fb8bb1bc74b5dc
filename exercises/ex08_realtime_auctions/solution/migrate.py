"""Apply the schema's migrations: in version order, each once, atomically with its record.

`python -m exercises.ex08_realtime_auctions.solution.migrate` applies them to `DATABASE_URL`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg

from ..schema import LOCK_KEY, MIGRATIONS_DIR, MigrationError, discover, main


async def apply_migrations(conn: asyncpg.Connection, directory: Path = MIGRATIONS_DIR) -> list[int]:
    """Apply every pending migration in order; return the versions applied now."""
    migrations = discover(directory)
    await conn.execute("SELECT pg_advisory_lock($1)", LOCK_KEY)
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        rows = await conn.fetch("SELECT version, checksum FROM schema_migrations")
        applied = {row["version"]: row["checksum"] for row in rows}
        done: list[int] = []
        for migration in migrations:
            if migration.version in applied:
                if applied[migration.version] != migration.checksum:
                    raise MigrationError(
                        f"migration {migration.version:04d}_{migration.name} was edited after it was "
                        "applied; add a new migration instead")
                continue
            try:
                async with conn.transaction():
                    await conn.execute(migration.sql)
                    await conn.execute(
                        "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                        migration.version, migration.name, migration.checksum)
            except asyncpg.PostgresError as exc:
                raise MigrationError(
                    f"migration {migration.version:04d}_{migration.name} failed: {exc}") from exc
            done.append(migration.version)
        return done
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", LOCK_KEY)


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main(apply_migrations)))
