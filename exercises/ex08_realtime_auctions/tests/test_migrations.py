"""The migration runner: in order, once, recorded, atomic, and safe to run twice at the same time."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import asyncpg
import pytest


def write(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, sql in files.items():
        (directory / name).write_text(sql)
    return directory


async def applied_versions(url: str) -> list[tuple[int, str]]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT version, name FROM schema_migrations ORDER BY version")
        return [(r["version"], r["name"]) for r in rows]
    finally:
        await conn.close()


async def migrate(impl: Any, url: str, directory: Path | None = None) -> list[int]:
    conn = await asyncpg.connect(url)
    try:
        if directory is None:
            result: list[int] = await impl.migrate.apply_migrations(conn)
        else:
            result = await impl.migrate.apply_migrations(conn, directory)
        return result
    finally:
        await conn.close()


def test_the_project_migrations_apply_in_order_and_create_the_tables(impl: Any, fresh_db: str) -> None:
    first = asyncio.run(migrate(impl, fresh_db))
    assert first == sorted(first)
    assert len(first) >= 2
    assert [v for v, _ in asyncio.run(applied_versions(fresh_db))] == first

    async def tables() -> set[str]:
        conn = await asyncpg.connect(fresh_db)
        try:
            rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            return {r["tablename"] for r in rows}
        finally:
            await conn.close()

    assert {"users", "items", "bids", "schema_migrations"} <= asyncio.run(tables())
    assert asyncio.run(migrate(impl, fresh_db)) == [], "a second run applies nothing"


def test_new_files_apply_later_and_order_is_by_version_not_by_name(impl: Any, fresh_db: str,
                                                                   tmp_path: Path) -> None:
    folder = write(tmp_path / "m", {"0002_b.sql": "ALTER TABLE t ADD COLUMN b int;",
                                    "0001_a.sql": "CREATE TABLE t (a int);"})
    assert asyncio.run(migrate(impl, fresh_db, folder)) == [1, 2]
    write(folder, {"0010_c.sql": "ALTER TABLE t ADD COLUMN c int;"})
    assert asyncio.run(migrate(impl, fresh_db, folder)) == [10]
    assert asyncio.run(applied_versions(fresh_db)) == [(1, "a"), (2, "b"), (10, "c")]


def test_a_failing_migration_leaves_no_trace_and_stops_the_run(impl: Any, fresh_db: str,
                                                               tmp_path: Path) -> None:
    folder = write(tmp_path / "m", {
        "0001_a.sql": "CREATE TABLE t (a int);",
        "0002_bad.sql": "CREATE TABLE half (x int); SELECT * FROM no_such_table;",
        "0003_c.sql": "CREATE TABLE c (x int);",
    })
    with pytest.raises(impl.migrate.MigrationError, match="0002"):
        asyncio.run(migrate(impl, fresh_db, folder))
    assert asyncio.run(applied_versions(fresh_db)) == [(1, "a")]

    async def exists(table: str) -> bool:
        conn = await asyncpg.connect(fresh_db)
        try:
            return bool(await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", table))
        finally:
            await conn.close()

    assert not asyncio.run(exists("half")), "the failed migration's first statement was rolled back"
    assert not asyncio.run(exists("c")), "nothing after a failure runs"


def test_editing_an_applied_migration_is_refused(impl: Any, fresh_db: str, tmp_path: Path) -> None:
    folder = write(tmp_path / "m", {"0001_a.sql": "CREATE TABLE t (a int);"})
    asyncio.run(migrate(impl, fresh_db, folder))
    write(folder, {"0001_a.sql": "CREATE TABLE t (a bigint);"})
    with pytest.raises(impl.migrate.MigrationError, match="edited"):
        asyncio.run(migrate(impl, fresh_db, folder))


def test_two_runners_at_once_apply_each_migration_once(impl: Any, fresh_db: str, tmp_path: Path) -> None:
    # pg_sleep makes the first runner hold its turn while the second one arrives.
    folder = write(tmp_path / "m", {"0001_slow.sql": "SELECT pg_sleep(0.5); CREATE TABLE t (a int);",
                                    "0002_b.sql": "CREATE TABLE u (a int);"})

    async def both() -> list[list[int] | BaseException]:
        return list(await asyncio.gather(migrate(impl, fresh_db, folder), migrate(impl, fresh_db, folder),
                                         return_exceptions=True))

    results = asyncio.run(both())
    stub = next((r for r in results if isinstance(r, NotImplementedError)), None)
    if stub is not None:
        raise stub  # a stub is reported as such, not as a race
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, f"two runners at once did not take turns (each applied the same files): {errors}"
    assert sorted((r for r in results if isinstance(r, list)), key=len) == [[], [1, 2]]
    assert asyncio.run(applied_versions(fresh_db)) == [(1, "slow"), (2, "b")]
