"""The cloud artifacts, validated offline: SAM templates through the SAM translator, then cfn-lint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from cfnlint.api import lint
from samtranslator.translator.managed_policy_translator import ManagedPolicyLoader
from samtranslator.translator.transform import transform

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
