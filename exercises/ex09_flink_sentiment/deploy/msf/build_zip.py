"""Build the application zip for Amazon Managed Service for Apache Flink, in application.json's layout.

    main.py                                   the `python` run option
    dataproc_main.py                          Dataproc's entry (deploy/dataproc/job.yaml: -pym dataproc_main)
    exercises/__init__.py, exercises/ex09_flink_sentiment/...   the job and the solution (`pyFiles`)
    lib/flink-sql-connector-kafka-3.4.0-1.20.jar                 the `jarfile` run option
    lib/site-packages/{textblob,vaderSentiment}/...              pure-Python dependencies (no pip there)

MSF's newest runtime is Flink 1.20, so the zip carries the connector built for 1.20 (3.4.0-1.20, from
Maven Central: `mvn dependency:copy -Dartifact=org.apache.flink:flink-sql-connector-kafka:3.4.0-1.20`),
not the 5.0.0-2.2 used locally with Flink 2.2. The job's code uses only APIs present in both.
Usage: python deploy/msf/build_zip.py OUT.zip CONNECTOR.jar [SITE_PACKAGES_DIR]
"""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXERCISE = HERE.parent.parent
PACKAGES = ("textblob", "vaderSentiment")
SKIP = ("tests", "starter", "deploy", "flink-env", "__pycache__")


def run_options() -> dict[str, str]:
    config = json.loads((HERE / "application.json").read_text())
    groups = config["ApplicationConfiguration"]["EnvironmentProperties"]["PropertyGroups"]
    return next(
        g["PropertyMap"] for g in groups if g["PropertyGroupId"] == "kinesis.analytics.flink.run.options"
    )


def build(out: Path, connector: Path, site_packages: Path | None = None) -> list[str]:
    options = run_options()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(HERE / "main.py", options["python"])
        zf.write(HERE.parent / "dataproc" / "main.py", "dataproc_main.py")
        zf.write(EXERCISE.parent / "__init__.py", "exercises/__init__.py")
        for path in sorted(EXERCISE.rglob("*.py")):
            rel = path.relative_to(EXERCISE)
            if not set(rel.parts) & set(SKIP):
                zf.write(path, f"exercises/{EXERCISE.name}/{rel.as_posix()}")
        zf.write(connector, options["jarfile"])
        if site_packages is not None:
            for package in PACKAGES:
                for path in sorted((site_packages / package).rglob("*")):
                    if path.is_file() and "__pycache__" not in path.parts:
                        zf.write(path, f"lib/site-packages/{path.relative_to(site_packages).as_posix()}")
        return zf.namelist()


if __name__ == "__main__":
    names = build(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]) if len(sys.argv) > 3 else None)
    print(f"{sys.argv[1]}: {len(names)} files")
