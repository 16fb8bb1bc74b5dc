"""Run the ex14 pipeline on one runner, against the fake (started here) or real services. Provided.

    python -m exercises.ex14_developer_productivity.run --runner direct --size small --output DIR

The fake runs in this process's thread: with `direct` (the FnApiRunner) and `prism` (LOOPBACK: Prism
calls back into this process for the Python DoFns) the readers reach it at 127.0.0.1. The last line
printed is one JSON object (runner, seconds, counts), read by the bench.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

from exercises.ex14_developer_productivity import fake, generator, graph, secrets, tables
from exercises.ex14_developer_productivity.config import JOB_SERVER_RUNNERS, RUNNERS, Ex14Settings


@dataclass
class Report:
    runner: str
    seconds: float
    state: str
    summary: dict[str, Any] = field(default_factory=dict)


def runner_options(runner: str, workers: int = 2) -> list[str]:
    """The options naming each runner; never a bare DirectRunner (it would try to download Prism)."""
    if runner == "direct":
        return [
            "--runner=FnApiRunner",
            "--direct_running_mode=multi_threading",
            f"--direct_num_workers={workers}",
        ]
    if runner == "prism":
        from exercises.ex11_beam_runners.portable import OWN_PRISM_SERVER, prism_location

        return ["--runner=PrismRunner", f"--prism_location={prism_location()}", "--environment_type=LOOPBACK",
                OWN_PRISM_SERVER]
    if runner in JOB_SERVER_RUNNERS:
        from exercises.ex11_beam_runners import portable

        with portable.job_server(runner) as endpoint:  # refuses in one line where the jar is not served
            return portable.options(runner, endpoint, workers)
    raise ValueError(f"unknown runner {runner!r}; known: {', '.join(RUNNERS + JOB_SERVER_RUNNERS)}")


def run_pipeline(
    runner: str,
    sources: graph.Sources,
    identities: list[dict[str, str]],
    output_dir: str,
    db_path: str,
    impl: str = "solution",
    grain: str = "week",
    workers: int = 2,
) -> Report:
    options = PipelineOptions(runner_options(runner, workers))
    started = time.perf_counter()
    Path(output_dir).mkdir(parents=True, exist_ok=True)
    tables.prepare_database(db_path)
    pipeline = beam.Pipeline(options=options)
    graph.build(pipeline, sources, identities, output_dir, db_path, impl, grain)
    state = pipeline.run().wait_until_finish()
    seconds = time.perf_counter() - started
    return Report(runner, seconds, str(state), summarise(output_dir))


def sources_for(endpoints: fake.Endpoints, impl: str, env: dict[str, str] | None = None) -> graph.Sources:
    tokens = {tool: secrets.token(tool, env) for tool in secrets.TOOLS}
    channels, bots = graph.list_slack(impl, endpoints, tokens["slack"])
    return graph.Sources(endpoints, tokens["github"], tokens["jira"], tokens["slack"], channels, bots)


def run_world(
    world: generator.World,
    runner: str,
    output_dir: str,
    impl: str = "solution",
    grain: str = "week",
    workers: int = 2,
) -> Report:
    """Serve `world` with the fake and run the pipeline over it."""
    Path(output_dir).mkdir(parents=True, exist_ok=True)
    with fake.serve(world) as (endpoints, _control):
        return run_pipeline(
            runner,
            sources_for(endpoints, impl, {}),
            world.identities,
            output_dir,
            f"{output_dir}/metrics.db",
            impl,
            grain,
            workers,
        )


def summarise(output_dir: str) -> dict[str, Any]:
    """How complete the output is: activities attributed to a known person, identities unmapped, dead
    letters per source (each dead page is an unknown number of records not read)."""
    dev = tables.read_csv(output_dir, "developer_metrics")
    unmapped = tables.read_csv(output_dir, "unmapped")
    dead = tables.read_dead(output_dir)
    count_columns = [tables.DEVELOPER_COLUMNS.index(c) for c in tables.COUNTS]
    total = sum(int(row[i]) for row in dev for i in count_columns)
    lost = sum(int(row[2]) for row in unmapped)
    by_source: dict[str, int] = {}
    for d in dead:
        by_source[d["source"]] = by_source.get(d["source"], 0) + 1
    return {
        "developer_rows": len(dev),
        "activities": total,
        "unmapped_activities": lost,
        "unmapped_identities": len(unmapped),
        "attributed_pct": round(100 * (total - lost) / total, 1) if total else 0.0,
        "dead_letters": len(dead),
        "dead_by_source": by_source,
        "dead_pages": sum(
            1 for d in dead if "JSON" in d["reason"] or "HTTP" in d["reason"] or "unread" in d["reason"]
        ),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="ex14: developer activity from GitHub, Jira and Slack")
    parser.add_argument("--runner", choices=[*RUNNERS, *JOB_SERVER_RUNNERS], default="direct")
    parser.add_argument("--size", choices=sorted(generator.SIZES), default=None)
    parser.add_argument("--output", default=None, help="output directory (a temporary one by default)")
    parser.add_argument("--impl", choices=["solution", "starter"], default="solution")
    args = parser.parse_args(argv)
    logging.getLogger("apache_beam").setLevel(logging.ERROR)
    logging.getLogger("PrismRunner").setLevel(logging.WARNING)
    settings = Ex14Settings()
    try:
        with tempfile.TemporaryDirectory(prefix="ex14-") as tmp:
            out = args.output or tmp
            if settings.github_url:
                endpoints = fake.Endpoints(
                    settings.github_url.rstrip("/"), settings.jira_url.rstrip("/"), settings.slack_url
                )
                rows = generator.read_identities(Path(settings.identities))
                Path(out).mkdir(parents=True, exist_ok=True)
                report = run_pipeline(
                    args.runner,
                    sources_for(endpoints, args.impl),
                    rows,
                    out,
                    f"{out}/metrics.db",
                    args.impl,
                    settings.grain,
                    settings.workers,
                )
            else:
                world = generator.generate(settings.seed, args.size or settings.size)
                report = run_world(world, args.runner, out, args.impl, settings.grain, settings.workers)
    except (OSError, ValueError, RuntimeError) as exc:
        last = (str(exc).strip().splitlines() or [type(exc).__name__])[-1]  # Beam nests whole tracebacks
        parser.exit(2, f"error: {' '.join(last.split())[:500]}\n")
    print(
        json.dumps(
            {"runner": report.runner, "seconds": report.seconds, "state": report.state, **report.summary}
        )
    )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
