"""The SQL, loaded from `.sql` files by aiosql (HugSQL's Python sibling), and the connection pool.

aiosql reads named queries from `sql/*.sql` and makes each an async method: `queries.get_item(conn,
item_id=1)`. The SQL stays SQL, reviewable and runnable in psql, and the Python never builds
strings. The suffix of a query's name says what it returns: `^` one row, `$` one value, `!` nothing,
`<!` the RETURNING value, none a list of rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiosql
import asyncpg

SQL_DIR = Path(__file__).parent / "sql"

queries: Any = aiosql.from_path(SQL_DIR, "asyncpg", mandatory_parameters=False)


async def create_pool(dsn: str, min_size: int = 2, max_size: int = 10) -> asyncpg.Pool:
    """A pool of connections; `command_timeout` keeps a stuck query from holding a request forever."""
    pool = await asyncpg.create_pool(dsn, min_size=min_size, max_size=max_size, command_timeout=30)
    assert pool is not None
    return pool
