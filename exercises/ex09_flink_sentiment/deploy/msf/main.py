"""Entry point of the application zip on Amazon Managed Service for Apache Flink (`python` run option).

The service writes the application's runtime properties to /etc/flink/application_properties.json;
the `ex09.job` group holds the same EX09_* settings the local job reads from the environment (the
MSK bootstrap servers as KAFKA_BOOTSTRAP_SERVERS). The Kafka connector jar is the `jarfile` run
option, so the job does not add it. Checkpointing is the service's (CheckpointConfiguration in
application.json); the job's own checkpoint options are overridden there.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

PROPERTIES = Path("/etc/flink/application_properties.json")
GROUP = "ex09.job"


def load_properties(path: Path = PROPERTIES) -> dict[str, str]:
    """The `ex09.job` property group as environment variables (empty when run elsewhere)."""
    if not path.is_file():
        return {}
    for group in json.loads(path.read_text()):
        if group.get("PropertyGroupId") == GROUP:
            return {str(k): str(v) for k, v in group.get("PropertyMap", {}).items()}
    return {}


def main() -> None:
    here = Path(__file__).resolve().parent
    sys.path.insert(0, str(here))  # exercises/ from the zip
    sys.path.insert(0, str(here / "lib" / "site-packages"))  # textblob, vaderSentiment from the zip
    os.environ.update(load_properties())
    os.environ.setdefault("EX09_CONNECTOR_JAR", "on-classpath")
    from exercises.ex09_flink_sentiment.job import main as run_job

    run_job(["--impl", "solution"])


if __name__ == "__main__":
    main()
