"""The cloud artifacts, checked offline: scripts parse, the Dataflow options build a valid job graph."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
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


_GRAPH = """
import json, sys
import apache_beam as beam
from exercises.ex07_spark_to_beam.runtime import pipeline_options
from exercises.ex07_spark_to_beam.solution.beam_pipeline import build
pipeline = beam.Pipeline(options=pipeline_options([]))
build(pipeline, sys.argv[1], sys.argv[2], sys.argv[3])
pipeline.to_runner_api()
print(json.dumps({name: getattr(module, "__file__", None) for name, module in sys.modules.items()
                  if name.split(".")[0] in ("exercises", "bootcamp")}))
"""


def test_dataflow_launch_tree_holds_what_the_workers_import(tmp_path: Path) -> None:
    """dataflow.sh stages the modules and setup.py; from that tree alone the graph builds, and setup.py
    packages every module it imports (the workers unpickle DoFns by module)."""
    tree = tmp_path / "stage"
    env = {**os.environ, "GCP_PROJECT": "my-project", "EX07_BUCKET": "my-bucket", "STAGE_ONLY": str(tree)}
    done = subprocess.run(["bash", str(DEPLOY / "dataflow.sh")], env=env, capture_output=True, text=True,
                          check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    (tmp_path / "in.csv").write_text("timestamp,request_id\n")
    built = subprocess.run([sys.executable, "-c", _GRAPH, str(tmp_path / "in.csv"), str(tmp_path / "s"),
                            str(tmp_path / "d")], cwd=tree, env={**os.environ, "PYTHONPATH": str(tree)},
                           capture_output=True, text=True, check=False, timeout=120)
    assert built.returncode == 0, built.stderr[-3000:]
    loaded: dict[str, str | None] = json.loads(built.stdout.strip().splitlines()[-1])
    assert not [name for name in loaded if name.startswith("bootcamp")], "the graph imports the platform"
    outside = {name: path for name, path in loaded.items() if not str(path).startswith(str(tree))}
    assert not outside, f"imported from outside the staged tree: {outside}"
    setup = ast.parse((tree / "setup.py").read_text())
    packages = next(ast.literal_eval(k.value) for node in ast.walk(setup) if isinstance(node, ast.Call)
                    for k in node.keywords if k.arg == "packages")
    needed = {name if path and path.endswith("__init__.py") else name.rpartition(".")[0]
              for name, path in loaded.items()}
    assert needed <= set(packages), f"setup.py does not package {sorted(needed - set(packages))}"
    options = _dataflow_options()
    assert "--setup_file=./setup.py" in options


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
