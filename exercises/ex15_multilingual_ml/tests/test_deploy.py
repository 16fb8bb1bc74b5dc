"""The cloud and CI artifacts, offline: SageMaker requests against botocore's API model, the Vertex AI
container spec against the app's routes, the image's files and pins, and the GitHub Actions workflow
through actionlint (built from its Go module by set-up) and against the CI commands it calls."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import botocore.session
import pytest
import yaml
from botocore.validate import ParamValidator

from bootcamp import parts
from bootcamp.paths import REPO_ROOT
from bootcamp.testing.deploy import locked_versions
from exercises.ex15_multilingual_ml import ci

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
WORKFLOW = DEPLOY / "github-actions" / "train.yml"


def test_sagemaker_requests_validate_against_the_api_model() -> None:
    model = botocore.session.get_session().get_service_model("sagemaker")
    for file, operation in (("sagemaker_model.json", "CreateModel"),
                            ("sagemaker_endpoint_config.json", "CreateEndpointConfig")):
        request = json.loads((DEPLOY / file).read_text())
        report = ParamValidator().validate(request, model.operation_model(operation).input_shape)
        assert not report.has_errors(), f"{file}: {report.generate_report()}"


def test_vertex_routes_and_port_are_the_apps() -> None:
    from exercises.ex15_multilingual_ml.serving import create_app

    spec = json.loads((DEPLOY / "vertex_model.json").read_text())["containerSpec"]
    app = create_app("http://127.0.0.1:1", impl="solution")  # routes only: no request is made
    routes = {(method, getattr(route, "path", "")) for route in app.routes
              for method in getattr(route, "methods", ())}
    assert {("POST", spec["predictRoute"]), ("GET", spec["healthRoute"]), ("POST", "/predict")} <= routes
    assert spec["ports"] == [{"containerPort": 8080}]
    assert {e["name"] for e in spec["env"]} >= {"MLFLOW_TRACKING_URI", "EX15_PREFIX"}


def test_requirements_are_pinned_to_the_lock() -> None:
    lock = locked_versions()
    for line in (DEPLOY / "requirements.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split("==")
            assert lock.get(name) == version, f"{name}: image pins {version}, uv.lock has {lock.get(name)}"


def test_the_images_files_are_enough_to_import_the_service(tmp_path: Path) -> None:
    """Copy exactly what the Dockerfile COPYs, then import the app from there alone (no Beam needed)."""
    dockerfile = (DEPLOY / "Dockerfile").read_text().replace("\\\n", " ")
    for line in dockerfile.splitlines():
        if line.startswith("COPY ") and "requirements" not in line:
            *sources, dest = line.split()[1:]
            for source in sources:
                path = REPO_ROOT / source
                target = tmp_path / dest.removeprefix("/app/")
                if path.is_dir():
                    shutil.copytree(path, target, dirs_exist_ok=True,
                                    ignore=shutil.ignore_patterns("__pycache__"))
                    continue
                folder = target if dest.endswith("/") else target.parent
                folder.mkdir(parents=True, exist_ok=True)
                shutil.copy(path, folder / path.name if dest.endswith("/") else target)
    cmd = re.search(r"--factory (\S+)", dockerfile)
    assert cmd, "the CMD runs the app factory"
    module, factory = cmd.group(1).split(":")
    script = ("import sys; sys.path = [p for p in sys.path if 'ex15' not in p or 'site-packages' in p]; "
              "sys.modules['apache_beam'] = None; "  # the image has no Beam: importing it must not be needed
              f"import importlib; m = importlib.import_module({module!r}); assert callable(m.{factory}); "
              "assert m.__file__.startswith(sys.argv[1]), m.__file__")
    env = {"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin", "PYTHONNOUSERSITE": "1",
           "HOME": str(tmp_path),
           "BOOTCAMP_IMPL": "solution"}
    result = subprocess.run([sys.executable, "-c", script, str(tmp_path)], cwd=tmp_path, capture_output=True,
                            text=True, env=env, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]


def _actionlint() -> Path:
    binary = parts.go("actionlint").binary()
    if binary is None:
        pytest.fail(f"actionlint is not built: {parts.go('actionlint').fix}")
    return binary


def test_the_workflow_passes_actionlint() -> None:
    result = subprocess.run([str(_actionlint()), "-no-color", str(WORKFLOW)], capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_rejects_a_broken_copy(tmp_path: Path) -> None:
    """The check is real: a job that needs a missing job, and an unknown expression context, fail it."""
    broken = WORKFLOW.read_text().replace("needs: train", "needs: trian")
    broken = broken.replace("github.ref ==", "gihub.ref ==")
    path = tmp_path / "train.yml"
    path.write_text(broken)
    result = subprocess.run([str(_actionlint()), "-no-color", str(path)], capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 1
    assert "trian" in result.stdout
    assert "gihub" in result.stdout


def test_the_workflow_runs_the_ci_steps_in_order_with_valid_arguments() -> None:
    """Each `run:` line that calls the CI module parses with its own command line (the variables given
    the values the workflow gives them), and the jobs chain pipeline -> train -> promote."""
    workflow = yaml.safe_load(WORKFLOW.read_text())
    values = {"$OUT": "ex15-out", "$QUICK_FLAG": "--quick", "$MIN_GAIN": "0.01"}
    steps: list[str] = []
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            for line in str(step.get("run", "")).splitlines():
                if "exercises.ex15_multilingual_ml.ci " in line:
                    words = shlex.split(line.split("exercises.ex15_multilingual_ml.ci ", 1)[1])
                    args = ci.parser().parse_args([values.get(w, w) for w in words])
                    steps.append(args.step)
    assert steps == ["pipeline", "train", "promote"]
    assert workflow["jobs"]["train"]["needs"] == "pipeline"
    assert workflow["jobs"]["promote"]["needs"] == "train"
