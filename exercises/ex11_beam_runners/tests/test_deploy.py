"""The cluster runners' options, checked offline: they parse, name the right runner, and the pipeline
translates to the Runner API graph those runners take. (Running them needs job-server jars or a cloud
project that this machine cannot reach; see the README.)"""

from __future__ import annotations

import subprocess
from pathlib import Path

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions

from bootcamp.testing.plugin import Implementation
from exercises.ex11_beam_runners.run import options_from_file

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
ENV = {"GCP_PROJECT": "my-project", "GCP_REGION": "europe-west1", "EX11_BUCKET": "my-bucket",
       "FLINK_MASTER": "flink-jobmanager:8081", "SPARK_MASTER_URL": "spark://spark-master:7077",
       "SAMZA_JOB_ENDPOINT": "localhost:11111"}


@pytest.mark.parametrize(("name", "runner"), [
    ("dataflow", "DataflowRunner"), ("flink", "FlinkRunner"), ("spark", "SparkRunner"),
    ("samza", "PortableRunner"),
])
def test_cluster_runner_options(impl: Implementation, name: str, runner: str, tmp_path: Path) -> None:
    args = options_from_file(str(DEPLOY / "options" / f"{name}.txt"), ENV)
    options = PipelineOptions(args)
    assert options.view_as(StandardOptions).runner == runner
    assert not any("${" in arg for arg in args)
    source = tmp_path / "in.csv"
    source.write_text("header\n")
    pipeline = beam.Pipeline(options=PipelineOptions([]))  # a cluster runner would contact its cluster
    impl.pipeline.build(pipeline, str(source), str(tmp_path / "out"), str(tmp_path / "db.sqlite"))
    names = {t.unique_name for t in pipeline.to_runner_api().components.transforms.values()}
    assert {"WriteCsv", "WriteDb", "WriteDead"} <= {n.split("/")[0] for n in names}


def test_options_name_what_is_missing(impl: Implementation) -> None:
    impl.runners.runner_options("direct-in-memory")  # graded with the exercise
    with pytest.raises(ValueError, match="FLINK_MASTER"):
        options_from_file(str(DEPLOY / "options" / "flink.txt"), {})


def test_run_on_script_parses_and_rejects_unknown_runners(impl: Implementation) -> None:
    impl.runners.runner_options("bundle-based-direct")  # graded with the exercise
    script = DEPLOY / "run-on.sh"
    assert subprocess.run(["bash", "-n", str(script)], check=False).returncode == 0
    done = subprocess.run(["bash", str(script), "storm", "in", "out"], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 2
    assert "no options for runner 'storm'" in done.stderr
