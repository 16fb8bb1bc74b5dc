"""Provided: the Beam graph of Exercise 16, wired around the learner's parts, and `run`.

    Read adult.data ─ Clean ─┐                         ┌─ GroupByKey(level) ─ TrainPerLevel ──┐
                             ├─ Preprocess (fit: train)┤                                      ├─ Register
    Read adult.test ─ Clean ─┘       │                 └─ GroupByKey(level) ─ EvaluatePerLevel┘
                 └─ dead letters ────┴── global model (all training rows) as a side input of both

The learner's code comes from the implementation package (`solution`, or `starter` when
`BOOTCAMP_IMPL=starter`, or `impl=`): `clean.clean_line`, `features.Preprocess`,
`train.train_level` / `fit_model` / `evaluate_level`, `register.register_level`.

Runner: Beam's FnApiRunner, named (`--runner=FnApiRunner`): a bare `DirectRunner` in Beam 2.77 first
tries to download and start Prism and only then falls back to the FnApiRunner, which is what runs a
batch graph in one process either way.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

from exercises.ex16_income_prediction.census import (
    DeadLetter,
    LevelModel,
    LevelReport,
    Person,
    Settings,
    data_file,
    score,
)

RUNNER = ["--runner=FnApiRunner"]


def implementation(module: str, impl: str | None = None) -> ModuleType:
    which = impl or os.environ.get("BOOTCAMP_IMPL", "solution")
    return importlib.import_module(f"exercises.ex16_income_prediction.{which}.{module}")


class _Clean(beam.DoFn):  # type: ignore[misc]
    """Rows on the main output, dead letters (reason + original line) on `dead`, both counted."""

    def __init__(self, clean_line: Any, split: str) -> None:
        self._clean = clean_line
        self._split = split
        self._rows = beam.metrics.Metrics.counter("ex16", f"{split}_rows")
        self._dead = beam.metrics.Metrics.counter("ex16", f"{split}_dead_letters")

    def process(self, line: str) -> Iterator[Any]:
        result = self._clean(line, self._split)
        if isinstance(result, DeadLetter):
            self._dead.inc()
            yield beam.pvalue.TaggedOutput("dead", result)
        else:
            self._rows.inc()
            yield result


class _Register(beam.DoFn):  # type: ignore[misc]
    """The seed's "Save Models": one registry version per level. Not idempotent: a retried bundle
    registers another version (harmless here: aliases, not version numbers, name what serves)."""

    def __init__(self, register: Any, tracking_uri: str, settings: Settings, experiment: str) -> None:
        self._register = register
        self._uri = tracking_uri
        self._settings = settings
        self._experiment = experiment
        self._client: Any = None

    def setup(self) -> None:
        if not self._settings.register:
            return
        import mlflow

        from bootcamp.ml.registry import client

        logging.getLogger("mlflow").setLevel(logging.WARNING)
        mlflow.set_tracking_uri(self._uri)
        mlflow.set_experiment(self._experiment)
        self._client = client(self._uri)

    def process(self, element: tuple[str, dict[str, list[Any]]]) -> Iterator[str]:
        level, joined = element
        if not joined["model"] or not joined["report"]:
            return
        model: LevelModel = joined["model"][0]
        report: LevelReport = joined["report"][0]
        registered = (self._register(self._client, model, report, self._settings)
                      if self._settings.register else None)
        yield json.dumps({"level": level, "registered": registered, "report": report_dict(report)})


def report_dict(report: LevelReport) -> dict[str, Any]:
    return {"level": report.level, "kind": report.kind, "n_train": report.n_train,
            "served": report.served.as_dict(), "global": report.global_.as_dict(),
            "level_only": report.level_only.as_dict() if report.level_only else None}


def _keep_level(levels: tuple[str, ...]) -> Any:
    return lambda person: not levels or person.education in levels


def build(p: beam.Pipeline, settings: Settings, train_path: Path, test_path: Path, out: Path,
          tracking_uri: str, impl: str | None = None) -> None:
    clean, features, train, register = (implementation(m, impl) for m in ("clean", "features", "train",
                                                                              "register"))
    rows: dict[str, Any] = {}
    dead: list[Any] = []
    for split, path in (("train", train_path), ("test", test_path)):
        parsed = (p | f"Read {split}" >> beam.io.ReadFromText(str(path))
                  | f"Clean {split}" >> beam.ParDo(_Clean(clean.clean_line, split)).with_outputs(
                      "dead", main="rows"))
        rows[split] = parsed.rows | f"Levels {split}" >> beam.Filter(_keep_level(settings.levels))
        dead.append(parsed.dead)
    _ = (dead | "Dead letters" >> beam.Flatten()
         | "Dead JSON" >> beam.Map(lambda d: json.dumps({"reason": d.reason, "split": d.split,
                                                        "line": d.line}))
         | "Write dead" >> beam.io.WriteToText(str(out / "dead_letters"), ".jsonl", shard_name_template=""))

    pre = rows | "Preprocess" >> features.Preprocess()
    prep = beam.pvalue.AsSingleton(pre["preprocessor"])
    global_model = (pre["train"] | "Train examples" >> beam.Values()
                    | "All training rows" >> beam.combiners.ToList()
                    | "Train global" >> beam.Map(train.fit_model, prep, settings))
    global_side = beam.pvalue.AsSingleton(global_model)
    models = (pre["train"] | "Group train by level" >> beam.GroupByKey()
              | "Train per level" >> beam.Map(
                  lambda kv, prep, g: (kv[0], train.train_level(kv[0], list(kv[1]), prep, g, settings)),
                  prep, global_side))
    test_people = (pre["test"] | "Group test by level" >> beam.GroupByKey()
                   | "People" >> beam.MapTuple(lambda level, examples: (level, [e.person for e in examples])))
    overall = (pre["test"] | "Test examples" >> beam.Values() | "All test rows" >> beam.combiners.ToList()
               | "Score global overall" >> beam.Map(lambda ex, g: score(g, [e.person for e in ex]),
                                                    global_side))

    def evaluate(kv: tuple[str, list[Person]], models: dict[str, LevelModel], g: Any,
                 overall: Any) -> tuple[str, LevelReport]:
        level, people = kv
        chosen = models.get(level) or LevelModel(level, g, "global-fallback", 0, 0)
        return level, train.evaluate_level(level, people, chosen, g, overall)

    reports = test_people | "Evaluate per level" >> beam.Map(
        evaluate, beam.pvalue.AsDict(models), global_side, beam.pvalue.AsSingleton(overall))
    _ = (overall | "Overall JSON" >> beam.Map(lambda m: json.dumps(m.as_dict()))
         | "Write overall" >> beam.io.WriteToText(str(out / "global_overall"), ".json",
                                                  shard_name_template=""))
    _ = ({"model": models, "report": reports} | "Join" >> beam.CoGroupByKey()
         | "Register" >> beam.ParDo(_Register(register.register_level, tracking_uri, settings,
                                              settings.prefix))
         | "Write results" >> beam.io.WriteToText(str(out / "results"), ".jsonl", shard_name_template=""))


@dataclass(frozen=True)
class Report:
    """What a run produced: per-level results (with the registered version), dead letters, counters."""

    levels: list[dict[str, Any]]
    global_overall: dict[str, float]
    dead_letters: list[dict[str, str]]
    counters: dict[str, int]

    def dead_reasons(self) -> Counter[str]:
        return Counter(d["reason"].split(" in ")[0] if d["reason"].startswith("missing") else d["reason"]
                       for d in self.dead_letters)


def run(settings: Settings, out: Path, tracking_uri: str, *, train_path: Path | None = None,
        test_path: Path | None = None, impl: str | None = None, options: list[str] | None = None) -> Report:
    """Build and run the pipeline; read back what it wrote under `out`."""
    out.mkdir(parents=True, exist_ok=True)
    p = beam.Pipeline(options=PipelineOptions(options or RUNNER))
    build(p, settings, train_path or data_file("train"), test_path or data_file("test"), out, tracking_uri,
          impl)
    result = p.run()
    result.wait_until_finish()
    counters = {c.key.metric.name: int(c.committed or c.attempted or 0)
                for c in result.metrics().query()["counters"]}

    def lines(name: str) -> list[str]:
        path = out / name
        return [line for line in path.read_text().splitlines() if line] if path.is_file() else []

    levels = sorted((json.loads(x) for x in lines("results.jsonl")), key=lambda r: -r["report"]["n_train"])
    overall = json.loads(lines("global_overall.json")[0]) if lines("global_overall.json") else {}
    return Report(levels, overall, [json.loads(x) for x in lines("dead_letters.jsonl")], counters)
