"""Exercise 12: enrich purchases with user profiles, promotions and a global mean, two ways.

- `join_with_side_inputs`: profiles as `AsDict`, promotions as `AsList`, the mean as `AsSingleton`.
  The big input (purchases) never moves; every worker gets a full copy of the small ones.
- `join_with_cogroupbykey`: purchases and profiles are both shuffled by user id and met per key.

Both use the same `join.py` functions, so they produce the same records; the bench measures which
moves data more cheaply. Everything else here (reading, parsing, dead letters, counting, writing) is
plumbing that both joins share.

Run: `python -m exercises.ex12_side_inputs.solution.pipeline [--runner DataflowRunner ...]` with
paths from `EX12_*` variables (see config.py).
"""

from __future__ import annotations

import argparse
import logging
import math
import signal
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple, TypeVar

import apache_beam as beam
from apache_beam.metrics.metric import Metrics, MetricsFilter
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.pvalue import AsDict, AsIter, AsList, AsSingleton, TaggedOutput

from exercises.ex12_side_inputs.config import Ex12Settings
from exercises.ex12_side_inputs.records import (
    DeadLetter,
    Enriched,
    Profile,
    Promotion,
    Purchase,
    Unmatched,
    parse_profile,
    parse_promotion,
    parse_purchase,
    to_json,
)

from .join import enrich, resolve_profiles

NAMESPACE = "ex12"
UNMATCHED = "unmatched"
DEAD = "dead_letter"
T = TypeVar("T")


class JoinOutputs(NamedTuple):
    """What a join produces: joined purchases, valid purchases it could not join, rejected profiles."""

    enriched: beam.PCollection[Enriched]
    unmatched: beam.PCollection[Unmatched]
    rejected: beam.PCollection[DeadLetter]


# -- the two joins ----------------------------------------------------------------------------------
class _EnrichWithSideInputs(beam.DoFn):  # type: ignore[misc]
    """Per purchase: look the user up in the AsDict side input; misses go to the `unmatched` output."""

    def process(self, purchase: Purchase, profiles: dict[str, Profile | None], promotions: list[Promotion],
                mean_amount: float) -> Iterator[Any]:
        result = enrich(purchase, profiles, promotions, mean_amount)
        yield TaggedOutput(UNMATCHED, result) if isinstance(result, Unmatched) else result


def join_with_side_inputs(purchases: beam.PCollection[Purchase], profiles: beam.PCollection[Profile],
                          promotions: beam.PCollection[Promotion],
                          mean_amount: beam.PCollection[float]) -> JoinOutputs:
    """The side-input join.

    Profiles are first grouped by user id and put through the duplicate policy, because `AsDict`
    on duplicate keys silently keeps one of them, whichever the runner saw last. The resolved table
    (user id -> profile, or None for a conflict) becomes the AsDict; the purchases stay where they are.
    """
    resolved = (
        profiles
        | "KeyProfiles" >> beam.Map(lambda p: (p.user_id, p))
        | "GroupProfileVersions" >> beam.GroupByKey()
        | "ApplyDuplicatePolicy" >> beam.MapTuple(resolve_profiles)
    )
    rejected = resolved | "RejectedVersions" >> beam.FlatMap(lambda r: r.rejected)
    table = resolved | "ProfileTable" >> beam.Map(lambda r: (r.user_id, r.profile))
    joined = purchases | "EnrichWithSideInputs" >> beam.ParDo(
        _EnrichWithSideInputs(),
        profiles=AsDict(table),
        promotions=AsList(promotions),
        mean_amount=AsSingleton(mean_amount),
    ).with_outputs(UNMATCHED, main="enriched")
    return JoinOutputs(joined.enriched, joined[UNMATCHED], rejected)


class _JoinPerUser(beam.DoFn):  # type: ignore[misc]
    """Per user id after the CoGroupByKey: resolve that user's profile versions, enrich their purchases."""

    def process(self, element: tuple[str, dict[str, list[Any]]], promotions: Iterable[Promotion],
                mean_amount: float) -> Iterator[Any]:
        user_id, groups = element
        versions: list[Profile] = list(groups["profiles"])
        resolution = resolve_profiles(user_id, versions)
        for letter in resolution.rejected:
            yield TaggedOutput(DEAD, letter)
        table: dict[str, Profile | None] = {user_id: resolution.profile} if versions else {}
        for purchase in groups["purchases"]:
            result = enrich(purchase, table, promotions, mean_amount)
            yield TaggedOutput(UNMATCHED, result) if isinstance(result, Unmatched) else result


def join_with_cogroupbykey(purchases: beam.PCollection[Purchase], profiles: beam.PCollection[Profile],
                           promotions: beam.PCollection[Promotion],
                           mean_amount: beam.PCollection[float]) -> JoinOutputs:
    """The shuffle join: both sides keyed by user id and grouped together.

    Promotions (a range join, tiny) and the mean (one value) stay side inputs: only the
    profile/purchase join is the one being compared.
    """
    joined = (
        {
            "profiles": profiles | "KeyProfiles" >> beam.Map(lambda p: (p.user_id, p)),
            "purchases": purchases | "KeyPurchases" >> beam.Map(lambda p: (p.user_id, p)),
        }
        | "CoGroupByUser" >> beam.CoGroupByKey()
        | "JoinPerUser" >> beam.ParDo(
            # AsIter here (AsList in the side-input join): a re-iterable view that the runner may
            # stream instead of materialising; for 24 promotions either is fine.
            _JoinPerUser(), promotions=AsIter(promotions), mean_amount=AsSingleton(mean_amount),
        ).with_outputs(UNMATCHED, DEAD, main="enriched")
    )
    return JoinOutputs(joined.enriched, joined[UNMATCHED], joined[DEAD])


JOINS: dict[str, Callable[..., JoinOutputs]] = {
    "side_input": join_with_side_inputs,
    "cogroupbykey": join_with_cogroupbykey,
}


# -- plumbing: parse, count, write ------------------------------------------------------------------
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


def build(pipeline: beam.Pipeline, settings: Ex12Settings, write: bool = True) -> None:
    """The whole pipeline: parse three CSVs, join with `settings.method`, count, write JSON lines."""
    profiles = parse(pipeline, "Profiles", settings.profiles, parse_profile)
    purchases = parse(pipeline, "Purchases", settings.purchases, parse_purchase)
    promotions = parse(pipeline, "Promotions", settings.promotions, parse_promotion)
    mean_amount = mean_purchase_amount(purchases.records)
    out = JOINS[settings.method](purchases.records, profiles.records, promotions.records, mean_amount)

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
        write: bool = True) -> JoinReport:
    """Run the pipeline to completion and return its counters."""
    settings = settings or Ex12Settings()
    options = PipelineOptions(pipeline_args or [])
    pipeline = beam.Pipeline(options=options)
    build(pipeline, settings, write=write)
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
    parser.add_argument("--method", choices=list(JOINS), default=defaults.method)
    known, beam_args = parser.parse_known_args(argv)
    return Ex12Settings(**vars(known)), beam_args


def _interrupt(signum: int, _frame: object) -> None:
    """SIGTERM -> KeyboardInterrupt; silence Beam's own error log of the bundle it interrupts."""
    logging.getLogger("apache_beam").setLevel(logging.CRITICAL)
    raise KeyboardInterrupt(signal.Signals(signum).name)


def main(argv: list[str] | None = None) -> int:
    """CLI: `python -m exercises.ex12_side_inputs.solution.pipeline [--method ...] [beam options]`."""
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
