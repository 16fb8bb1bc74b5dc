"""Running the pipeline on one runner: the entry point, the Dask cluster, the CLI. Provided.

Each runner is chosen by pipeline options alone (`runners.runner_options`, which you write); the
pipeline code (`pipeline.build`, which you write too) is the same. The DaskRunner additionally needs
a dask.distributed cluster (a LocalCluster here, a real scheduler address in production) and the
portable IO described in `sinks.py`.

The implementation run is the solution or the starter, by `impl` or the `BOOTCAMP_IMPL` variable.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import os
import re
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import apache_beam as beam
import grpc  # type: ignore[import-untyped]
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.runners.runner import create_runner

from exercises.ex11_beam_runners import portable
from exercises.ex11_beam_runners.blocks import BLOCK_BYTES
from exercises.ex11_beam_runners.config import JOB_SERVER_RUNNERS, RUNNERS
from exercises.ex11_beam_runners.sinks import prepare_database


def implementation(impl: str | None = None) -> tuple[ModuleType, ModuleType]:
    """The `runners` and `pipeline` modules of the solution or the starter."""
    package = f"exercises.ex11_beam_runners.{impl or os.environ.get('BOOTCAMP_IMPL', 'solution')}"
    return importlib.import_module(f"{package}.runners"), importlib.import_module(f"{package}.pipeline")


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
           dask_address: str | None = None, batched: bool = False, block_bytes: int = BLOCK_BYTES,
           impl: str | None = None, job_server_jar: str | None = None) -> RunReport:
    """Build the pipeline for `runner`, run it to completion, and report how long it took.

    `batched` runs the tuned graph (blocks of `block_bytes`, vectorised, partial aggregates); the seconds
    count from the pipeline's construction to its end, the runner's import, the Dask cluster's and a
    job server's start excluded. Flink and Spark run behind a job server (`portable.job_server`,
    `job_server_jar` to override set-up's jar); their failures are `portable.RunnerFailed`, one line.
    """
    runners, pl = implementation(impl)
    if runner == "dask" and dask_address is None:
        with dask_cluster(workers) as address:
            return run_on(runner, input_pattern, output_dir, db_path, workers=workers, dask_address=address,
                          batched=batched, block_bytes=block_bytes, impl=impl)
    if runner in JOB_SERVER_RUNNERS:
        with portable.job_server(runner, job_server_jar) as endpoint:
            try:
                return _run(runner, PipelineOptions(portable.options(runner, endpoint, workers)), pl,
                            input_pattern, output_dir, db_path, batched, block_bytes)
            except (RuntimeError, grpc.RpcError) as exc:  # the job failed or the server refused it
                if isinstance(exc, (portable.RunnerFailed, NotImplementedError)):  # not the runner's
                    raise
                reason = " ".join(str(exc).split())[:300]
                raise portable.RunnerFailed(portable.describe(runner, f"the job failed: {reason}")) from exc
    flags = runners.runner_options(runner, workers, dask_address)
    if runner == "prism":
        flags = [*flags, portable.OWN_PRISM_SERVER]
    return _run(runner, PipelineOptions(flags), pl, input_pattern, output_dir, db_path, batched, block_bytes)


def _run(runner: str, options: PipelineOptions, pl: ModuleType, input_pattern: str, output_dir: str,
         db_path: str, batched: bool, block_bytes: int) -> RunReport:
    # The runner's modules load here, before the clock, as DuckDB's do before its query: importing the
    # FnApiRunner alone took 0.15-0.17 s, which is the process's start-up, not the pipeline's work.
    chosen = create_runner(options.view_as(StandardOptions).runner or "DirectRunner")
    started = time.perf_counter()
    pipeline = beam.Pipeline(runner=chosen, options=options)
    prepare_database(db_path)  # once, before any worker writes (see its docstring)
    pl.build(pipeline, input_pattern, output_dir, db_path, portable_io=runner == "dask", batched=batched,
             block_bytes=block_bytes)
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


def run_with_options(options: list[str], input_pattern: str, output_dir: str, db_path: str, *,
                     batched: bool = False, impl: str | None = None) -> RunReport:
    """Run on whatever runner `options` name (Dataflow, Flink, Spark, Samza via PortableRunner)."""
    _, pl = implementation(impl)
    started = time.perf_counter()
    pipeline = beam.Pipeline(options=PipelineOptions(options))
    prepare_database(db_path)
    pl.build(pipeline, input_pattern, output_dir, db_path, batched=batched)
    state = pipeline.run().wait_until_finish()
    return RunReport(options[0], time.perf_counter() - started, str(state))


def _interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="ex11: run the access-log pipeline on one runner")
    parser.add_argument("--runner", choices=[*RUNNERS, *JOB_SERVER_RUNNERS])
    parser.add_argument("--options-file", help="run on the runner these options name (deploy/options/*.txt)")
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", required=True, help="output directory (stats/ and dead/ inside)")
    parser.add_argument("--db", required=True, help="SQLite database file")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batched", action="store_true", help="the tuned graph: blocks, vectorised")
    parser.add_argument("--job-server-jar", help="flink/spark: this job-server jar instead of set-up's")
    parser.add_argument("--impl", choices=["solution", "starter"], default=None,
                        help="whose code to run (default: $BOOTCAMP_IMPL, else the solution)")
    args = parser.parse_args(argv)
    logging.getLogger("apache_beam").setLevel(logging.ERROR)
    logging.getLogger("PrismRunner").setLevel(logging.WARNING)  # Prism's own job log, relayed line by line
    signal.signal(signal.SIGTERM, _interrupt)
    if not (args.options_file or args.runner):
        parser.error("give --runner or --options-file")
    try:
        if args.options_file:
            report = run_with_options(options_from_file(args.options_file), args.input, args.output, args.db,
                                      batched=args.batched, impl=args.impl)
        else:
            report = run_on(args.runner, args.input, args.output, args.db, workers=args.workers,
                            batched=args.batched, impl=args.impl, job_server_jar=args.job_server_jar)
    except (OSError, ValueError, portable.RunnerFailed) as exc:  # one line, no traceback
        parser.exit(2, f"error: {exc}\n")
    except KeyboardInterrupt as stop:
        # Nothing half-written is visible: WriteToText renames its temp shards only at the end, and the
        # database upserts are idempotent, so running again is the recovery.
        parser.exit(130, f"stopped by {stop or 'SIGINT'} before the end; no output finalised, run again\n")
    print(f"{report.runner} {report.state} {report.seconds:.3f}")


if __name__ == "__main__":
    main()
