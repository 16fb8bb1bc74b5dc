"""Web-server access logs as CSV: a seeded generator that scales to millions of rows.

The shape follows what a load balancer or nginx access log carries once flattened to columns
(timestamp, request id, client, method, path, status, bytes, latency, region), with the skew real
traffic has: a few hot endpoints, ids in paths, mostly 2xx with bursts of 5xx, long-tailed
latencies, health-check noise. `bad_fraction` mixes in the malformed lines real logs contain
(truncated writes, a garbled status, a negative size, a bad timestamp) so that dead-letter handling
has something to catch.

No package available here ships web access logs offline, so the data are synthetic; see
`data/README.md` for provenance. Determinism: numpy's PCG64 generator with a fixed seed, and
rows produced in fixed-size chunks, so a given (rows, seed, bad_fraction) always gives the same file.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

HEADER = "timestamp,request_id,client_ip,method,path,status,bytes_sent,latency_ms,region"
COLUMNS = tuple(HEADER.split(","))

# Endpoint templates and their share of traffic ({id} becomes a number).
_PATHS = (
    ("/", 0.10), ("/api/products", 0.18), ("/api/products/{id}", 0.22), ("/api/cart", 0.10),
    ("/api/orders", 0.06), ("/api/orders/{id}", 0.08), ("/api/search", 0.12), ("/login", 0.04),
    ("/static/app.js", 0.05), ("/healthz", 0.05),
)
_METHODS = (("GET", 0.80), ("POST", 0.14), ("PUT", 0.03), ("DELETE", 0.02), ("OPTIONS", 0.01))
_REGIONS = (("eu-west", 0.35), ("us-east", 0.40), ("ap-south", 0.25))
_STATUSES = ((200, 0.82), (201, 0.03), (204, 0.02), (301, 0.01), (304, 0.03), (400, 0.02),
             (401, 0.015), (404, 0.03), (429, 0.005), (500, 0.012), (502, 0.005), (503, 0.003))
_START = int(datetime(2026, 3, 2, tzinfo=UTC).timestamp())
_CHUNK = 50_000


def _choice(rng: np.random.Generator, table: tuple[tuple[object, float], ...], n: int) -> np.ndarray:
    values = np.array([value for value, _ in table], dtype=object)
    weights = np.array([weight for _, weight in table])
    return values[rng.choice(len(table), size=n, p=weights / weights.sum())]


def _corrupt(rng: np.random.Generator, line: str) -> str:
    """One of the ways a real log line goes bad."""
    fields = line.split(",")
    kind = int(rng.integers(0, 5))
    if kind == 0:
        return ",".join(fields[: int(rng.integers(1, len(fields)))])  # truncated write
    if kind == 1:
        fields[5] = "2OO"  # garbled status
    elif kind == 2:
        fields[6] = "-" + fields[6]  # negative size
    elif kind == 3:
        fields[0] = fields[0].replace("T", " ")[:16]  # not ISO-8601 UTC
    else:
        return ""  # an empty line
    return ",".join(fields)


def lines(rows: int, seed: int = 7, bad_fraction: float = 0.0, hours: int = 24) -> Iterator[str]:
    """The data lines (no header), `rows` of them, deterministic for (rows, seed, bad_fraction)."""
    rng = np.random.default_rng(seed)
    span = hours * 3600
    produced = 0
    while produced < rows:
        n = min(_CHUNK, rows - produced)
        offsets = np.sort(rng.integers(0, span, size=n))
        paths = _choice(rng, _PATHS, n)
        ids = rng.zipf(1.6, size=n) % 100_000
        methods = _choice(rng, _METHODS, n)
        statuses = _choice(rng, _STATUSES, n)
        regions = _choice(rng, _REGIONS, n)
        sizes = rng.lognormal(8.0, 1.2, size=n).astype(np.int64)
        latencies = (rng.lognormal(3.3, 0.9, size=n) + 1).astype(np.int64)
        octets = rng.integers(1, 255, size=(n, 4))
        request_ids = rng.integers(0, 2**63 - 1, size=n, dtype=np.int64)
        bad = rng.random(n) < bad_fraction
        for i in range(n):
            ts = datetime.fromtimestamp(_START + int(offsets[i]), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            path = str(paths[i]).replace("{id}", str(int(ids[i])))
            if paths[i] == "/healthz":
                method, status, size, latency = "GET", 200, 2, 1
            else:
                method, status, size, latency = methods[i], statuses[i], int(sizes[i]), int(latencies[i])
                if status >= 500:  # failures are slow: timeouts behind the proxy
                    latency = latency * 8
                if status in (204, 304):
                    size = 0
            ip = ".".join(str(int(o)) for o in octets[i])
            line = (f"{ts},{int(request_ids[i]):016x},{ip},{method},{path},{status},{size},{latency},"
                    f"{regions[i]}")
            yield _corrupt(rng, line) if bad[i] else line
        produced += n


def write_csv(path: Path, rows: int, seed: int = 7, bad_fraction: float = 0.0, hours: int = 24) -> Path:
    """Write a CSV file with a header line; returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as out:
        out.write(HEADER + "\n")
        batch: list[str] = []
        for line in lines(rows, seed, bad_fraction, hours):
            batch.append(line)
            if len(batch) >= 10_000:
                out.write("\n".join(batch) + "\n")
                batch.clear()
        if batch:
            out.write("\n".join(batch) + "\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description="Generate seeded web access logs as CSV.")
    parser.add_argument("output", type=Path)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--bad-fraction", type=float, default=0.0)
    parser.add_argument("--hours", type=int, default=24)
    args = parser.parse_args()
    write_csv(args.output, args.rows, args.seed, args.bad_fraction, args.hours)
    print(args.output)


if __name__ == "__main__":
    main()
