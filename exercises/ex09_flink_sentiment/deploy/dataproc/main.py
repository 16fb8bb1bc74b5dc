"""Entry point of Exercise 9's job on Dataproc (`-pym dataproc_main` in job.yaml's PythonDriver args).

The Dataproc Jobs API passes a job arguments, not environment variables, so the job's settings travel
as `NAME=VALUE` arguments with the same `EX09_*` names (and KAFKA_BOOTSTRAP_SERVERS) that the local
job reads from its environment. A name the job does not read is refused with one line, before any
Flink start: a typo in a deployment would otherwise be ignored and the default used. The connector
jar is on the classpath (job.yaml's `jarFileUris`), so the job does not add it.
`build_zip.py` puts this file at the zip's root as `dataproc_main.py`; `-pyfs` puts the zip on the
PYTHONPATH of the client and of the UDF workers.
"""

from __future__ import annotations

import os
import sys

from exercises.ex09_flink_sentiment.config import JobSettings


def settings_from_args(args: list[str]) -> dict[str, str]:
    """`NAME=VALUE` arguments as environment variables; an unknown name or a bare word is an error."""
    known = set(JobSettings().to_env())
    found: dict[str, str] = {}
    for arg in args:
        name, sep, value = arg.partition("=")
        if not sep or name not in known:
            raise ValueError(f"not a setting of the job: {arg!r} (expected NAME=VALUE, NAME one of EX09_*)")
        found[name] = value
    return found


def main(argv: list[str] | None = None) -> None:
    try:
        settings = settings_from_args(sys.argv[1:] if argv is None else argv)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    os.environ.update(settings)
    os.environ.setdefault("EX09_CONNECTOR_JAR", "on-classpath")
    from exercises.ex09_flink_sentiment.job import main as run_job

    run_job(["--impl", "solution"])


if __name__ == "__main__":
    main()
