"""Everything around the joins: read and parse the CSVs, the mean, count, write, run, the CLI. Provided.

The two joins (`pipeline.py`, which you write) receive parsed PCollections and return `JoinOutputs`;
this module reads the three CSV files into records and dead letters, computes the global mean
purchase amount (an `AsSingleton` side input for both joins), counts every outcome with Beam
metrics, writes `enriched`, `unmatched` and `dead_letters` as JSON lines, and runs the pipeline.

Run: `python -m exercises.ex12_side_inputs.run [--runner DataflowRunner ...]` with paths from
`EX12_*` variables (see config.py). The implementation is the solution, or the starter with
`BOOTCAMP_IMPL=starter` (what `bootcamp check` sets).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import math
import os
import signal
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, TypeVar, get_args

import apache_beam as beam
from apache_beam.metrics.metric import Metrics, MetricsFilter
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.pvalue import TaggedOutput

from exercises.ex12_side_inputs.config import Ex12Settings, Method
from exercises.ex12_side_inputs.records import (
    DEAD,
    NAMESPACE,
    DeadLetter,
    Purchase,
    parse_profile,
    parse_promotion,
    parse_purchase,
    to_json,
)

LOCAL_RUNNER = "FnApiRunner"
METHODS: tuple[str, ...] = get_args(Method)
T = TypeVar("T")


def implementation(impl: str | None = None) -> ModuleType:
    """The `pipeline` module (the joins) of the solution or the starter."""
    which = impl or os.environ.get("BOOTCAMP_IMPL", "solution")
    return importlib.import_module(f"exercises.ex12_side_inputs.{which}.pipeline")


class _Parse(beam.DoFn):  # type: ignore[misc]
    def __init__(self, parser: Callable[[str], Any]) -> None:
        self.parser = parser

    def process(self, line: str) -> Iterator[Any]:
        record = self.parser(line)
        yield TaggedOutput(DEAD, record) if isinstance(record, DeadLetter) else record


def parse(pipeline: beam.Pipeline, label: str, path: str, parser: Callable[[str], Any]) -> Any:
    """Read a CSV file (header skipped) and split it into records and dead letters."""
    return (
        pipeline
        | f"Read{label}" >> beam.io.ReadFromText(path, skip_header_lines=1)
        | f"Parse{label}" >> beam.ParDo(_Parse(parser)).with_outputs(DEAD, main="records")
    )


def _counted(name: Callable[[Any], str]) -> Callable[[T], T]:
    """An identity function that increments the counter `name(element)` in namespace ex12."""

    def count(element: T) -> T:
        Metrics.counter(NAMESPACE, name(element)).inc()
        return element

    return count


def _reason(letter: Any) -> str:
    return str(letter.reason).split(":", 1)[0]


def mean_purchase_amount(purchases: beam.PCollection[Purchase]) -> beam.PCollection[float]:
    """The global mean amount, one element (0.0 for no purchases), for AsSingleton."""
    return (
        purchases
        | "Amounts" >> beam.Map(lambda p: p.amount)
        | "MeanAmount" >> beam.combiners.Mean.Globally()
        | "NaNToZero" >> beam.Map(lambda m: 0.0 if math.isnan(m) else float(m))
    )


def build(pipeline: beam.Pipeline, settings: Ex12Settings, write: bool = True,
          impl: str | None = None) -> None:
    """The whole pipeline: parse three CSVs, join with `settings.method` (the implementation's
    `JOINS`), count, write JSON lines."""
    profiles = parse(pipeline, "Profiles", settings.profiles, parse_profile)
    purchases = parse(pipeline, "Purchases", settings.purchases, parse_purchase)
    promotions = parse(pipeline, "Promotions", settings.promotions, parse_promotion)
    mean_amount = mean_purchase_amount(purchases.records)
    joins = implementation(impl).JOINS
    out = joins[settings.method](purchases.records, profiles.records, promotions.records, mean_amount)

    dead = (
        (profiles[DEAD], purchases[DEAD], promotions[DEAD], out.rejected)
        | "AllDeadLetters" >> beam.Flatten()
        | "CountDead" >> beam.Map(_counted(lambda d: f"dead.{_reason(d)}"))
    )
    enriched = out.enriched | "CountEnriched" >> beam.Map(_counted(lambda _e: "enriched"))
    unmatched = out.unmatched | "CountUnmatched" >> beam.Map(_counted(lambda u: f"unmatched.{u.reason}"))
    if write:
        base = settings.output_dir().rstrip("/")
        for label, pcoll in (("enriched", enriched), ("unmatched", unmatched), ("dead_letters", dead)):
            _ = (
                pcoll
                | f"{label}ToJson" >> beam.Map(to_json)
                | f"Write_{label}" >> beam.io.WriteToText(f"{base}/{label}", file_name_suffix=".jsonl",
                                                          num_shards=1, shard_name_template="")
            )


@dataclass
class JoinReport:
    """Counters of one run: `enriched`, `unmatched.<reason>`, `dead.<reason>`."""

    method: str
    counts: dict[str, int] = field(default_factory=dict)
    output: str = ""

    def total(self, prefix: str) -> int:
        return sum(v for k, v in self.counts.items() if k == prefix or k.startswith(prefix + "."))


def run(settings: Ex12Settings | None = None, pipeline_args: list[str] | None = None,
        write: bool = True, impl: str | None = None) -> JoinReport:
    """Run the pipeline to completion and return its counters.

    Without `--runner` in `pipeline_args` it runs on the FnApiRunner, named: Beam's default
    `DirectRunner` would first try to download and start Prism, and fall back only when that fails.
    """
    args = list(pipeline_args or [])
    if not any(arg.startswith("--runner") for arg in args):
        args.insert(0, f"--runner={LOCAL_RUNNER}")
    pipeline = beam.Pipeline(options=PipelineOptions(args))
    build(pipeline, settings := settings or Ex12Settings(), write=write, impl=impl)
    result = pipeline.run()
    result.wait_until_finish()
    counters = result.metrics().query(MetricsFilter().with_namespace(NAMESPACE))["counters"]
    counts: dict[str, int] = {}
    for counter in counters:
        counts[counter.key.metric.name] = counts.get(counter.key.metric.name, 0) + int(counter.committed or 0)
    return JoinReport(settings.method, dict(sorted(counts.items())), settings.output_dir() if write else "")


def parse_args(argv: list[str]) -> tuple[Ex12Settings, list[str]]:
    """`--profiles/--purchases/--promotions/--output/--method` override the EX12_* variables (a
    Dataflow Flex Template passes its parameters this way); every other argument goes to Beam."""
    defaults = Ex12Settings()
    parser = argparse.ArgumentParser(prog="ex12", description="enrich purchases with profiles")
    for name in ("profiles", "purchases", "promotions", "output"):
        parser.add_argument(f"--{name}", default=getattr(defaults, name))
    parser.add_argument("--method", choices=list(METHODS), default=defaults.method)
    known, beam_args = parser.parse_known_args(argv)
    return Ex12Settings(**vars(known)), beam_args


def _interrupt(signum: int, _frame: object) -> None:
    """SIGTERM -> KeyboardInterrupt; silence Beam's own error log of the bundle it interrupts."""
    logging.getLogger("apache_beam").setLevel(logging.CRITICAL)
    raise KeyboardInterrupt(signal.Signals(signum).name)


def main(argv: list[str] | None = None) -> int:
    """CLI: `python -m exercises.ex12_side_inputs.run [--method ...] [beam options]`; the implementation
    is the solution, or the starter with `BOOTCAMP_IMPL=starter`."""
    settings, beam_args = parse_args(sys.argv[1:] if argv is None else argv)
    previous = signal.signal(signal.SIGTERM, _interrupt)   # SIGTERM stops the run like Ctrl-C: exit 130
    try:
        print(f"ex12: running the {settings.method} join", file=sys.stderr, flush=True)
        report = run(settings, beam_args)
    except KeyboardInterrupt:
        print("ex12: interrupted; a batch pipeline writes its outputs only when it completes",
              file=sys.stderr)
        return 130
    except (OSError, ValueError) as error:
        print(f"ex12: {error.__class__.__name__}: {error}", file=sys.stderr)
        return 2
    finally:
        signal.signal(signal.SIGTERM, previous)
    print(f"ex12 ({report.method}): {report.counts} -> {report.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
