"""End to end on the DirectRunner: files in; CSV, Parquet and Avro out, read back with their types."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path
from statistics import mean
from typing import Any

import fastavro
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bootcamp.testing.plugin import Implementation
from exercises.ex13_beam_schemas import run as ex13
from exercises.ex13_beam_schemas.config import Ex13Settings
from exercises.ex13_beam_schemas.records import ProductStats, Review

from .conftest import BAD_ROWS, data_lines


def run(impl: Implementation, **settings: Any) -> Any:
    return ex13.run(Ex13Settings(**settings), ["--runner=FnApiRunner"], impl=impl.package.rsplit(".", 1)[1])


@pytest.fixture
def outputs(impl: Implementation, reviews_csv: Path, tmp_path: Path) -> tuple[Any, Path]:
    out = tmp_path / "out"
    return run(impl, input=str(reviews_csv), output=str(out)), out


def test_parquet_output_keeps_the_schema_and_the_values(impl: Implementation, reviews_csv: Path,
                                                        outputs: tuple[Any, Path]) -> None:
    report, out = outputs
    table = pq.read_table(out / "product_stats.parquet")
    assert table.schema.names == list(ProductStats._fields)
    assert [f.type for f in table.schema] == [pa.string(), pa.string(), pa.int64(), pa.float64(), pa.int64()]
    reviews = [r for r in map(impl.parse.parse_review, data_lines(reviews_csv)) if isinstance(r, Review)]
    ratings: dict[str, list[int]] = defaultdict(list)
    for r in reviews:
        ratings[r.product_id].append(r.rating)
    got = {row["product_id"]: row for row in table.to_pylist()}
    assert set(got) == set(ratings)
    for pid, values in ratings.items():
        assert got[pid]["n_reviews"] == len(values), "n_reviews must count the reviews of that product"
        assert got[pid]["avg_rating"] == pytest.approx(mean(values)), \
            "avg_rating must be the mean of that product's ratings (aggregate_field: right field, right key)"
    full = pq.read_table(out / "reviews.parquet")
    assert full.num_rows == len(reviews) == report.counts["reviews"]
    assert full.schema.field("review_ts").type == pa.timestamp("us", tz="UTC")
    assert full.schema.field("verified").type == pa.bool_()
    first = min(full.to_pylist(), key=lambda row: row["review_id"])
    assert first["review_ts"].isoformat() == min(reviews).review_ts.to_utc_datetime(has_tz=True).isoformat()


def test_csv_output_has_the_schema_header_and_the_same_values(outputs: tuple[Any, Path]) -> None:
    _report, out = outputs
    with (out / "category_stats.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    parquet = {row["category"]: row for row in pq.read_table(out / "category_stats.parquet").to_pylist()}
    assert list(rows[0]) == ["category", "n_reviews", "avg_rating", "avg_reviewer_age"]
    assert {r["category"] for r in rows} == set(parquet)
    for row in rows:
        assert int(row["n_reviews"]) == parquet[row["category"]]["n_reviews"]
        assert float(row["avg_rating"]) == parquet[row["category"]]["avg_rating"], "CSV keeps full precision"


def test_bad_rows_go_to_dead_letters_counted_with_the_original_line(outputs: tuple[Any, Path]) -> None:
    report, out = outputs
    letters = [json.loads(line) for line in (out / "dead_letters.jsonl").read_text().splitlines()]
    assert {d["reason"].split(":")[0]: d["line"] for d in letters} == BAD_ROWS
    assert report.total("dead") == len(BAD_ROWS)
    assert report.counts["dead.bad_age"] == 1
    assert report.counts["reviews"] == 300


def test_avro_variant_round_trips_the_schema_and_gives_the_same_stats(impl: Implementation,
                                                                      outputs: tuple[Any, Path],
                                                                      tmp_path: Path) -> None:
    report, out = outputs
    with (out / "reviews.avro").open("rb") as handle:
        reader = fastavro.reader(handle)
        writer_schema = reader.writer_schema
        records = list(reader)
    fields = {f["name"]: f["type"] for f in writer_schema["fields"]}
    assert fields["review_ts"] == {"type": "long", "logicalType": "timestamp-micros"}
    assert fields["rating"] == "long"
    assert len(records) == report.counts["reviews"]
    assert records[0]["review_ts"].tzinfo is not None

    again = run(impl, input=str(out / "reviews.avro"), input_format="avro", output=str(tmp_path / "avro"))
    assert again.counts["reviews"] == report.counts["reviews"]
    assert sorted((tmp_path / "avro" / "product_stats.csv").read_text().splitlines()) == \
        sorted((out / "product_stats.csv").read_text().splitlines())


def test_age_bands_come_from_select_then_groupby(outputs: tuple[Any, Path]) -> None:
    report, out = outputs
    bands = [json.loads(line) for line in (out / "age_bands.jsonl").read_text().splitlines()]
    assert sum(b["n_reviews"] for b in bands) == report.counts["reviews"]
    assert all(set(b) == {"age_band", "n_reviews", "avg_rating", "avg_text_length"} for b in bands)
    assert report.counts["trusted"] < report.counts["reviews"]


def test_cli_runs_then_reports_a_missing_input_in_one_line(impl: Implementation, reviews_csv: Path,
                                                           tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert ex13.main(["--input", str(reviews_csv), "--output", str(tmp_path / "o")]) == 0
    assert "'reviews': 300" in capsys.readouterr().out
    assert ex13.main(["--input", str(tmp_path / "none.csv"), "--output", str(tmp_path / "o2")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("ex13: ")
    assert len(err.splitlines()) == 1
