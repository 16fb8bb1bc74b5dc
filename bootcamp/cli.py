"""`bootcamp`: list, start and stop the local services, run, check and benchmark exercises, and the
learner's loop: `watch` (re-check on every save), `hint` (progressive hints per part), `progress`.

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
import watchfiles
from rich.console import Console
from rich.table import Table

from bootcamp import exercises as registry
from bootcamp import grading, parts, requirements
from bootcamp.errors import BootcampError
from bootcamp.paths import REPO_ROOT
from bootcamp.services import all_services, get_service
from bootcamp.services.base import Requirement
from bootcamp.terminal import stdout_console

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="The streaming-data bootcamp: local services, exercises, checks and benchmarks.")
# Piped output (make run, CI logs) is not a terminal; rich would then wrap tables at 80 columns.
console = stdout_console()
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
        missing = "[yellow]no (optional)[/yellow]" if req.optional else "[red]no[/red]"
        table.add_row(owner, req.what, "[green]yes[/green]" if req.present else missing,
                      "" if req.present else req.fix)
    console.print(table)
    if any(not req.present and not req.optional for _, req in checks):
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


def _exercise_folder(raw_id: str) -> tuple[str, Path]:
    """The id and folder of a built exercise, without importing its code (checks, hints and progress
    need only the folder; importing an exercise loads Beam, Spark or FastAPI)."""
    exercise_id = registry.normalise_id(raw_id)
    folder = registry.exercise_folders().get(exercise_id)
    if folder is None:
        raise BootcampError(f"{exercise_id} ({registry.CATALOG[exercise_id]}) is not built yet",
                            hint="see `bootcamp list` for the exercises you can run")
    return exercise_id, folder


_STATUS_STYLE = {grading.PASSED: "green", grading.FAILED: "red", grading.NOT_IMPLEMENTED: "yellow",
                 grading.NOT_CHECKED: "dim"}


def _parts_table(exercise_id: str, folder: Path) -> Table | None:
    """Each part of the exercise, and whether its tests passed in the last check; None without parts."""
    parts = grading.load_parts(folder)
    if not parts:
        return None
    outcomes = grading.load_progress(exercise_id)
    table = Table(title=f"{exercise_id}: your parts")
    for column in ("part", "what you write", "status", "tests passed"):
        table.add_column(column)
    for part in parts:
        status = grading.part_status(part, outcomes)
        tests = grading.tests_of(part, outcomes)
        passed = sum(outcomes[t] == grading.PASSED for t in tests)
        table.add_row(part.name, part.title, f"[{_STATUS_STYLE[status]}]{status}[/]",
                      f"{passed}/{len(tests)}" if tests else "")
    return table


def _grade(exercise_id: str, folder: Path, impl: str, pytest_args: list[str]) -> int:
    """Run the exercise's tests against `impl`; after a check of the starter, show the parts."""
    argv = [sys.executable, "-m", "pytest", str(folder / "tests"), f"--impl={impl}", "-q", *pytest_args]
    console.print(f"checking {exercise_id} ({impl}): {' '.join(argv[2:])}")
    code = subprocess.call(argv, cwd=REPO_ROOT)
    if impl == "starter":
        table = _parts_table(exercise_id, folder)
        if table is not None:
            console.print(table)
    return code


@app.command()
@friendly
def check(
    exercise: Annotated[str, typer.Argument(help="exNN")],
    solution: Annotated[bool, typer.Option(help="grade the reference solution instead")] = False,
    pytest_args: Annotated[list[str] | None, typer.Argument(help="extra pytest arguments")] = None,
) -> None:
    """Grade your starter code with the exercise's tests, then show which parts pass."""
    exercise_id, folder = _exercise_folder(exercise)
    raise typer.Exit(_grade(exercise_id, folder, "solution" if solution else "starter", pytest_args or []))


