"""The whole pipeline against the real Cassandra and InfluxDB: every row read once, bad rows
dead-lettered and counted, anomalies found per device and written idempotently, and writes that
survive InfluxDB going away (or are reported when it stays away)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from bootcamp.testing.plugin import Implementation
from exercises.ex10_anomaly_detection import influx, pipeline
from exercises.ex10_anomaly_detection.generator import PER_DAY
from exercises.ex10_anomaly_detection.influx import InfluxSettings
from exercises.ex10_anomaly_detection.tests.conftest import Dataset, DroppingProxy


def run(impl: Implementation, dataset: Dataset, settings: InfluxSettings, out: Path,
        detectors: tuple[str, ...] = ("shesd",), batch_size: int = 500) -> pipeline.Report:
    impl_name = impl.package.rsplit(".", 1)[-1]
    impl.token_ranges.ring_ranges([0])   # an unwritten starter fails here, at once
    settings_ = pipeline.PipelineSettings(keyspace=dataset.keyspace, influx=settings, out_dir=out,
                                          detectors=detectors, splits=6, period=PER_DAY,
                                          batch_size=batch_size)
    return pipeline.run(settings_, impl=impl_name)


def test_reads_every_row_dead_letters_the_bad_and_writes_anomalies_per_device(
        impl: Implementation, dataset: Dataset, influx_settings: InfluxSettings, tmp_path: Path) -> None:
    report = run(impl, dataset, influx_settings, tmp_path, detectors=("shesd", "iqr"))
    read = report.count("rows_read")
    assert read == dataset.rows, f"read {read} of {dataset.rows} rows"
    assert report.count("dead_letters") == dataset.bad == len(report.dead_letters), (
        f"{report.count('dead_letters')} dead letters counted, {len(report.dead_letters)} written, "
        f"{dataset.bad} bad rows: a bad row must be dead-lettered with its reason, never dropped silently")
    assert sorted(d["reason"].split()[0] for d in report.dead_letters) == ["non-finite", "null", "timestamp"]
    assert report.count("readings") == dataset.rows - dataset.bad
    found = influx.anomaly_keys(influx_settings, "shesd")
    truth = dataset.labelled()
    hits = len(found & truth)
    precision, recall = hits / max(1, len(found)), hits / len(truth)
    scores = (f"S-H-ESD through the pipeline: precision {precision:.2f}, recall {recall:.2f} against the "
              "labels; detection must run per device (a series mixing devices, sorted by time, is noise)")
    assert precision >= 0.8, scores
    assert recall >= 0.8, scores
    assert report.count("points_written") == influx.count_points(influx_settings) == report.count("anomalies")


def test_a_rerun_overwrites_instead_of_adding_points(impl: Implementation, dataset: Dataset,
                                                     influx_settings: InfluxSettings, tmp_path: Path) -> None:
    first = run(impl, dataset, influx_settings, tmp_path / "1")
    after_first = influx.count_points(influx_settings)
    assert after_first == first.count("anomalies") > 0
    second = run(impl, dataset, influx_settings, tmp_path / "2")
    assert second.count("anomalies") == first.count("anomalies")
    after_second = influx.count_points(influx_settings)
    assert after_second == after_first, (
        f"{after_first} points after the first run, {after_second} after the second: the write is not "
        "idempotent (each point must be the same measurement, tags and timestamp at every run)")


def test_influxdb_going_away_mid_run_is_retried_and_nothing_is_lost(
        impl: Implementation, dataset: Dataset, influx_settings: InfluxSettings, tmp_path: Path,
        proxy: Callable[[Callable[[int], bool]], DroppingProxy]) -> None:
    """Connection 1 (creating the database) goes through; 2 and 3 (the first write) are reset; the rest
    go through: the write is retried and every point arrives."""
    flaky = proxy(lambda n: n in (2, 3))
    settings = dataclasses.replace(influx_settings, url=flaky.url)
    report = run(impl, dataset, settings, tmp_path, batch_size=10)
    assert flaky.dropped == 2, f"the proxy dropped {flaky.dropped} connections"
    assert report.count("points_failed") == 0
    assert not report.failed_points
    assert influx.count_points(influx_settings) == report.count("points_written") == report.count("anomalies")


def test_influxdb_staying_away_reports_every_failed_point(
        impl: Implementation, dataset: Dataset, influx_settings: InfluxSettings, tmp_path: Path,
        proxy: Callable[[Callable[[int], bool]], DroppingProxy]) -> None:
    down = proxy(lambda n: n > 1)
    settings = dataclasses.replace(influx_settings, url=down.url, attempts=3, max_wait_s=0.05)
    report = run(impl, dataset, settings, tmp_path)
    assert report.count("anomalies") > 0
    assert report.count("points_failed") == len(report.failed_points) == report.count("anomalies"), (
        "every point that could not be written must be reported on the failed output, with its reason")
    assert report.count("points_written") == 0
    assert "ConnectionError" in report.failed_points[0]["reason"]
    assert down.dropped >= 3
