"""The cloud artifacts, checked offline: scripts parse, the Dataflow options build a valid job graph."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from bootcamp.testing.plugin import Implementation

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


def _dataflow_options() -> list[str]:
    env = {"GCP_PROJECT": "my-project", "GCP_REGION": "europe-west1", "EX07_BUCKET": "my-bucket"}
    lines = [line.strip() for line in (DEPLOY / "dataflow-options.txt").read_text().splitlines()]
    return [re.sub(r"\$\{(\w+)\}", lambda m: env[m.group(1)], line)
            for line in lines if line and not line.startswith("#")]


def test_dataflow_options_build_a_dataflow_job_graph(impl: Implementation, tmp_path: Path) -> None:
    """The options parse as Beam options; the pipeline translates to the Runner API proto Dataflow takes."""
    import apache_beam as beam
    from apache_beam.options.pipeline_options import GoogleCloudOptions, PipelineOptions, StandardOptions

    options = PipelineOptions(_dataflow_options())
    assert options.view_as(StandardOptions).runner == "DataflowRunner"
    gcp = options.view_as(GoogleCloudOptions)
    assert gcp.project == "my-project"
    assert gcp.temp_location.startswith("gs://")
    source = tmp_path / "in.csv"
    source.write_text("timestamp,request_id\n")
    # The graph is built under default options: constructing a Pipeline with the Dataflow options
    # validates the bucket and looks up credentials against Google Cloud, which is unreachable here.
    pipeline = beam.Pipeline(options=PipelineOptions([]))
    # Local sink paths: a gs:// sink is checked against Cloud Storage when the graph is built, which
    # cannot be reached offline (the gs:// path is exercised on the emulator in test_spark_vs_beam).
    impl.beam_pipeline.build(pipeline, str(source), str(tmp_path / "stats"), str(tmp_path / "dead"))
    proto = pipeline.to_runner_api()
    names = {t.unique_name for t in proto.components.transforms.values()}
    assert any(name.startswith("WriteStats") for name in names)
    assert any(name.startswith("WriteDead") for name in names)


@pytest.mark.parametrize("script", ["dataflow.sh", "dataproc.sh"])
def test_deploy_scripts_parse_and_refuse_without_a_project(impl: Implementation, script: str) -> None:
    impl.beam_pipeline.parse_line("")  # graded with the exercise: the scripts run the learner's code
    path = DEPLOY / script
    assert subprocess.run(["bash", "-n", str(path)], check=False).returncode == 0
    env = {k: v for k, v in os.environ.items() if k not in {"GCP_PROJECT", "EX07_BUCKET"}}
    env["PATH"] = f"/nonexistent:{env.get('PATH', '')}"
    done = subprocess.run(["bash", str(path)], env=env, capture_output=True, text=True, check=False)
    assert done.returncode != 0
    assert "set GCP_PROJECT" in done.stderr
    assert shutil.which("bash")
