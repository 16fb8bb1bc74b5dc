"""Exercise 13's pipeline: typed reviews through schema-aware transforms, out as CSV, Parquet and Avro.

Provided: the graph around what you write (`parse.parse_review`, the `transforms`, and the schemas
of `formats`), its writers, counters, `run` and the CLI. The implementation is the solution, or the
starter with `BOOTCAMP_IMPL=starter` (what `bootcamp check` sets) or `impl="starter"`.

    reviews.csv ─parse─► Review (RowCoder) ─┬─► product_stats (GroupBy.aggregate_field) ─► CSV + Parquet
         │                                  ├─► category_stats (beam.dataframe)        ─► CSV + Parquet
         └─► dead_letters.jsonl             ├─► analytics_view (Select) ─► GroupBy age_band ─► JSON lines
             (reason + original line)       ├─► trusted reviews (field filter) ─► counted
                                            └─► reviews.parquet + reviews.avro (full schema)

`--input-format avro` reads the Avro file instead of the CSV: the Avro schema variant, same
transforms downstream. Run: `python -m exercises.ex13_beam_schemas.run [beam args]`.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import signal
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, NamedTuple, TypeVar

import apache_beam as beam
from apache_beam.metrics.metric import Metrics, MetricsFilter
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.pvalue import TaggedOutput
from apache_beam.transforms.combiners import CountCombineFn, MeanCombineFn

from exercises.ex13_beam_schemas.config import Ex13Settings
from exercises.ex13_beam_schemas.fileformats import csv_header, from_plain, to_csv_line, to_plain
from exercises.ex13_beam_schemas.records import CategoryStats, DeadLetter, ProductStats, Review

NAMESPACE = "ex13"
DEAD = "dead_letter"
LOCAL_RUNNER = "FnApiRunner"
T = TypeVar("T")


def implementation(module: str, impl: str | None = None) -> ModuleType:
    """`parse`, `transforms` or `formats` of the solution or the starter."""
    which = impl or os.environ.get("BOOTCAMP_IMPL", "solution")
    return importlib.import_module(f"exercises.ex13_beam_schemas.{which}.{module}")


class _Parse(beam.DoFn):  # type: ignore[misc]
    def __init__(self, parse_review: Callable[[str], Any]) -> None:
        self.parse_review = parse_review

    def process(self, line: str) -> Iterator[Any]:
        record = self.parse_review(line)
        if isinstance(record, DeadLetter):
            Metrics.counter(NAMESPACE, f"dead.{record.reason.split(':', 1)[0]}").inc()
            yield TaggedOutput(DEAD, record)
        else:
            yield record


def read_reviews(pipeline: beam.Pipeline, settings: Ex13Settings, impl: str | None = None) -> tuple[Any, Any]:
    """Typed reviews and dead letters, from the CSV or from Avro (which needs no parsing: it is typed)."""
    if settings.input_format == "avro":
        reviews = (
            pipeline
            | "ReadAvro" >> beam.io.ReadFromAvro(settings.input)
            | "AvroToReview" >> beam.Map(lambda d: from_plain(Review, d)).with_output_types(Review)
        )
        empty = pipeline | "NoDeadLetters" >> beam.Create([]).with_output_types(DeadLetter)
        return reviews, empty
    parsed = (
        pipeline
        | "ReadCsv" >> beam.io.ReadFromText(settings.input, skip_header_lines=1)
        | "Parse" >> beam.ParDo(_Parse(implementation("parse", impl).parse_review)).with_outputs(
            DEAD, main="reviews")
    )
    return parsed.reviews | "Typed" >> beam.Map(lambda r: r).with_output_types(Review), parsed[DEAD]


def _counted(name: str) -> Callable[[T], T]:
    def count(element: T) -> T:
        Metrics.counter(NAMESPACE, name).inc()
        return element

    return count


def write_csv(pcoll: Any, label: str, path: str, row_type: type[NamedTuple]) -> None:
    _ = (
        pcoll
        | f"{label}CsvLine" >> beam.Map(to_csv_line)
        | f"{label}WriteCsv" >> beam.io.WriteToText(path, file_name_suffix=".csv",
                                                    header=csv_header(row_type),
                                                    num_shards=1, shard_name_template="")
    )


def write_parquet(pcoll: Any, label: str, path: str, row_type: type[NamedTuple], formats: ModuleType) -> None:
    _ = (
        pcoll
        | f"{label}Plain" >> beam.Map(to_plain)
        | f"{label}WriteParquet" >> beam.io.WriteToParquet(path, formats.arrow_schema(row_type),
                                                           file_name_suffix=".parquet",
                                                           num_shards=1, shard_name_template="")
    )


def write_avro(pcoll: Any, label: str, path: str, row_type: type[NamedTuple], formats: ModuleType) -> None:
    _ = (
        pcoll
        | f"{label}AvroPlain" >> beam.Map(to_plain)
        | f"{label}WriteAvro" >> beam.io.WriteToAvro(path, formats.avro_schema(row_type),
                                                     file_name_suffix=".avro", num_shards=1,
                                                     shard_name_template="")
    )


def build(pipeline: beam.Pipeline, settings: Ex13Settings, write: bool = True,
          impl: str | None = None) -> None:
    """The whole graph (module doc), with the implementation's parser, transforms and schemas."""
    transforms, formats = implementation("transforms", impl), implementation("formats", impl)
    reviews, dead = read_reviews(pipeline, settings, impl)
    reviews = reviews | "CountReviews" >> beam.Map(_counted("reviews")).with_output_types(Review)
    products = transforms.product_stats(reviews) | "CountProducts" >> beam.Map(
        _counted("products")).with_output_types(ProductStats)
    categories = transforms.category_stats(reviews) | "CountCategories" >> beam.Map(
        _counted("categories")).with_output_types(CategoryStats)
    age_bands = (
        transforms.analytics_view(reviews)
        | "GroupByAgeBand" >> beam.GroupBy("age_band")
        .aggregate_field("rating", CountCombineFn(), "n_reviews")
        .aggregate_field("rating", MeanCombineFn(), "avg_rating")
        .aggregate_field("text_length", MeanCombineFn(), "avg_text_length")
        | "AgeBandJson" >> beam.Map(lambda row: json.dumps(row._asdict(), sort_keys=True))
    )
    trusted = transforms.trusted_reviews(reviews, settings.min_helpful_votes)
    _ = trusted | "CountTrusted" >> beam.Map(_counted("trusted"))
    if not write:
        return
    base = settings.output_dir().rstrip("/")
    write_csv(products, "Products", f"{base}/product_stats", ProductStats)
    write_parquet(products, "Products", f"{base}/product_stats", ProductStats, formats)
    write_csv(categories, "Categories", f"{base}/category_stats", CategoryStats)
    write_parquet(categories, "Categories", f"{base}/category_stats", CategoryStats, formats)
    write_parquet(reviews, "Reviews", f"{base}/reviews", Review, formats)
    write_avro(reviews, "Reviews", f"{base}/reviews", Review, formats)
    _ = age_bands | "WriteAgeBands" >> beam.io.WriteToText(f"{base}/age_bands", file_name_suffix=".jsonl",
                                                           num_shards=1, shard_name_template="")
    _ = (
        dead
        | "DeadJson" >> beam.Map(lambda d: json.dumps(d._asdict(), ensure_ascii=False))
        | "WriteDead" >> beam.io.WriteToText(f"{base}/dead_letters", file_name_suffix=".jsonl",
                                             num_shards=1, shard_name_template="")
    )


