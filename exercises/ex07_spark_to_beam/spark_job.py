"""The Spark pipeline being migrated: access-log CSV in, filter, map, aggregate, CSV out.

This is the "before" of the exercise, written the way a Spark team writes it: the DataFrame API, lazy
until an action (`write`, `count`), one `groupBy` that shuffles. It reads the input as text lines
rather than with `spark.read.csv` so a bad line can be dead-lettered with its original text, and it
validates every field with the same rules as the Beam translation (`beam_pipeline.py`), so that both
produce identical output on the same input.

It imports only pyspark and the standard library, so the same file is submitted to Dataproc
(`deploy/dataproc.sh`). Cloud Storage: on Dataproc the GCS connector is on the classpath and `gs://`
paths are read directly. Locally the connector jar cannot be fetched, so `gs://` paths are staged
through the google-cloud-storage client (see `storage.py`) — the Spark job itself then runs on
local copies. `--gcs-mode` makes the choice explicit.
"""

from __future__ import annotations

import argparse
import importlib
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pyspark.errors import AnalysisException
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812  # the universal Spark idiom

HEADER = "timestamp,request_id,client_ip,method,path,status,bytes_sent,latency_ms,region"
STATS_COLUMNS = ("hour", "endpoint", "requests", "server_errors", "bytes_sent", "latency_ms_sum",
                 "latency_ms_max")
METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS")
HEALTH_CHECK = "/healthz"
ID_SEGMENT = "/[0-9]+(?=/|$)"  # a numeric path segment: /api/orders/123 -> /api/orders/{id}
TIMESTAMP = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"
CONNECTOR_CLASS = "com.google.cloud.hadoop.fs.gcs.GoogleHadoopFileSystem"


@dataclass(frozen=True)
class SparkCounts:
    """What one run produced: aggregate rows written and lines dead-lettered."""

    stats_rows: int
    dead_letters: int


