"""Exercise 12 manifest: `bootcamp run ex12` and `bootcamp bench ex12`.

No local service: the pipeline runs on Beam's FnApiRunner, named (`--runner=FnApiRunner`; a bare
DirectRunner would first try to download Prism), in-process: the real Beam SDK executing the real
graph. Dataflow is the cloud target (see README).
"""

from __future__ import annotations

import os
import pickle
import re
import shutil
from pathlib import Path

from rich.console import Console

from bootcamp.bench import BenchReport, Stopwatch, ratio
from bootcamp.datasets.customers import Faults, write_dataset
from bootcamp.exercises import CATALOG, Exercise, RunResult
from bootcamp.paths import state_dir


def _impl() -> str:
    return os.environ.get("BOOTCAMP_IMPL", "solution")


def run(quick: bool) -> RunResult:
    """Join the committed sample (data/ex12) with the side-input join and, unless quick, also with
    CoGroupByKey, and check both give the same enriched records."""
    import importlib

    pipeline = importlib.import_module("exercises.ex12_side_inputs.run")
    config = importlib.import_module("exercises.ex12_side_inputs.config")
    console = Console()
    methods = ["side_input"] if quick else ["side_input", "cogroupbykey"]
    reports = {}
    for method in methods:
        out = state_dir() / "ex12" / "run" / method
        shutil.rmtree(out, ignore_errors=True)
        settings = config.Ex12Settings(method=method, output=str(out))
        with Stopwatch() as sw:
            reports[method] = pipeline.run(settings, ["--runner=FnApiRunner"], impl=_impl())
        console.print(f"[bold]{method}[/]: {reports[method].counts} in {sw.seconds:.1f}s -> {out}")
    first = reports["side_input"]
    same = True
    if not quick:
        enriched = [sorted((state_dir() / "ex12" / "run" / m / "enriched.jsonl").read_text().splitlines())
                    for m in methods]
        same = enriched[0] == enriched[1] and reports["side_input"].counts == reports["cogroupbykey"].counts
        console.print(f"side-input and CoGroupByKey outputs identical: {same}")
    sample = (state_dir() / "ex12" / "run" / "side_input" / "enriched.jsonl").read_text().splitlines()[:2]
    for line in sample:
        console.print(f"  {line}")
    ok = same and first.total("enriched") > 0
    return RunResult(
        ok=ok,
        summary=(f"{first.total('enriched')} purchases enriched, {first.total('unmatched')} unmatched, "
                 f"{first.total('dead')} dead letters" + ("" if quick else f"; both joins agree: {same}")),
        figures={"enriched": str(first.total("enriched")), "unmatched": str(first.total("unmatched")),
                 "dead_letters": str(first.total("dead"))},
    )


# (name, users, purchases, hot_exponent, extra pipeline args): the same files feed both joins.
REPEATS = 2
TWO_PROCESSES = ["--direct_num_workers=2", "--direct_running_mode=multi_processing"]
FULL: list[tuple[str, int, int, float, list[str]]] = [
    ("small", 2_000, 20_000, 1.0, []),
    ("medium", 10_000, 100_000, 1.0, []),
    ("large", 40_000, 400_000, 1.0, []),
    ("large-skewed", 40_000, 400_000, 6.0, []),
    ("big-profiles", 400_000, 20_000, 1.0, []),
    ("profiles>purchases", 200_000, 50_000, 1.0, []),
    ("profiles>purchases, 2 processes", 200_000, 50_000, 1.0, TWO_PROCESSES),
]
QUICK: list[tuple[str, int, int, float, list[str]]] = [
    ("small", 200, 2_000, 1.0, []),
    ("big-profiles", 20_000, 2_000, 1.0, []),
]


def side_input_megabytes(profiles_csv: Path) -> float:
    """Size of the profile table as the side input carries it: pickled user id -> Profile."""
    from exercises.ex12_side_inputs.records import Profile, parse_profile

    with profiles_csv.open(encoding="utf-8") as handle:
        next(handle)
        table = {p.user_id: p for p in map(parse_profile, (line.rstrip("\n") for line in handle))
                 if isinstance(p, Profile)}
    return len(pickle.dumps(table, protocol=pickle.HIGHEST_PROTOCOL)) / 1e6


def bench(quick: bool) -> None:
    """Side-input join vs CoGroupByKey join on the same generated files, at several shapes."""
    import importlib

    pipeline = importlib.import_module("exercises.ex12_side_inputs.run")
    config = importlib.import_module("exercises.ex12_side_inputs.config")
    report = BenchReport(
        "ex12", "ex12: side-input join vs CoGroupByKey (FnApiRunner, same input, counts only)",
        ["scenario", "profiles", "purchases", "side input MB", "side-in s", "CoGBK s", "side-in rows/s",
         "CoGBK rows/s", "CoGBK/side-in"],
    )
    metrics: dict[str, float] = {}
    root = state_dir() / "ex12" / "bench"
    report.progress(len(QUICK if quick else FULL) * (1 + 2 * (1 if quick else REPEATS)))
    report.chart("bar", x="scenario", y=["side-in s", "CoGBK s"], ylabel="s", title="lower is better")
    for name, users, purchases, hot, extra in QUICK if quick else FULL:
        slug = re.sub(r"\W+", "_", name).strip("_")
        folder = root / slug
        with report.step(f"generating {name}"):
            data = write_dataset(Path(folder), users, purchases, seed=11, faults=Faults(), hot_exponent=hot)
        seconds: dict[str, float] = {}
        counts: dict[str, dict[str, int]] = {}
        for attempt in range(1 if quick else REPEATS):     # interleaved, best of N: a shared machine
            for method in ("side_input", "cogroupbykey"):
                settings = config.Ex12Settings(method=method, profiles=str(data.profiles),
                                               purchases=str(data.purchases), promotions=str(data.promotions))
                with report.step(f"{name}: {method} (run {attempt + 1})"), Stopwatch() as sw:
                    counts[method] = pipeline.run(settings, ["--runner=FnApiRunner", *extra],
                                                  write=False, impl=_impl()).counts
                seconds[method] = min(sw.seconds, seconds.get(method, sw.seconds))
        if counts["side_input"] != counts["cogroupbykey"]:
            report.note(f"{name}: the joins disagree: {counts}")
        r = ratio(seconds["cogroupbykey"], seconds["side_input"])
        side, cogbk = seconds["side_input"], seconds["cogroupbykey"]
        megabytes = side_input_megabytes(data.profiles)
        report.add(name, data.profile_rows, data.purchase_rows, megabytes, side, cogbk,
                   data.purchase_rows / side, data.purchase_rows / cogbk, r)
        metrics[f"{slug}_side_input_s"] = seconds["side_input"]
        metrics[f"{slug}_cogbk_s"] = seconds["cogroupbykey"]
        metrics[f"{slug}_cogbk_over_side_input"] = r
        metrics[f"{slug}_side_input_mb"] = megabytes
    report.note("ratio > 1: the side-input join was faster; < 1: CoGroupByKey was faster.")
    report.note("side input MB: the pickled profile table every worker must hold (AsDict) - the cost a "
                "one-process FnApiRunner does not show; each worker reads it (per bundle, unless "
                "--max_cache_memory_usage_mb turns the SDK harness cache on).")
    report.note(f"Best of {1 if quick else REPEATS} interleaved run(s) per join; times include Beam's "
                "per-pipeline start-up (1-2 s on an idle machine).")
    shutil.rmtree(root, ignore_errors=True)
    report.finish(metrics)


EXERCISE = Exercise(id="ex12", title=CATALOG["ex12"], services=(), run=run, bench=bench)
