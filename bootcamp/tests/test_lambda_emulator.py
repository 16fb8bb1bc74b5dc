"""The Lambda Runtime Interface Emulator part: a handler run by awslambdaric as in the cloud, over HTTP."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from bootcamp import parts
from bootcamp.errors import BootcampError
from bootcamp.lambda_emulator import FunctionError, LambdaEmulator

pytestmark = pytest.mark.integration

HANDLER = '''
import json, sys
def handler(event, context):
    if event.get("fail"):
        raise ValueError("asked to fail")
    return {"echo": event, "request_id": context.aws_request_id,
            "remaining_ms": context.get_remaining_time_in_millis(), "site": "site" in sys.modules}
'''


def zipped(tmp_path: Path, files: dict[str, str]) -> Path:
    package = tmp_path / "function.zip"
    with zipfile.ZipFile(package, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return package


def test_a_zipped_handler_answers_invocations_and_reports_its_errors(tmp_path: Path) -> None:
    package = zipped(tmp_path, {"app.py": HANDLER})
    with LambdaEmulator(package, "app.handler", name="echo", timeout_s=10) as function:
        first = function.invoke({"n": 1})
        second = function.invoke({"n": 2})
        with pytest.raises(FunctionError) as failed:
            function.invoke({"fail": True})
    assert first["echo"] == {"n": 1}
    assert second["echo"] == {"n": 2}
    assert first["request_id"] != second["request_id"], "each invocation has its own request id"
    assert 0 < first["remaining_ms"] <= 10_000, "the function's timeout reaches the context"
    assert first["site"] is False, "the runtime starts without site-packages"
    assert failed.value.payload["errorType"] == "ValueError"
    assert "asked to fail" in failed.value.payload["errorMessage"]


def test_a_dependency_missing_from_the_package_fails_as_in_the_cloud(tmp_path: Path) -> None:
    """httpx is installed in the project's environment, but not in the package: the import fails."""
    package = zipped(tmp_path, {"app.py": "import httpx\ndef handler(event, context):\n    return 1\n"})
    with LambdaEmulator(package, "app.handler", name="missing") as function, \
            pytest.raises(FunctionError) as failed:
        function.invoke({})
    assert failed.value.payload["errorType"] == "Runtime.ImportModuleError"
    assert "httpx" in failed.value.payload["errorMessage"]


def test_an_unbuilt_emulator_is_one_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parts.GoPart, "binary", lambda self: None)
    with pytest.raises(BootcampError, match=r"Runtime Interface Emulator.* is not built .*setup\.sh"):
        LambdaEmulator(zipped(tmp_path, {"app.py": HANDLER}), "app.handler").start()


def test_a_stub_that_raises_not_implemented_is_reported_as_such(tmp_path: Path) -> None:
    """A learner's untouched handler: graded as "not implemented yet", not as a failure."""
    package = zipped(tmp_path, {"app.py": "def handler(event, context):\n"
                                          "    raise NotImplementedError('handler: write me')\n"})
    with LambdaEmulator(package, "app.handler", name="stub") as function, \
            pytest.raises(NotImplementedError, match="write me"):
        function.invoke({})