@app.command()
@friendly
def watch(
    exercise: Annotated[str, typer.Argument(help="exNN")],
    pytest_args: Annotated[list[str] | None, typer.Argument(help="extra pytest arguments")] = None,
    max_runs: Annotated[int, typer.Option(hidden=True, help="stop after this many checks (tests)")] = 0,
) -> None:
    """Check your starter now and again on every save of a file under its starter/ (Ctrl-C stops)."""
    exercise_id, folder = _exercise_folder(exercise)
    starter = folder / "starter"
    runs = 0

    def grade() -> None:
        nonlocal runs
        console.rule(f"{exercise_id}: check {runs + 1}")
        _grade(exercise_id, folder, "starter", pytest_args or [])
        runs += 1

    grade()
    announced = False
    # yield_on_timeout: the first (empty) yield comes once the watcher is armed, so "watching" is
    # printed only when a save can no longer be missed.
    for changes in watchfiles.watch(starter, watch_filter=watchfiles.PythonFilter(), yield_on_timeout=True,
                                    rust_timeout=1000, raise_interrupt=False):
        if max_runs and runs >= max_runs:
            break
        if not changes:
            if not announced:
                shown = starter.relative_to(REPO_ROOT) if starter.is_relative_to(REPO_ROOT) else starter
                console.print(f"watching {shown} for saves (Ctrl-C stops)")
                announced = True
            continue
        console.print("saved: " + ", ".join(sorted({Path(path).name for _, path in changes})))
        grade()
        announced = False


@app.command()
@friendly
def hint(
    exercise: Annotated[str, typer.Argument(help="exNN")],
    part: Annotated[str | None, typer.Argument(help="a part (default: the first not yet passing)")] = None,
) -> None:
    """The next hint for a part: first the idea, then the API, then the shape of the code."""
    exercise_id, folder = _exercise_folder(exercise)
    parts = grading.load_parts(folder)
    if not parts:
        raise BootcampError(f"{exercise_id} has no hints yet (no hints.toml in {folder.name})")
    if part is None:
        outcomes = grading.load_progress(exercise_id)
        chosen = next((p for p in parts if grading.part_status(p, outcomes) != grading.PASSED), None)
        if chosen is None:
            console.print(f"every part of {exercise_id} passed in your last check; "
                          f"`bootcamp hint {exercise_id} PART` shows a part's hints anyway")
            return
    else:
        chosen = next((p for p in parts if p.name == part), None)
        if chosen is None:
            raise BootcampError(f"{exercise_id} has no part {part!r}",
                                hint=f"its parts: {', '.join(p.name for p in parts)}")
    number, _text = grading.next_hint(exercise_id, chosen)
    console.print(f"[bold]{exercise_id} · {chosen.name}[/bold]: {chosen.title}")
    for index, text in enumerate(chosen.hints[:number], start=1):
        console.print(f"hint {index}/{len(chosen.hints)}: {text}", style=None if index == number else "dim",
                      highlight=False)
    if number < len(chosen.hints):
        console.print(f"[dim]the same command shows hint {number + 1}[/dim]")
    else:
        console.print("[dim]that was the last hint of this part[/dim]")


@app.command()
@friendly
def progress() -> None:
    """For every built exercise, which parts of your starter passed in your last check."""
    table = Table(title="Your progress (from the last `bootcamp check` or `watch` of each exercise)")
    for column in ("exercise", "part", "status", "tests passed", "last check"):
        table.add_column(column)
    for exercise_id, folder in registry.exercise_folders().items():
        outcomes = grading.load_progress(exercise_id)
        updated = (grading.progress_updated(exercise_id) or "").replace("T", " ").replace("+00:00", " UTC")
        parts = grading.load_parts(folder)
        if not outcomes:
            table.add_row(exercise_id, "", "[dim]not checked yet[/dim]", "", "")
            continue
        if not parts:
            passed = sum(outcome == grading.PASSED for outcome in outcomes.values())
            table.add_row(exercise_id, "[dim](no parts declared)[/dim]", "", f"{passed}/{len(outcomes)}",
                          updated)
            continue
        for index, part in enumerate(parts):
            status = grading.part_status(part, outcomes)
            tests = grading.tests_of(part, outcomes)
            passed = sum(outcomes[t] == grading.PASSED for t in tests)
            table.add_row(exercise_id if index == 0 else "", part.name,
                          f"[{_STATUS_STYLE[status]}]{status}[/]", f"{passed}/{len(tests)}" if tests else "",
                          updated if index == 0 else "")
    console.print(table)


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
