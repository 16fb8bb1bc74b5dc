"""The same query in DuckDB: the baseline every runner is measured against, and a cross-check.

DuckDB reads the CSV with `all_varchar` and applies the pipeline's validation rules in SQL (RE2
regexes, same order), so malformed lines are excluded exactly as the pipeline dead-letters them.
"""

from __future__ import annotations

import argparse
import time

import duckdb

# The pipeline's row type, repeated so that the baseline's process does not import Beam.
StatsRow = tuple[str, str, int, int, int, int]

QUERY = r"""
WITH raw AS (
  SELECT * FROM read_csv(?, header = true, all_varchar = true, null_padding = true, ignore_errors = true,
    columns = {'timestamp': 'VARCHAR', 'request_id': 'VARCHAR', 'client_ip': 'VARCHAR',
               'method': 'VARCHAR', 'path': 'VARCHAR', 'status': 'VARCHAR', 'bytes_sent': 'VARCHAR',
               'latency_ms': 'VARCHAR', 'region': 'VARCHAR'})
), valid AS (
  SELECT split_part(path, '?', 1) AS path, CAST(status AS INTEGER) AS status,
         CAST(bytes_sent AS BIGINT) AS bytes_sent, CAST(latency_ms AS BIGINT) AS latency_ms, region
  FROM raw
  WHERE regexp_full_match(timestamp, '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z')
    AND regexp_full_match(status, '[1-5][0-9][0-9]')
    AND regexp_full_match(bytes_sent, '[0-9]{1,15}') AND regexp_full_match(latency_ms, '[0-9]{1,15}')
    AND regexp_full_match(region, '[a-z]+-[a-z]+')
)
SELECT region, CAST(status // 100 AS VARCHAR) || 'xx' AS status_class, count(*) AS requests,
       sum(bytes_sent), sum(latency_ms), max(latency_ms)
FROM valid WHERE path <> '/healthz'
GROUP BY ALL ORDER BY ALL
"""


def query(input_path: str) -> list[StatsRow]:
    """The aggregate rows, sorted, for a CSV file (or glob)."""
    rows = duckdb.execute(QUERY, [input_path]).fetchall()
    return sorted((str(r[0]), str(r[1]), int(r[2]), int(r[3]), int(r[4]), int(r[5])) for r in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description="ex11 baseline: the pipeline's query in DuckDB")
    parser.add_argument("--input", required=True)
    args = parser.parse_args()
    started = time.perf_counter()
    rows = query(args.input)
    print(f"duckdb DONE {time.perf_counter() - started:.3f} rows={len(rows)}")


if __name__ == "__main__":
    main()
