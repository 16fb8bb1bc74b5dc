"""The SQL, loaded from `.sql` files by aiosql (HugSQL's Python sibling), and the connection pool.

aiosql reads named queries from `.sql` files and makes each an async method: `queries.get_item(conn,
item_id=1)`. The SQL stays SQL, reviewable and runnable in psql, and the Python never builds
strings. The suffix of a query's name says what it returns: `^` one row, `$` one value, `!` nothing,
`<!` the RETURNING value, none a list of rows.

Two folders make one set of queries: `sql/` here (the provided reads and writes: users, sessions,
logins, items, catch-up) and the implementation's own `sql/` (`solution/sql/` or `starter/sql/`:
the bid and the close, which the learner writes). A name defined in both is an error, not a silent
override.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import aiosql
import asyncpg

PROVIDED_SQL = Path(__file__).resolve().parent / "sql"


def sql_text(*folders: Path) -> str:
    """Every `.sql` file of the folders, in name order, as one text (aiosql parses it once)."""
    return "\n\n".join(path.read_text() for folder in folders for path in sorted(folder.glob("*.sql")))


@cache
def load_queries(impl_sql: Path) -> Any:
    """The provided queries plus those in `impl_sql` (the implementation's own folder)."""
    return aiosql.from_str(sql_text(PROVIDED_SQL, impl_sql), "asyncpg", mandatory_parameters=False)


async def create_pool(dsn: str, min_size: int = 2, max_size: int = 10) -> asyncpg.Pool:
    """A pool of connections; `command_timeout` keeps a stuck query from holding a request forever."""
    pool = await asyncpg.create_pool(dsn, min_size=min_size, max_size=max_size, command_timeout=30)
    assert pool is not None
    return pool
