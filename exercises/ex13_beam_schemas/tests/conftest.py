"""Inputs for the tests: a small generated file plus hand-written bad rows, and helpers."""

from __future__ import annotations

from pathlib import Path

import pytest

from bootcamp.datasets.reviews import HEADER, write_reviews

GOOD = 'R1,U1,B1,books,5,34,true,3,2024-03-01T10:00:00Z,"Great novel, truly. Said ""wow""."'
BAD_ROWS = {
    "bad_age": "R90,U9,B1,books,4,thirty,true,0,2024-03-02T10:00:00Z,Nice",
    "missing_fields": "R91,U9,B1,books,4,30,true",
    "bad_rating": "R92,U9,B1,books,7,30,true,0,2024-03-02T10:00:00Z,Off the scale",
    "bad_timestamp": "R93,U9,B1,books,4,30,true,0,yesterday,When?",
}


@pytest.fixture
def reviews_csv(tmp_path: Path) -> Path:
    """300 generated reviews (no faults) followed by one bad row of each kind."""
    path = tmp_path / "reviews.csv"
    write_reviews(path, 300, seed=5, n_products=12, n_users=100, bad_rate=0.0)
    with path.open("a", encoding="utf-8") as handle:
        for line in BAD_ROWS.values():
            handle.write(line + "\n")
    return path


def data_lines(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == ",".join(HEADER)
    return lines[1:]
