"""The Beam pipeline: Cassandra by token ranges -> validate -> per device -> detect -> InfluxDB.

```
Create(token ranges) -> Reshuffle -> ReadRange (one query per range, paged)
  -> ValidateRow --dead--> dead letters (JSONL, with the reason; counted)
  -> key by device -> GroupByKey -> Detect (each chosen detector on the device's series)
  -> to_point -> BatchElements -> WriteBatch (tenacity) --failed--> failed points (JSONL; counted)
```

The ranges are computed when the pipeline is built, from the ring the driver sees
(`cluster.metadata.token_map`), and become the input: each worker reads whole ranges, so the read
parallelises as far as there are ranges, like Beam's Java CassandraIO. The grouping brings a
device's day partitions together (they live on different token ranges and workers).

The learner's code comes from `impl` (`solution` or `starter`): the token-range splitting and
reading, the detectors, the validation, the key and the point. Everything else is here.
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import apache_beam as beam
import numpy as np
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.options.pipeline_options import PipelineOptions

from bootcamp.cassandra import cluster_from_env
from exercises.ex10_anomaly_detection import baselines
from exercises.ex10_anomaly_detection.generator import PER_DAY
from exercises.ex10_anomaly_detection.influx import AnomalySink, InfluxSettings
from exercises.ex10_anomaly_detection.records import TABLE, Anomaly, Reading, TokenRange, raw_row

PACKAGE = "exercises.ex10_anomaly_detection"
DETECTORS = ("iqr", "shesd", "lof", "zscore")
FAILED = "failed"
NAMESPACE = "ex10"


def impl_module(impl: str, name: str) -> ModuleType:
    return importlib.import_module(f"{PACKAGE}.{impl}.{name}")


def detector(name: str, impl: str) -> Any:
    """`values, period -> flags` for one detector name (the learner's two, the provided two)."""
    detectors = impl_module(impl, "detectors")
    if name == "iqr":
        return lambda values, period: detectors.iqr_flags(values)
    if name == "shesd":
        return detectors.shesd_flags
    if name == "lof":
        return baselines.lof_flags
    if name == "zscore":
        return lambda values, period: baselines.zscore_flags(values)
    raise ValueError(f"unknown detector {name!r}; choose from {', '.join(DETECTORS)}")


@dataclass(frozen=True)
class PipelineSettings:
    keyspace: str
    influx: InfluxSettings
    out_dir: str | Path
    """Where the dead letters and failed points go: a local folder or a gs:// prefix."""
    detectors: tuple[str, ...] = ("shesd",)
    splits: int = 8
    period: int = PER_DAY
    contact_points: str | None = None
    fetch_size: int = 1000
    batch_size: int = 500
    worker_env: tuple[tuple[str, str], ...] = ()
    """Non-secret settings the workers need in their environment (CASSANDRA_*, INFLUXDB_URL): on
    Dataflow the launcher's environment does not reach the workers."""
    secret_env: tuple[tuple[str, str], ...] = ()
    """(variable, Secret Manager version) pairs resolved on each worker at setup, e.g.
    ("INFLUXDB_TOKEN", "projects/p/secrets/influx-token/versions/latest"): secrets never travel in
    the job graph, which the Dataflow console shows."""


def apply_worker_env(settings: PipelineSettings) -> None:
    """Set the worker's environment from the settings: plain values, then secrets (fetched once)."""
    os.environ.update(dict(settings.worker_env))
    missing = [(name, ref) for name, ref in settings.secret_env if not os.environ.get(name)]
    if missing:
        from google.cloud import secretmanager

        client = secretmanager.SecretManagerServiceClient()
        for name, ref in missing:
            os.environ[name] = client.access_secret_version(name=ref).payload.data.decode()


@dataclass
class Report:
    """What one run did, from the pipeline's counters and its dead-letter output."""

    ranges: int
    counts: dict[str, int] = field(default_factory=dict)
    dead_letters: list[dict[str, Any]] = field(default_factory=list)
    failed_points: list[dict[str, Any]] = field(default_factory=list)

    def count(self, name: str) -> int:
        return self.counts.get(name, 0)


def ring_tokens(contact_points: str | None = None) -> list[int]:
    """The ring's tokens as the driver sees them (every node's vnodes)."""
    cluster = cluster_from_env(contact_points)
    try:
        cluster.connect()
        return [token.value for token in cluster.metadata.token_map.ring]
    finally:
        cluster.shutdown()


class ReadRange(beam.DoFn):  # type: ignore[misc]
    """Reads one token range with the learner's prepared range query; yields RawRows."""

    def __init__(self, settings: PipelineSettings, impl: str) -> None:
        self.settings = settings
        self.impl = impl
        self.rows = Metrics.counter(NAMESPACE, "rows_read")

    def setup(self) -> None:
        apply_worker_env(self.settings)
        self.token_ranges = impl_module(self.impl, "token_ranges")
        self.cluster = cluster_from_env(self.settings.contact_points)
        self.session = self.cluster.connect()
        self.statement = self.session.prepare(self.token_ranges.range_query(self.settings.keyspace, TABLE))

    def process(self, token_range: TokenRange) -> Iterator[Any]:
        for row in self.token_ranges.read_range(self.session, self.statement, token_range,
                                                self.settings.fetch_size):
            self.rows.inc()
            yield raw_row(row)

    def teardown(self) -> None:
        cluster = getattr(self, "cluster", None)
        if cluster is not None:
            cluster.shutdown()


class Detect(beam.DoFn):  # type: ignore[misc]
    """Every chosen detector over one device's series, in time order; yields Anomalies."""

    def __init__(self, settings: PipelineSettings, impl: str) -> None:
        self.settings = settings
        self.impl = impl
        self.found = Metrics.counter(NAMESPACE, "anomalies")

    def setup(self) -> None:
        self.detectors = {name: detector(name, self.impl) for name in self.settings.detectors}

    def process(self, keyed: tuple[str, Sequence[Reading]]) -> Iterator[Anomaly]:
        _, readings = keyed
        series = sorted(readings, key=lambda r: r.ts)
        values = np.array([r.value for r in series], dtype=float)
        for name, flags_of in self.detectors.items():
            flags = flags_of(values, self.settings.period)
            for reading, flagged in zip(series, flags, strict=True):
                if flagged:
                    self.found.inc()
                    yield Anomaly(name, reading.device_id, reading.location, reading.ts, reading.value)


class WriteBatch(beam.DoFn):  # type: ignore[misc]
    """Writes a batch of points (retried by the sink); what still fails goes to `failed`, counted."""

    def __init__(self, settings: InfluxSettings, pipeline_settings: PipelineSettings) -> None:
        self.settings = settings
        self.pipeline_settings = pipeline_settings
        self.written = Metrics.counter(NAMESPACE, "points_written")
        self.failed = Metrics.counter(NAMESPACE, "points_failed")

    def setup(self) -> None:
        apply_worker_env(self.pipeline_settings)
        self.sink = AnomalySink(self.settings)  # the token, if any, from the worker's environment

    def process(self, batch: Sequence[dict[str, Any]]) -> Iterator[Any]:
        try:
            self.written.inc(self.sink.write(batch))
        except Exception as exc:  # every failure is reported with its points
            self.failed.inc(len(batch))
            for point in batch:
                yield beam.pvalue.TaggedOutput(FAILED, {"reason": f"{type(exc).__name__}: {exc}",
                                                        "point": point})

    def teardown(self) -> None:
        sink = getattr(self, "sink", None)
        if sink is not None:
            sink.close()


def _jsonl(record: Any) -> str:
    data = asdict(record) if hasattr(record, "__dataclass_fields__") else record
    return json.dumps(data, sort_keys=True, default=str)


def build(pipeline: beam.Pipeline, settings: PipelineSettings, ranges: Sequence[TokenRange],
          impl: str) -> None:
    mapping = impl_module(impl, "mapping")
    checked = (pipeline
               | "Ranges" >> beam.Create(list(ranges))
               | "Spread" >> beam.Reshuffle()
               | "ReadRange" >> beam.ParDo(ReadRange(settings, impl))
               | "Validate" >> beam.ParDo(mapping.ValidateRow()).with_outputs(mapping.DEAD, main="good"))
    dead_path = _join(settings.out_dir, "dead_letters")
    (checked[mapping.DEAD]
     | "CountDead" >> beam.Map(_count, "dead_letters")
     | "DeadJson" >> beam.Map(_jsonl)
     | "WriteDead" >> beam.io.WriteToText(dead_path, file_name_suffix=".jsonl", num_shards=1,
                                          shard_name_template=""))
    written = (checked["good"]
               | "CountGood" >> beam.Map(_count, "readings")
               | "ByDevice" >> beam.Map(lambda r: (mapping.device_key(r), r))
               | "Group" >> beam.GroupByKey()
               | "Detect" >> beam.ParDo(Detect(settings, impl))
               | "ToPoint" >> beam.Map(mapping.to_point)
               | "Batch" >> beam.BatchElements(min_batch_size=min(50, settings.batch_size),
                                               max_batch_size=settings.batch_size)
               | "Write" >> beam.ParDo(WriteBatch(settings.influx, settings)).with_outputs(FAILED, main="ok"))
    (written[FAILED]
     | "FailedJson" >> beam.Map(_jsonl)
     | "WriteFailed" >> beam.io.WriteToText(_join(settings.out_dir, "failed_points"),
                                            file_name_suffix=".jsonl", num_shards=1, shard_name_template=""))


def _count(element: Any, name: str) -> Any:
    Metrics.counter(NAMESPACE, name).inc()
    return element


def run(settings: PipelineSettings, argv: Sequence[str] = ("--runner=FnApiRunner",), impl: str = "solution",
        ranges: Sequence[TokenRange] | None = None) -> Report:
    """Build and run the pipeline; its Report. `ranges` defaults to the learner's split of the ring."""
    for name in settings.detectors:
        detector(name, impl)  # an unknown name fails here, before anything runs
    token_ranges = impl_module(impl, "token_ranges")
    if ranges is None:
        ranges = token_ranges.split_ring(ring_tokens(settings.contact_points), settings.splits)
    if "://" not in str(settings.out_dir):
        Path(settings.out_dir).mkdir(parents=True, exist_ok=True)
    AnomalySink(settings.influx).ensure_database()
    pipeline = beam.Pipeline(options=PipelineOptions(list(argv)))
    build(pipeline, settings, ranges, impl)
    result = pipeline.run()
    result.wait_until_finish()
    counts: dict[str, int] = {}
    for counter in result.metrics().query(MetricsFilter().with_namespace(NAMESPACE))["counters"]:
        value = counter.committed if counter.committed is not None else counter.attempted
        counts[counter.key.metric.name] = counts.get(counter.key.metric.name, 0) + int(value or 0)
    return Report(len(ranges), counts, _read_jsonl(_join(settings.out_dir, "dead_letters.jsonl")),
                  _read_jsonl(_join(settings.out_dir, "failed_points.jsonl")))


def _join(folder: str | Path, name: str) -> str:
    """`folder/name` for a local path or a gs:// prefix (Path would fold the '//')."""
    return f"{str(folder).rstrip('/')}/{name}"


def _read_jsonl(path: str) -> list[dict[str, Any]]:
    if not FileSystems.exists(path):
        return []
    with FileSystems.open(path) as handle:
        text = handle.read().decode()
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def settings_from_env(out_dir: Path, **overrides: Any) -> PipelineSettings:
    """Settings from the environment (CASSANDRA_*, INFLUXDB_*, EX10_*), as the deploy step sets them."""
    values: dict[str, Any] = {
        "keyspace": os.environ.get("EX10_KEYSPACE", "ex10"),
        "influx": InfluxSettings.from_env(),
        "out_dir": out_dir,
        "detectors": tuple(os.environ.get("EX10_DETECTORS", "shesd").split(",")),
        "splits": int(os.environ.get("EX10_SPLITS", "8")),
    }
    return PipelineSettings(**{**values, **overrides})
