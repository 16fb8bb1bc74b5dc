"""The runners that work on this machine, their options, and one entry point to run on any of them.

Each runner is chosen by pipeline options alone; the pipeline code (`pipeline.build`) is the same.
The DaskRunner additionally needs a dask.distributed cluster (a LocalCluster here, a real scheduler
address in production) and the portable IO described in `pipeline.py`.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import re
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

from exercises.ex11_beam_runners.sinks import prepare_database

from . import pipeline as pl

RUNNERS = ("direct-in-memory", "direct-multi-threading", "direct-multi-processing", "bundle-based-direct",
           "dask")
DASK_RUNNER = "apache_beam.runners.dask.dask_runner.DaskRunner"


def runner_options(runner: str, workers: int = 2, dask_address: str | None = None) -> list[str]:
    """The pipeline options that select `runner` — the only thing that changes between runners."""
    if runner == "direct-in-memory":
        return ["--runner=DirectRunner", "--direct_running_mode=in_memory", "--direct_num_workers=1"]
    if runner == "direct-multi-threading":
        return ["--runner=DirectRunner", "--direct_running_mode=multi_threading",
                f"--direct_num_workers={workers}"]
    if runner == "direct-multi-processing":
        return ["--runner=DirectRunner", "--direct_running_mode=multi_processing",
                f"--direct_num_workers={workers}"]
    if runner == "bundle-based-direct":
        return ["--runner=BundleBasedDirectRunner"]
    if runner == "dask":
        if not dask_address:
            raise ValueError("the DaskRunner needs a scheduler address (--dask_client_address)")
        return [f"--runner={DASK_RUNNER}", f"--dask_client_address={dask_address}"]
    raise ValueError(f"unknown runner {runner!r}; known: {', '.join(RUNNERS)}")


@contextlib.contextmanager
def dask_cluster(workers: int = 2) -> Iterator[str]:
    """A dask.distributed LocalCluster (worker processes, one thread each); yields its address."""
    from distributed import LocalCluster

    logging.getLogger("distributed").setLevel(logging.ERROR)
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                           dashboard_address=None, host="127.0.0.1")  # type: ignore[no-untyped-call]
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


@dataclass(frozen=True)
class RunReport:
    runner: str
    seconds: float
    state: str


def run_on(runner: str, input_pattern: str, output_dir: str, db_path: str, *, workers: int = 2,
           dask_address: str | None = None) -> RunReport:
    """Build the pipeline for `runner`, run it to completion, and report how long it took."""
    if runner == "dask" and dask_address is None:
        with dask_cluster(workers) as address:
            return run_on(runner, input_pattern, output_dir, db_path, workers=workers, dask_address=address)
    options = PipelineOptions(runner_options(runner, workers, dask_address))
    started = time.perf_counter()
    pipeline = beam.Pipeline(options=options)
    prepare_database(db_path)  # once, before any worker writes (see its docstring)
    pl.build(pipeline, input_pattern, output_dir, db_path, portable_io=runner == "dask")
    result = pipeline.run()
    state = result.wait_until_finish()
    client = getattr(result, "client", None)  # the DaskRunner's own Client: close it before the cluster
    if client is not None:
        client.close()
    return RunReport(runner, time.perf_counter() - started, str(state))


def options_from_file(path: str, env: dict[str, str] | None = None) -> list[str]:
    """Pipeline options from a file (one per line, # comments), with ${VARS} from the environment."""
    values = dict(os.environ if env is None else env)
    lines = [line.strip() for line in Path(path).read_text().splitlines()]
    missing: set[str] = set()

    def fill(match: re.Match[str]) -> str:
        if match.group(1) not in values:
            missing.add(match.group(1))
            return ""
        return values[match.group(1)]

    options = [re.sub(r"\$\{(\w+)\}", fill, line) for line in lines if line and not line.startswith("#")]
    if missing:
        raise ValueError(f"{path} needs {', '.join(sorted(missing))} in the environment")
    return options


def run_with_options(options: list[str], input_pattern: str, output_dir: str, db_path: str) -> RunReport:
    """Run on whatever runner `options` name (Dataflow, Flink, Spark, Samza via PortableRunner)."""
    started = time.perf_counter()
    pipeline = beam.Pipeline(options=PipelineOptions(options))
    prepare_database(db_path)
    pl.build(pipeline, input_pattern, output_dir, db_path)
    state = pipeline.run().wait_until_finish()
    return RunReport(options[0], time.perf_counter() - started, str(state))


def _interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="ex11: run the access-log pipeline on one runner")
    parser.add_argument("--runner", choices=RUNNERS)
    parser.add_argument("--options-file", help="run on the runner these options name (deploy/options/*.txt)")
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", required=True, help="output directory (stats/ and dead/ inside)")
    parser.add_argument("--db", required=True, help="SQLite database file")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    logging.getLogger("apache_beam").setLevel(logging.ERROR)
    signal.signal(signal.SIGTERM, _interrupt)
    if not (args.options_file or args.runner):
        parser.error("give --runner or --options-file")
    try:
        if args.options_file:
            report = run_with_options(options_from_file(args.options_file), args.input, args.output, args.db)
        else:
            report = run_on(args.runner, args.input, args.output, args.db, workers=args.workers)
    except (OSError, ValueError) as exc:  # a user's mistake: one line, no traceback
        parser.exit(2, f"error: {exc}\n")
    except KeyboardInterrupt as stop:
        # Nothing half-written is visible: WriteToText renames its temp shards only at the end, and the
        # database upserts are idempotent, so running again is the recovery.
        parser.exit(130, f"stopped by {stop or 'SIGINT'} before the end; no output finalised, run again\n")
    print(f"{report.runner} {report.state} {report.seconds:.3f}")


if __name__ == "__main__":
    main()
