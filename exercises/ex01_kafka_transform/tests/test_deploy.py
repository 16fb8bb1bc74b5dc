"""The cloud artifacts, validated offline: SAM templates through the SAM translator, then cfn-lint."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from cfnlint.api import lint
from samtranslator.translator.managed_policy_translator import ManagedPolicyLoader
from samtranslator.translator.transform import transform

from exercises.ex01_kafka_transform.config import TransformerSettings
from exercises.ex01_kafka_transform.observer import read_topic
from exercises.ex01_kafka_transform.tests.conftest import settings_env

DEPLOY = Path(__file__).resolve().parent.parent / "deploy" / "lambda"
TEMPLATES = sorted(DEPLOY.glob("template-*.yaml"))


class KnownPolicies(ManagedPolicyLoader):  # type: ignore[misc]
    """The managed policies the templates name, resolved without calling IAM (no AWS account here)."""

    def __init__(self) -> None:
        pass

    def load(self) -> dict[str, str]:
        return {"AWSLambdaMSKExecutionRole":
                "arn:aws:iam::aws:policy/service-role/AWSLambdaMSKExecutionRole"}


class CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short-form intrinsics (!Ref, !GetAtt) turned into their long form."""


def _intrinsic(loader: CfnLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


CfnLoader.add_multi_constructor("!", _intrinsic)


def test_there_are_templates_for_msk_and_self_managed_kafka() -> None:
    assert [t.name for t in TEMPLATES] == ["template-msk.yaml", "template-self-managed.yaml"]


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: t.name)
def test_sam_template_translates_and_passes_cfn_lint(template: Path, monkeypatch: pytest.MonkeyPatch
                                                     ) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")  # the translator resolves pseudo parameters
    sam = yaml.load(template.read_text(), Loader=CfnLoader)  # a SafeLoader subclass
    function_props = sam["Resources"]["TransformFunction"]["Properties"]
    assert function_props["CodeUri"] == "build/", "build.sh writes the package there"
    function_props["CodeUri"] = "s3://artifacts-bucket/ex01/build.zip"  # what `sam package` does
    cfn = transform(sam, {}, KnownPolicies())

    mappings = [r for r in cfn["Resources"].values() if r["Type"] == "AWS::Lambda::EventSourceMapping"]
    assert len(mappings) == 1
    props = mappings[0]["Properties"]
    assert props["StartingPosition"] == "TRIM_HORIZON"
    assert props["DestinationConfig"]["OnFailure"]["Destination"]
    function = next(r for r in cfn["Resources"].values() if r["Type"] == "AWS::Lambda::Function")
    assert function["Properties"]["Handler"] == \
        "exercises.ex01_kafka_transform.solution.lambda_handler.handler"

    problems = [m for m in lint(yaml.safe_dump(cfn), regions=["eu-west-1"])
                if m.rule.id.startswith(("E", "W"))]
    assert problems == [], "\n".join(str(m) for m in problems)


@pytest.mark.slow
@pytest.mark.integration
def test_the_built_package_runs_the_handler_on_its_own(tmp_path: Path, settings: TransformerSettings,
                                                      kafka_bootstrap: str) -> None:
    """build.sh's package (x86_64 here, arm64 for the templates) holds everything the handler
    needs: an interpreter that sees only the standard library and the package (no site-packages)
    transforms a batch against the local broker."""
    package = tmp_path / "package"
    subprocess.run([str(DEPLOY / "build.sh")], env={**os.environ, "OUT": str(package), "ARCH": "x86_64"},
                   check=True, capture_output=True, timeout=600)
    event = {"eventSource": "aws:kafka", "records": {f"{settings.input_topic}-0": [{
        "topic": settings.input_topic, "partition": 0, "offset": 7, "timestamp": 1700000000000,
        "timestampType": "CREATE_TIME", "key": base64.b64encode(b"k").decode(),
        "value": base64.b64encode(b"from the package").decode(), "headers": []}]}}
    script = (
        "import json, sys\n"
        f"sys.path.insert(0, {str(package)!r})\n"
        "from exercises.ex01_kafka_transform.solution.lambda_handler import handler\n"
        "print(json.dumps(handler(json.loads(sys.stdin.read()), None)))\n"
    )
    env = {"PATH": "/usr/bin:/bin", "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
           **{k: v for k, v in settings_env(settings).items()}}
    result = subprocess.run([sys.executable, "-I", "-S", "-c", script], input=json.dumps(event), env=env,
                            capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "records": 1, "transformed": 1, "deadLettered": 0}
    out = read_topic(settings.output_topic, count=1, idle_s=1).records
    assert [r.value for r in out] == [b"FROM THE PACKAGE"]
