"""The pipeline's command line: the same entry point locally and on Dataflow.

    python -m exercises.ex10_anomaly_detection.main --keyspace ex10 --detectors shesd,lof \\
        --runner FnApiRunner
    python -m exercises.ex10_anomaly_detection.main ... --runner DataflowRunner --project P \\
        --region R --temp_location gs://B/tmp --setup_file ./setup.py \\
        --worker_env CASSANDRA_CONTACT_POINTS=... \\
        --secret_env INFLUXDB_TOKEN=projects/P/secrets/S/versions/latest

Options it does not know go to Beam (runner, project, region, ...).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from exercises.ex10_anomaly_detection import pipeline
from exercises.ex10_anomaly_detection.influx import DEFAULT_DATABASE, InfluxSettings


def _pairs(text: str) -> list[tuple[str, str]]:
    """`A=1;B=x,y` -> [("A", "1"), ("B", "x,y")]: ';' separates (contact points hold commas)."""
    pairs = []
    for item in filter(None, (part.strip() for part in text.split(";"))):
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {item!r}")
        pairs.append((name, value))
    return pairs


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ex10-pipeline", description=__doc__.splitlines()[0])
    p.add_argument("--keyspace", default="ex10", help="Cassandra keyspace holding the readings table")
    p.add_argument("--detectors", default="shesd", help=f"comma-separated: {', '.join(pipeline.DETECTORS)}")
    p.add_argument("--splits", type=int, default=8, help="token ranges to read in parallel")
    p.add_argument("--influxdb_url", default=None, help="default: INFLUXDB_URL")
    p.add_argument("--influxdb_database", default=DEFAULT_DATABASE, help="1.x database / DBRP name")
    p.add_argument("--out_dir", default=".bootcamp/ex10/pipeline", help="dead letters and failed points")
    p.add_argument("--worker_env", type=_pairs, action="extend", default=[],
                   help="NAME=VALUE[;NAME=VALUE...] for the workers (and this launcher)")
    p.add_argument("--secret_env", type=_pairs, action="extend", default=[],
                   help="NAME=projects/P/secrets/S/versions/V[;...], resolved on each worker")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    known, beam_args = parser().parse_known_args(argv)
    env = dict(known.worker_env)
    # The launcher reads the ring and creates nothing on Cloud, but it needs the same settings.
    launcher = pipeline.PipelineSettings(keyspace="", influx=InfluxSettings(url=""), out_dir="",
                                         worker_env=tuple(known.worker_env),
                                         secret_env=tuple(known.secret_env))
    pipeline.apply_worker_env(launcher)
    url = known.influxdb_url or env.get("INFLUXDB_URL")
    influx = InfluxSettings.from_env(database=known.influxdb_database, token=None,
                                     **({"url": url} if url else {}))
    settings = pipeline.PipelineSettings(
        keyspace=known.keyspace, influx=influx, out_dir=known.out_dir,
        detectors=tuple(known.detectors.split(",")), splits=known.splits,
        contact_points=env.get("CASSANDRA_CONTACT_POINTS"),
        worker_env=tuple(known.worker_env), secret_env=tuple(known.secret_env))
    report = pipeline.run(settings, beam_args or ["--runner=FnApiRunner"])
    print(f"ranges={report.ranges} {report.counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
