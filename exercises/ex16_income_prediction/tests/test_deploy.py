"""The cloud artifacts, offline: SageMaker requests against botocore's own API model, the Vertex AI
container spec against the app's routes, the image's file list and pins against the repository."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import botocore.session
from botocore.validate import ParamValidator

from bootcamp.paths import REPO_ROOT
from bootcamp.testing.deploy import locked_versions
from exercises.ex16_income_prediction.serving import create_app

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"


def _sagemaker_input(operation: str) -> object:
    model = botocore.session.get_session().get_service_model("sagemaker")
    return model.operation_model(operation).input_shape


def test_sagemaker_requests_validate_against_the_api_model() -> None:
    for file, operation in (("sagemaker_model.json", "CreateModel"),
                            ("sagemaker_endpoint_config.json", "CreateEndpointConfig")):
        request = json.loads((DEPLOY / file).read_text())
        report = ParamValidator().validate(request, _sagemaker_input(operation))
        assert not report.has_errors(), f"{file}: {report.generate_report()}"


def test_vertex_routes_and_port_are_the_apps() -> None:
    spec = json.loads((DEPLOY / "vertex_model.json").read_text())["containerSpec"]
    app = create_app("http://127.0.0.1:1")  # routes only: no request is made
    routes = {(method, getattr(route, "path", "")) for route in app.routes
              for method in getattr(route, "methods", ())}
    assert ("POST", spec["predictRoute"]) in routes
    assert ("GET", spec["healthRoute"]) in routes
    assert ("GET", "/ping") in routes
    assert ("POST", "/invocations") in routes
    assert spec["ports"] == [{"containerPort": 8080}]
    assert {e["name"] for e in spec["env"]} >= {"MLFLOW_TRACKING_URI"}


def test_requirements_are_pinned_to_the_lock() -> None:
    lock = locked_versions()
    for line in (DEPLOY / "requirements.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split("==")
            assert lock.get(name) == version, f"{name}: image pins {version}, uv.lock has {lock.get(name)}"


def test_the_images_files_are_enough_to_import_the_service(tmp_path: Path) -> None:
    """Copy exactly what the Dockerfile COPYs, then import the app from there alone."""
    dockerfile = (DEPLOY / "Dockerfile").read_text().replace("\\\n", " ")
    for line in dockerfile.splitlines():
        if line.startswith("COPY ") and "requirements" not in line:
            *sources, dest = line.split()[1:]
            for source in sources:
                target = tmp_path / dest.removeprefix("/app/")
                path = REPO_ROOT / source
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
    script = ("import sys; sys.path = [p for p in sys.path if 'ex16' not in p or 'site-packages' in p]; "
              f"import importlib; m = importlib.import_module({module!r}); assert callable(m.{factory}); "
              "assert m.__file__.startswith(sys.argv[1]), m.__file__")
    env = {"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin", "PYTHONNOUSERSITE": "1",
           "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", script, str(tmp_path)], cwd=tmp_path, capture_output=True,
                            text=True, env=env, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
