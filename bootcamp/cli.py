"""`bootcamp`: list, start and stop the local services, run, check and benchmark exercises.

User mistakes (an unknown exercise, a port that is taken, Java missing) end with one line on stderr
and exit code 2; only bugs show a traceback.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from bootcamp import exercises as registry
from bootcamp import parts, requirements
from bootcamp.errors import BootcampError
from bootcamp.paths import REPO_ROOT
from bootcamp.services import all_services, get_service
from bootcamp.services.base import Requirement

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="The streaming-data bootcamp: local services, exercises, checks and benchmarks.")
# Piped output (make run, CI logs) is not a terminal; rich would then wrap tables at 80 columns.
console = Console(width=None if sys.stdout.isatty() else 150)
err = Console(stderr=True, soft_wrap=True)

P = ParamSpec("P")
R = TypeVar("R")


def friendly(func: Callable[P, R]) -> Callable[P, R]:
    """Turn a BootcampError into one red line and exit code 2."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except BootcampError as exc:
            err.print(f"[red]error:[/red] {exc}", highlight=False)
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            err.print("interrupted")
            raise typer.Exit(130) from None

    return wrapper


@app.command("list")
@friendly
def list_exercises() -> None:
    """The 16 exercises, which are built, and what each needs."""
    folders = registry.exercise_folders()
    table = Table(title="Exercises")
    for column in ("id", "title", "status", "services"):
        table.add_column(column)
    for exercise_id, title in registry.CATALOG.items():
        if exercise_id in folders:
            manifest = registry.load(exercise_id)
            table.add_row(exercise_id, title, "[green]built[/green]", ", ".join(manifest.services) or "–")
        else:
            table.add_row(exercise_id, title, "[dim]planned[/dim]", "")
    console.print(table)


def _services(names: Iterable[str]) -> list[str]:
    chosen = list(names) or list(all_services())
    for name in chosen:
        get_service(name)  # validates the name
    return chosen


@app.command()
@friendly
def up(services: Annotated[list[str] | None, typer.Argument(help="services to start (default: all)")] = None
       ) -> None:
    """Start local services (idempotent: a running one is reused)."""
    for name in _services(services or []):
        service = get_service(name)
        started = time.monotonic()
        endpoint = service.start()
        state = "external" if service.external_endpoint() else "up"
        console.print(f"{name:10} {state:8} {endpoint}  ({time.monotonic() - started:.1f}s)")


@app.command()
@friendly
def down(services: Annotated[list[str] | None, typer.Argument(help="services to stop (default: all)")] = None
         ) -> None:
    """Stop the local services this project started (by pid and process group)."""
    for name in _services(services or []):
        stopped = get_service(name).stop()
        console.print(f"{name:10} {'stopped' if stopped else 'not running'}")


@app.command()
@friendly
def status() -> None:
    """Which services are running, where, and their logs."""
    table = Table(title="Services")
    for column in ("service", "state", "endpoint", "pid", "log"):
        table.add_column(column)
    for name in all_services():
        st = get_service(name).status()
        table.add_row(name, st.state, st.endpoint or "", str(st.pid or ""),
                      str(st.log.relative_to(REPO_ROOT)) if st.log and st.log.is_relative_to(REPO_ROOT)
                      else str(st.log or ""))
    console.print(table)


@app.command()
@friendly
def env() -> None:
    """`export` lines for the running services: `eval "$(bootcamp env)"`."""
    for name in all_services():
        for key, value in get_service(name).client_env().items():
            print(f"export {key}={shlex.quote(value)}")


@app.command()
@friendly
def doctor() -> None:
    """What is missing on this machine, and the exact command that gets it."""
    checks: list[tuple[str, Requirement]] = [("platform", req) for req in _platform_requirements()]
    for name in all_services():
        seen = {req.what for _, req in checks}  # a part the platform lists already is not repeated
        checks.extend((name, req) for req in get_service(name).requirements() if req.what not in seen)
    table = Table(title="Doctor")
    for column in ("for", "needs", "ok", "how to get it"):
        table.add_column(column)
    for owner, req in checks:
        table.add_row(owner, req.what, "[green]yes[/green]" if req.present else "[red]no[/red]",
                      "" if req.present else req.fix)
    console.print(table)
    if any(not req.present for _, req in checks):
        raise typer.Exit(1)


def _platform_requirements() -> list[Requirement]:
    return [
        Requirement("uv", shutil.which("uv") is not None, "python3 -m pip install uv"),
        Requirement("Python 3.11", sys.version_info[:2] == (3, 11), "uv python install 3.11"),
        requirements.java(17),  # Kafka, the Pub/Sub emulator, Spark and Flink run on it
        requirements.maven(),
        requirements.go(),
        *(part.requirement() for part in parts.all_parts().values()),
    ]


