"""The local stand-ins for what AWS runs: the packaged function under the Lambda emulator, and the
event source mapping (the platform's KinesisPoller) with the settings of deploy/template.yaml.

`python -m exercises.ex04_kinesis_lambda.pipeline poll ...` runs the mapping as a process of its own,
invoking a function that another process runs under the emulator: that is how the tests kill it
mid-batch and start it again from its checkpoint file.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any

from bootcamp.aws.kinesis_poller import (
    KinesisPoller,
    MappingSettings,
    kinesis_stream_destination,
    settings_from_template,
)
from bootcamp.errors import BootcampError
from bootcamp.lambda_emulator import LambdaEmulator, invoke_url

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE / "deploy" / "template.yaml"
BUILD = HERE / "deploy" / "build.sh"
FUNCTION = "EnrichFunction"


def mapping_settings(**overrides: Any) -> MappingSettings:
    """The template's event source mapping settings, with `overrides` (field names of MappingSettings)."""
    return dataclasses.replace(settings_from_template(TEMPLATE, FUNCTION), **overrides)


def build_package(impl: str, out: Path, zipped: bool = True) -> Path:
    """deploy/build.sh's zip of `impl` (solution or starter): the function as it is deployed; or,
    with `zipped=False`, the same files unzipped (faster to build, for `run` and `bench`)."""
    done = subprocess.run(["bash", str(BUILD)], capture_output=True, text=True, timeout=600, check=False,
                          env={**os.environ, "OUT": str(out / "build"), "IMPL": impl,
                               "ZIP": "1" if zipped else "0"})
    if done.returncode:
        raise BootcampError(f"deploy/build.sh failed: {done.stderr.strip()[-500:]}")
    return out / "build.zip" if zipped else out / "build"


def function_env(kinesis_endpoint: str, output_stream: str, dead_letter_stream: str,
                 report_failures: bool = True, **extra: str) -> dict[str, str]:
    """The function's environment: the template's variables, pointed at a local Kinesis endpoint."""
    return {"AWS_ENDPOINT_URL_KINESIS": kinesis_endpoint, "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
            "EX04_OUTPUT_STREAM": output_stream, "EX04_DEAD_LETTER_STREAM": dead_letter_stream,
            "EX04_REPORT_FAILURES": "true" if report_failures else "false", **extra}


def start_function(package: Path, impl: str, env: dict[str, str], name: str,
                   timeout_s: float = 30.0) -> LambdaEmulator:
    """The enricher under the Runtime Interface Emulator (`timeout_s` is its AWS_LAMBDA_FUNCTION_TIMEOUT)."""
    return LambdaEmulator(package, f"exercises.ex04_kinesis_lambda.{impl}.handler.handler", env,
                          name=name, timeout_s=timeout_s).start()


def _poll(args: argparse.Namespace) -> int:
    import boto3

    client = boto3.client("kinesis")
    settings = mapping_settings(batch_size=args.batch_size, maximum_retry_attempts=args.retries)
    poller = KinesisPoller(client, args.stream, settings, lambda event: invoke_url(args.invoke_url, event),
                           Path(args.checkpoints),
                           on_failure=kinesis_stream_destination(client, args.failure_stream))
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print("poller ready", flush=True)
    while not stopping:
        if poller.run_once():
            print(f"poller: {poller.stats}", flush=True)
        else:
            time.sleep(0.05)
    poller.close()
    print(f"poller stopped: {poller.stats}", flush=True)
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m exercises.ex04_kinesis_lambda.pipeline")
    sub = parser.add_subparsers(dest="command", required=True)
    poll = sub.add_parser("poll", help="run the event source mapping until SIGTERM")
    poll.add_argument("--stream", required=True)
    poll.add_argument("--checkpoints", required=True)
    poll.add_argument("--invoke-url", required=True)
    poll.add_argument("--failure-stream", required=True)
    poll.add_argument("--batch-size", type=int, default=100)
    poll.add_argument("--retries", type=int, default=3)
    args = parser.parse_args(argv)
    try:
        return _poll(args)
    except BootcampError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except NotImplementedError as exc:  # the function is a learner's stub: say so in one line
        print(f"error: not implemented yet: {exc}", file=sys.stderr, flush=True)
        return 3


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