@dataclass
class SchemaReport:
    """Counters of one run: reviews, products, categories, trusted, dead.<reason>."""

    counts: dict[str, int] = field(default_factory=dict)
    output: str = ""

    def total(self, prefix: str) -> int:
        return sum(v for k, v in self.counts.items() if k == prefix or k.startswith(prefix + "."))


def run(settings: Ex13Settings | None = None, pipeline_args: list[str] | None = None,
        write: bool = True, impl: str | None = None) -> SchemaReport:
    """Run to completion and return the counters. Without `--runner` in `pipeline_args` it runs on
    the FnApiRunner, named: Beam's default DirectRunner would first try to download Prism."""
    settings = settings or Ex13Settings()
    args = list(pipeline_args or [])
    if not any(arg.startswith("--runner") for arg in args):
        args.insert(0, f"--runner={LOCAL_RUNNER}")
    pipeline = beam.Pipeline(options=PipelineOptions(args))
    build(pipeline, settings, write=write, impl=impl)
    result = pipeline.run()
    result.wait_until_finish()
    counts: dict[str, int] = {}
    for counter in result.metrics().query(MetricsFilter().with_namespace(NAMESPACE))["counters"]:
        counts[counter.key.metric.name] = counts.get(counter.key.metric.name, 0) + int(counter.committed or 0)
    return SchemaReport(dict(sorted(counts.items())), settings.output_dir() if write else "")


def parse_args(argv: list[str]) -> tuple[Ex13Settings, list[str]]:
    """`--input/--input-format/--output/--min-helpful-votes` override EX13_* (underscored spellings too,
    as a Dataflow Flex Template passes its parameters); every other argument goes to Beam."""
    defaults = Ex13Settings()
    parser = argparse.ArgumentParser(prog="ex13", description="reviews through Beam schemas")
    parser.add_argument("--input", default=defaults.input)
    parser.add_argument("--input-format", "--input_format", dest="input_format", choices=["csv", "avro"],
                        default=defaults.input_format)
    parser.add_argument("--output", default=defaults.output)
    parser.add_argument("--min-helpful-votes", "--min_helpful_votes", dest="min_helpful_votes", type=int,
                        default=defaults.min_helpful_votes)
    known, beam_args = parser.parse_known_args(argv)
    return Ex13Settings(**vars(known)), beam_args


def _interrupt(signum: int, _frame: object) -> None:
    """SIGTERM -> KeyboardInterrupt; silence Beam's own error log of the bundle it interrupts."""
    logging.getLogger("apache_beam").setLevel(logging.CRITICAL)
    raise KeyboardInterrupt(signal.Signals(signum).name)


def main(argv: list[str] | None = None) -> int:
    """CLI: `python -m exercises.ex13_beam_schemas.run [--input ...] [beam options]`."""
    settings, beam_args = parse_args(sys.argv[1:] if argv is None else argv)
    previous = signal.signal(signal.SIGTERM, _interrupt)   # SIGTERM stops the run like Ctrl-C: exit 130
    try:
        report = run(settings, beam_args)
    except KeyboardInterrupt:
        print("ex13: interrupted; a batch pipeline writes its outputs only when it completes",
              file=sys.stderr)
        return 130
    except (OSError, ValueError) as error:
        print(f"ex13: {error.__class__.__name__}: {error}", file=sys.stderr)
        return 2
    finally:
        signal.signal(signal.SIGTERM, previous)
    print(f"ex13: {report.counts} -> {report.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
