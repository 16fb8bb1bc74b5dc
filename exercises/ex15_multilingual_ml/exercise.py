"""Exercise 15 manifest: `bootcamp run ex15` and `bootcamp bench ex15`.

Service: the local MLflow tracking server + Model Registry (or `MLFLOW_TRACKING_URI`). Beam's
FnApiRunner (named) runs the pipeline in-process; JAX trains on the CPU.
"""

from __future__ import annotations

import math
import shutil
import time

from rich.console import Console
from rich.table import Table

from bootcamp.bench import BenchReport, Stopwatch, ratio
from bootcamp.exercises import CATALOG, Exercise, RunResult
from bootcamp.paths import state_dir

PREFIX = "ex15-lm"


def _fmt(value: float | None) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.1f}"


def run(quick: bool) -> RunResult:
    """The CI steps end to end on the committed corpus: pipeline, train + evaluate, register + promote."""
    import os

    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    from bootcamp.ml.registry import tracking_uri
    from exercises.ex15_multilingual_ml import ci

    console = Console(width=max(Console().width, 132))
    uri = tracking_uri()
    out = state_dir() / "ex15" / "run"
    shutil.rmtree(out, ignore_errors=True)
    with Stopwatch() as sw:
        result = ci.run_all(out, quick, uri, PREFIX)
    promoted = {(r["language"], r["entity"]): r for r in result["promote"]}
    table = Table(title=f"ex15: test perplexity per token (lower is better), registry {uri}")
    for col in ("language", "entity", "test tokens", "<unk> %", "LM", "fine-tuned", "KN trigram",
                "vs KN", "LM+KN mix (w)", "version", "champion"):
        table.add_column(col, no_wrap=True, justify="left" if col in ("language", "entity") else "right")
    for r in result["train"]["rows"]:
        reg = promoted.get((r["language"], r["entity"]), {})
        table.add_row(r["language"], r["entity"] or "(all)", str(r["test_tokens"]),
                      f"{100 * r['unk_rate']:.1f}",
                      _fmt(r["base"]), _fmt(r["fine_tuned"]), _fmt(r["kn"]), f"{-r['gain_vs_kn']:+.0%}",
                      "-" if r.get("mixed") is None else f"{r['mixed']:.1f} ({r['mix_weight']:.2f})",
                      f"v{reg.get('version', '')}", "promoted" if reg.get("promoted") else "kept")
    console.print(table)
    seconds = result["train"]["train_seconds"]
    console.print("training seconds: " + "; ".join(
        f"{lang} LM {s['language_model']:.1f}, KN {s['kn']:.2f}, fine-tunes "
        f"{sum(v for k, v in s.items() if k.startswith('fine_tune')):.1f}" for lang, s in seconds.items()))
    console.print(f"pipeline: {sum(result['pipeline']['shards'].values())} documents, dead letters "
                  f"{result['pipeline']['dead_letters']}; registered {PREFIX}-<lang>[-<module>] "
                  f"(tags language, entity_type, entity; aliases challenger, champion); {sw.seconds:.1f}s")
    languages = [r for r in result["train"]["rows"] if r["entity"] is None]
    ok = len(languages) == 3 and all(math.isfinite(r["base"]) and math.isfinite(r["kn"]) for r in languages)
    return RunResult(ok=ok, summary=(f"{len(result['promote'])} models registered; LM vs KN per language: "
                                     + ", ".join(f"{r['language']} {r['base']:.0f}/{r['kn']:.0f}"
                                                 for r in languages)),
                     figures={"models": str(len(result["promote"])),
                              "dead_letters": str(sum(result["pipeline"]["dead_letters"].values()))})


def bench(quick: bool) -> None:
    """Training time per language (2 cores) and test perplexity of the GRU vs the Kneser-Ney baseline."""
    from dataclasses import replace

    from exercises.ex15_multilingual_ml import pipeline, training
    from exercises.ex15_multilingual_ml.corpus import data_file
    from exercises.ex15_multilingual_ml.neural import NeuralConfig

    root = state_dir() / "ex15" / "bench"
    shutil.rmtree(root, ignore_errors=True)
    report = BenchReport("ex15", "ex15: per language, training seconds and test perplexity, GRU vs KN",
                         ["language", "model", "train s", "test perplexity", "vs KN"])
    report.progress(4)
    report.chart("bar", x="language", y="test perplexity", series="model",
                 title="test perplexity per token (lower is better)")
    report.chart("bar", x="language", y="train s", series="model", title="training seconds")
    with report.step("Beam pipeline (FnApiRunner)"), Stopwatch() as pipe:
        shards = pipeline.run(data_file(), root)
    if quick:
        settings = training.Settings(max_vocab=800, language=NeuralConfig(steps=80, dim=24, hidden=48),
                                     entities=("none",))
    else:
        settings = replace(training.Settings(), entities=("none",))
    metrics: dict[str, float] = {"pipeline_s": pipe.seconds, "steps": settings.language.steps}
    for language in shards.languages():
        with report.step(f"train {language}"):
            started = time.perf_counter()
            trained = training.train_language(shards, language, settings, "solution")
            rows = training.evaluate_language(shards, trained, "solution")
            _ = time.perf_counter() - started
        row = rows[0]
        report.add(language, "KN trigram", trained.seconds["kn"], row.kn, 1.0)
        report.add(language, "GRU LM", trained.seconds["language_model"], row.base, ratio(row.base, row.kn))
        metrics[f"{language}_lm_s"] = trained.seconds["language_model"]
        metrics[f"{language}_kn_s"] = trained.seconds["kn"]
        metrics[f"{language}_lm_ppl"] = row.base
        metrics[f"{language}_kn_ppl"] = row.kn
        metrics[f"{language}_lm_vs_kn"] = ratio(row.base, row.kn)
        if row.mixed is not None:
            report.add(language, "GRU+KN mix", trained.seconds["language_model"], row.mixed,
                       ratio(row.mixed, row.kn))
            metrics[f"{language}_mix_ppl"] = row.mixed
            metrics[f"{language}_mix_weight"] = row.mix_weight or 0.0
    report.note(f"GRU: {settings.language.steps} Adam steps of {settings.language.batch} windows of "
                f"{settings.language.window} tokens, dim {settings.language.dim}, hidden "
                f"{settings.language.hidden}, tied embeddings {settings.language.tie}, AdamW decay "
                f"{settings.language.weight_decay}, warm-up {settings.language.warmup} + "
                f"{settings.language.decay}; "
                f"vocabulary at most {settings.max_vocab} (train split, min "
                f"count {settings.min_count}); both models on the same vocabulary and <unk>.")
    report.note("GRU+KN mix: w * P_GRU + (1 - w) * P_KN per token, w chosen on the validation split (grid "
                "of 0.05), an extra row beside the GRU's own, not a replacement for it.")
    report.note("train s of the GRU includes XLA's compilation of the step (a few seconds per vocabulary "
                "size); 'vs KN' is perplexity / KN's (below 1 = better than the baseline; the goal is 0.8).")
    shutil.rmtree(root, ignore_errors=True)
    report.finish(metrics)


EXERCISE = Exercise(id="ex15", title=CATALOG["ex15"], services=("mlflow",), run=run, bench=bench)