@app.command()
@friendly
def run(
    exercise: Annotated[str, typer.Argument(help="exNN, or `all`")],
    quick: Annotated[bool, typer.Option(help="small inputs, for demos and `make run`")] = False,
    result_json: Annotated[Path | None, typer.Option(hidden=True, help="write the result here")] = None,
) -> None:
    """Run an exercise end to end on local services, and show what came out."""
    if exercise == "all":
        results = [_run_in_child(manifest, quick) for manifest in registry.built()]
    else:
        manifest = registry.load(exercise)
        results = [_run_here(manifest, quick)]
        if result_json is not None:
            exercise_id, result, seconds = results[0]
            result_json.write_text(json.dumps({"ok": result.ok, "summary": result.summary,
                                               "figures": result.figures, "seconds": seconds}))
            return
    table = Table(title="Results")
    for column in ("exercise", "ok", "what happened", "figures", "seconds"):
        table.add_column(column)
    for exercise_id, result, seconds in results:
        figures = ", ".join(f"{k}={v}" for k, v in result.figures.items())
        table.add_row(exercise_id, "[green]yes[/green]" if result.ok else "[red]no[/red]",
                      result.summary, figures, f"{seconds:.1f}")
    console.print(table)
    if not all(result.ok for _, result, _ in results):
        raise typer.Exit(1)


def _run_here(manifest: registry.Exercise, quick: bool) -> tuple[str, registry.RunResult, float]:
    console.rule(f"{manifest.id}: {manifest.title}")
    began = time.monotonic()
    with _services_for(manifest.services):
        try:
            result = manifest.run(quick)
        except BootcampError as exc:
            result = registry.RunResult(False, str(exc))
    return manifest.id, result, time.monotonic() - began


def _run_in_child(manifest: registry.Exercise, quick: bool) -> tuple[str, registry.RunResult, float]:
    """One exercise of `run all`, in a fresh interpreter.

    Exercises load libraries with process-wide state (Beam's options registry, gRPC's threads,
    Spark's JVM gateway, event loops); sharing one interpreter between nine of them makes one's
    leftovers another's failure, so each gets its own process and reports back in JSON.
    """
    began = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "result.json"
        argv = [sys.executable, "-m", "bootcamp.cli", "run", manifest.id, "--result-json", str(report)]
        code = subprocess.call([*argv, "--quick"] if quick else argv, cwd=REPO_ROOT)
        if report.is_file():
            data = json.loads(report.read_text())
            return manifest.id, registry.RunResult(bool(data["ok"]), str(data["summary"]),
                                                   dict(data["figures"])), float(data["seconds"])
    return manifest.id, registry.RunResult(False, f"exited with code {code} before reporting"), \
        time.monotonic() - began


@contextmanager
def _services_for(names: Iterable[str]) -> Iterator[None]:
    """Run a block with `names` up and their endpoints in the environment; afterwards stop what this
    started and restore the environment, so that a service stopped here is never mistaken for an
    external one by the next exercise of `bootcamp run all`."""
    saved = dict(os.environ)
    started: list[str] = []
    try:
        for name in names:
            service = get_service(name)
            if not (service.external_endpoint() or service.running_endpoint()):
                with console.status(f"starting {name}"):
                    service.start()
                started.append(name)
            # Exported whether this call started the service or found it running.
            os.environ.update(service.client_env())
        yield
    finally:
        for name in reversed(started):
            get_service(name).stop()
        os.environ.clear()
        os.environ.update(saved)


@app.command()
@friendly
def check(
    exercise: Annotated[str, typer.Argument(help="exNN")],
    solution: Annotated[bool, typer.Option(help="grade the reference solution instead")] = False,
    pytest_args: Annotated[list[str] | None, typer.Argument(help="extra pytest arguments")] = None,
) -> None:
    """Grade your starter code with the exercise's tests."""
    manifest = registry.load(exercise)
    impl = "solution" if solution else "starter"
    argv = [sys.executable, "-m", "pytest", str(manifest.folder / "tests"), f"--impl={impl}",
            "-q", *(pytest_args or [])]
    console.print(f"checking {manifest.id} ({impl}): {' '.join(argv[2:])}")
    code = subprocess.call(argv, cwd=REPO_ROOT)
    raise typer.Exit(code)


@app.command()
@friendly
def bench(
    exercise: Annotated[str, typer.Argument(help="exNN")],
    quick: Annotated[bool, typer.Option(help="a short run, to see that it works")] = False,
) -> None:
    """Benchmark an exercise beside its baseline; the last line is JSON."""
    manifest = registry.load(exercise)
    with _services_for(manifest.services):
        manifest.bench(quick)


if __name__ == "__main__":
    app()