def spark_session(app_name: str = "ex07-spark", partitions: int = 4) -> SparkSession:
    """A local[*] session with few shuffle partitions (the default 200 is for clusters)."""
    spark = (SparkSession.builder.appName(app_name)
             .master("local[*]")
             .config("spark.sql.shuffle.partitions", str(partitions))
             .config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.sql.session.timeZone", "UTC")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _field(parts: Column, index: int) -> Column:
    # `get`, not `getItem`: NULL for a short line instead of an ANSI-mode error (Spark 4 is ANSI).
    return F.get(parts, index)


def classify(lines: DataFrame) -> DataFrame:
    """Add `error` (null when the line is valid) and the typed fields to a DataFrame of `value` lines."""
    parts = F.split(F.col("value"), ",", -1)
    status, size, latency = _field(parts, 5), _field(parts, 6), _field(parts, 7)
    error = (F.when(F.size(parts) != 9, F.lit("field_count"))
             .when(~_field(parts, 0).rlike(TIMESTAMP), F.lit("bad_timestamp"))
             .when(~_field(parts, 3).isin(*METHODS), F.lit("bad_method"))
             .when(~status.rlike("^[1-5][0-9][0-9]$"), F.lit("bad_status"))
             .when(~size.rlike("^[0-9]{1,15}$") | ~latency.rlike("^[0-9]{1,15}$"), F.lit("bad_number")))
    return lines.select(
        F.col("value").alias("line"),
        error.alias("error"),
        _field(parts, 0).alias("timestamp"),
        _field(parts, 4).alias("path"),
        status.try_cast("int").alias("status"),
        size.try_cast("long").alias("bytes_sent"),
        latency.try_cast("long").alias("latency_ms"),
    )


def transform(lines: DataFrame) -> tuple[DataFrame, DataFrame]:
    """(per-hour, per-endpoint stats; dead letters) from a DataFrame with one `value` line per row."""
    rows = classify(lines.filter(F.col("value") != HEADER))
    dead = rows.filter(F.col("error").isNotNull()).select("error", "line")
    endpoint = F.regexp_replace(F.split(F.col("path"), r"\?").getItem(0), ID_SEGMENT, "/{id}")
    valid = (rows.filter(F.col("error").isNull())
             .withColumn("endpoint", endpoint)
             .filter(F.col("endpoint") != HEALTH_CHECK)
             .withColumn("hour", F.concat(F.substring("timestamp", 1, 13), F.lit(":00:00Z"))))
    stats = (valid.groupBy("hour", "endpoint")
             .agg(F.count(F.lit(1)).alias("requests"),
                  F.sum(F.when(F.col("status") >= 500, 1).otherwise(0)).alias("server_errors"),
                  F.sum("bytes_sent").alias("bytes_sent"),
                  F.sum("latency_ms").alias("latency_ms_sum"),
                  F.max("latency_ms").alias("latency_ms_max"))
             .select(*STATS_COLUMNS))
    return stats, dead


def has_gcs_connector(spark: SparkSession) -> bool:
    """True when the Hadoop GCS connector is on the classpath (it is on Dataproc, not here)."""
    try:
        spark.sparkContext._jvm.java.lang.Class.forName(CONNECTOR_CLASS)  # type: ignore[union-attr]
    except Exception:
        return False
    return True


def run_local(spark: SparkSession, input_path: str, output_dir: str, deadletter_dir: str) -> SparkCounts:
    """Run on paths Spark's own filesystems can reach (local, hdfs://, gs:// with the connector)."""
    stats, dead = transform(spark.read.text(input_path))
    dead = dead.cache()  # written and counted: compute once
    # The aggregate is small (hours x endpoints): one sorted file is what downstream tools want.
    (stats.orderBy("hour", "endpoint").coalesce(1)
     .write.mode("overwrite").option("header", True).csv(output_dir))
    (dead.select(F.to_json(F.struct("error", "line")).alias("value"))
     .write.mode("overwrite").text(deadletter_dir))
    counts = SparkCounts(stats_rows=spark.read.option("header", True).csv(output_dir).count(),
                         dead_letters=dead.count())
    dead.unpersist()
    return counts


def run(spark: SparkSession, input_path: str, output_dir: str, deadletter_dir: str,
        gcs_mode: str = "auto") -> SparkCounts:
    """Run the job; `gs://` paths go direct (connector) or staged (google-cloud-storage client).

    gcs_mode: "direct" (Spark's own gs:// filesystem), "staged" (copy through local files), or
    "auto" (direct when the connector is on the classpath).
    """
    uses_gcs = any(p.startswith("gs://") for p in (input_path, output_dir, deadletter_dir))
    if not uses_gcs or gcs_mode == "direct" or (gcs_mode == "auto" and has_gcs_connector(spark)):
        return run_local(spark, input_path, output_dir, deadletter_dir)
    # Only needed without the connector, so Dataproc never imports it. Run as a script (spark-submit),
    # the module is found beside this file.
    storage = importlib.import_module(f"{__package__}.storage" if __package__ else "storage")

    with tempfile.TemporaryDirectory(prefix="ex07-spark-") as tmp:
        local_in = storage.stage_in(input_path, Path(tmp) / "in")
        local_out, local_dead = Path(tmp) / "out", Path(tmp) / "dead"
        counts = run_local(spark, str(local_in), str(local_out), str(local_dead))
        storage.stage_out(local_out, output_dir)
        storage.stage_out(local_dead, deadletter_dir)
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="ex07 Spark job: access-log stats per hour and endpoint")
    parser.add_argument("--input", required=True, help="file, glob or directory (local or gs://)")
    parser.add_argument("--output", required=True, help="output directory for the stats CSV")
    parser.add_argument("--deadletter", required=True, help="output directory for dead letters")
    parser.add_argument("--gcs-mode", choices=("auto", "direct", "staged"), default="auto")
    args = parser.parse_args(argv)
    spark = SparkSession.builder.appName("ex07-spark").getOrCreate()
    try:
        counts = run(spark, args.input, args.output, args.deadletter, args.gcs_mode)
    except (AnalysisException, OSError, ValueError) as exc:  # e.g. no such input: one line
        parser.exit(2, f"error: {str(exc).splitlines()[0]}\n")
    finally:
        spark.stop()
    print(f"stats_rows={counts.stats_rows} dead_letters={counts.dead_letters}")


if __name__ == "__main__":
    main()
