"""Provided: the CI/CD steps of Exercise 15, each a command, so that CI and a laptop run the same thing.

    python -m exercises.ex15_multilingual_ml.ci pipeline  --out DIR   # Beam: corpus -> shards + dead letters
    python -m exercises.ex15_multilingual_ml.ci train     --out DIR   # vocab, KN, LM, fine-tunes, scores
    python -m exercises.ex15_multilingual_ml.ci promote   --out DIR   # register; champion only if better
    python -m exercises.ex15_multilingual_ml.ci all       --out DIR   # the three in one process

`--quick` trains the small configuration (what CI runs on every push; `bootcamp run ex15 --quick`).
The steps hand over through files under `--out` (shards, `models/*.npz`, `evaluation.json`,
`promotion.json`), as separate CI jobs would through artifacts. `promote` needs a registry:
`MLFLOW_TRACKING_URI`, or the project's local MLflow server started on demand.
deploy/github-actions/train.yml runs these same commands.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from exercises.ex15_multilingual_ml import pipeline, training
from exercises.ex15_multilingual_ml.corpus import data_file
from exercises.ex15_multilingual_ml.neural import LanguageModel
from exercises.ex15_multilingual_ml.training import Row, Settings

QUICK_ENTITIES = ("scalc", "smath")


def settings_for(quick: bool, prefix: str = "ex15-lm") -> Settings:
    if quick:
        return Settings.quick(prefix=prefix, entities=QUICK_ENTITIES)
    return Settings(prefix=prefix)


def step_pipeline(out: Path, corpus: Path | None = None) -> dict[str, Any]:
    started = time.perf_counter()
    shards = pipeline.run(corpus or data_file(), out)
    summary = {"seconds": time.perf_counter() - started, "shards": shards.sizes(),
               "dead_letters": dict(shards.dead_reasons()), "counters": shards.counters}
    (out / "pipeline.json").write_text(json.dumps(summary, indent=1))
    return summary


def _model_file(out: Path, model: LanguageModel) -> Path:
    return out / "models" / f"{model.language}{'-' + model.entity if model.entity else ''}.npz"


def step_train(out: Path, settings: Settings, impl: str | None = None) -> dict[str, Any]:
    shards = pipeline.read_shards(out)
    if not shards.docs:
        raise SystemExit(f"no shards under {out / 'shards'}: run the `pipeline` step first")
    started = time.perf_counter()
    trained, rows = training.train_all(shards, settings, impl)
    (out / "models").mkdir(parents=True, exist_ok=True)
    for t in trained:
        for model in (t.model, *t.entities.values()):
            _model_file(out, model).write_bytes(model.save())
    evaluation = {"seconds": time.perf_counter() - started, "rows": [r.as_dict() for r in rows],
                  "train_seconds": {t.language: t.seconds for t in trained},
                  "vocab": {t.language: len(t.vocab) for t in trained}}
    (out / "evaluation.json").write_text(json.dumps(evaluation, indent=1))
    return evaluation


def _row(data: dict[str, Any]) -> Row:
    fields = {k: v for k, v in data.items() if k != "gain_vs_kn"}
    return Row(**fields)


def step_promote(out: Path, settings: Settings, uri: str, impl: str | None = None,
                 experiment: str | None = None) -> list[dict[str, Any]]:
    import mlflow

    from bootcamp.ml.registry import client
    from exercises.ex15_multilingual_ml import register

    register.quiet()
    evaluation = json.loads((out / "evaluation.json").read_text())
    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment(experiment or settings.prefix)
    mlflow_client = client(uri)
    results = []
    for data in evaluation["rows"]:
        row = _row(data)
        path = out / "models" / f"{row.language}{'-' + row.entity if row.entity else ''}.npz"
        model = LanguageModel.load(path.read_bytes())
        results.append({"language": row.language, "entity": row.entity,
                        **register.register_model(mlflow_client, model, row, settings, impl)})
    (out / "promotion.json").write_text(json.dumps(results, indent=1))
    return results


def run_all(out: Path, quick: bool, uri: str, prefix: str = "ex15-lm", impl: str | None = None,
            corpus: Path | None = None) -> dict[str, Any]:
    settings = settings_for(quick, prefix)
    return {"pipeline": step_pipeline(out, corpus), "train": step_train(out, settings, impl),
            "promote": step_promote(out, settings, uri, impl)}


def parser() -> argparse.ArgumentParser:
    """The command line of the CI steps (the workflow's `run:` lines are parsed by it in a test)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("step", choices=("pipeline", "train", "promote", "all"))
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--prefix", default="ex15-lm")
    parser.add_argument("--corpus", type=Path, default=None)
    parser.add_argument("--min-gain", type=float, default=None, help="promotion threshold (0.01 = 1 %%)")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    settings = settings_for(args.quick, args.prefix)
    if args.min_gain is not None:
        settings = replace(settings, min_gain=args.min_gain)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.step in ("pipeline", "all"):
        summary = step_pipeline(args.out, args.corpus)
        print(f"pipeline: {sum(summary['shards'].values())} documents in {len(summary['shards'])} shards, "
              f"dead letters {summary['dead_letters']}, {summary['seconds']:.1f}s")
    if args.step in ("train", "all"):
        evaluation = step_train(args.out, settings)
        for r in evaluation["rows"]:
            tuned = "" if r["fine_tuned"] is None else f" fine-tuned {r['fine_tuned']:.1f}"
            print(f"train: {r['language']} {r['entity'] or '(language)'}: LM {r['base']:.1f}{tuned} "
                  f"KN {r['kn']:.1f} ({r['gain_vs_kn']:+.1%} vs KN)")
    if args.step in ("promote", "all"):
        from bootcamp.ml.registry import tracking_uri

        for result in step_promote(args.out, settings, tracking_uri()):
            print(f"promote: {result['name']} v{result['version']}: "
                  f"{'champion' if result['promoted'] else 'not promoted'} ({result['reason']})")


if __name__ == "__main__":
    main()
