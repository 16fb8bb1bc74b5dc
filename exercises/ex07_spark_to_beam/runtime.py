"""Running a `build` function's graph to completion: options, the local runner, the command line.

Which runner runs locally, and why it is named: Beam 2.68+ resolves `--runner=DirectRunner` (and no
runner at all) to the SwitchingDirectRunner, which first offers a batch pipeline like this one to
Prism, downloading Prism's binary from GitHub; when that fails (no network here: the download is
refused at once), it falls back to the FnApiRunner, the in-process portable runner. `pipeline_options`
names the FnApiRunner when no runner is given, so a run here never depends on a download and always
runs on the runner its figures are quoted for. `--runner=PrismRunner --prism_location=...` or any
other runner flag still wins.
"""

from __future__ import annotations

import argparse
import signal
from collections.abc import Callable, Sequence

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.runners.runner import PipelineResult

LOCAL_RUNNER = "FnApiRunner"
"""The runner used when none is named: what the DirectRunner alias falls back to for batch here."""

Build = Callable[[beam.Pipeline, str, str, str], None]


def pipeline_options(beam_args: Sequence[str] | None = None) -> PipelineOptions:
    """Options from `beam_args`, with the local runner named when they name none."""
    options = PipelineOptions(list(beam_args or []))
    standard = options.view_as(StandardOptions)
    if not standard.runner:
        standard.runner = LOCAL_RUNNER
    return options


def run(build: Build, input_pattern: str, output_dir: str, deadletter_dir: str,
        beam_args: Sequence[str] | None = None) -> PipelineResult:
    """Build the graph with `build` and run it to completion on the runner `beam_args` name."""
    from bootcamp.services.gcs import use_emulator_credentials

    use_emulator_credentials()
    pipeline = beam.Pipeline(options=pipeline_options(beam_args))
    build(pipeline, input_pattern, output_dir, deadletter_dir)
    result = pipeline.run()
    result.wait_until_finish()
    return result


def main(build: Build, argv: list[str] | None = None) -> None:
    """`python -m <impl>.beam_pipeline --input ... --output ... --deadletter ... [beam flags]`."""
    parser = argparse.ArgumentParser(description="ex07 Beam pipeline: access-log stats per hour, endpoint")
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--deadletter", required=True)
    args, beam_args = parser.parse_known_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        run(build, args.input, args.output, args.deadletter, beam_args)
    except (OSError, ValueError) as exc:  # a user's mistake (no input, bad option): one line
        parser.exit(2, f"error: {exc}\n")
    except KeyboardInterrupt as stop:  # WriteToText only renames its temp shards at the very end
        parser.exit(130, f"stopped by {stop or 'SIGINT'}; no output finalised, run again\n")


def _interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)
