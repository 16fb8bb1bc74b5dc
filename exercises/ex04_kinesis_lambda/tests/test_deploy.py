"""The cloud artifacts, validated offline: the SAM template through the SAM translator, then cfn-lint;
and the local mapping reads the same settings from it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from cfnlint.api import lint
from samtranslator.translator.managed_policy_translator import ManagedPolicyLoader
from samtranslator.translator.transform import transform

from bootcamp.aws.kinesis_poller import MappingSettings, _CfnLoader
from exercises.ex04_kinesis_lambda.pipeline import TEMPLATE, mapping_settings


class KnownPolicies(ManagedPolicyLoader):  # type: ignore[misc]
    """The managed policies SAM attaches, resolved without calling IAM (no AWS account here)."""

    def __init__(self) -> None:
        pass

    def load(self) -> dict[str, str]:
        return {"AWSLambdaBasicExecutionRole":
                "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"}


@pytest.fixture(scope="module")
def cfn() -> dict[str, Any]:
    sam = yaml.load(TEMPLATE.read_text(), Loader=_CfnLoader)  # a SafeLoader subclass
    assert sam["Globals"]["Function"]["CodeUri"] == "build/", "deploy/build.sh writes the package there"
    sam["Globals"]["Function"]["CodeUri"] = "s3://ex04-artifacts/ex04/build.zip"  # what `sam package` does
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_DEFAULT_REGION", "eu-west-1")  # the translator resolves pseudo parameters
        translated: dict[str, Any] = transform(sam, {}, KnownPolicies())
    return translated


def of_type(cfn: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in cfn["Resources"].items() if r["Type"] == kind}


def test_the_template_translates_and_passes_cfn_lint(cfn: dict[str, Any]) -> None:
    assert [str(match) for match in lint(json.dumps(cfn))] == []
    assert len(of_type(cfn, "AWS::Kinesis::Stream")) == 3, "input, output, dead letters"
    assert len(of_type(cfn, "AWS::Scheduler::Schedule")) == 1, "the generator runs on a schedule"


def test_the_event_source_mapping_has_the_settings_the_local_poller_uses(cfn: dict[str, Any]) -> None:
    (mapping,) = of_type(cfn, "AWS::Lambda::EventSourceMapping").values()
    props = mapping["Properties"]
    assert props["EventSourceArn"] == {"Fn::GetAtt": ["InputStream", "Arn"]}
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": ["FailureQueue", "Arn"]}
    local = mapping_settings()
    assert local == MappingSettings(
        stream=local.stream, batch_size=props["BatchSize"],
        maximum_batching_window_s=props["MaximumBatchingWindowInSeconds"],
        starting_position=props["StartingPosition"], report_batch_item_failures=True,
        bisect_batch_on_function_error=props["BisectBatchOnFunctionError"],
        maximum_retry_attempts=props["MaximumRetryAttempts"],
        maximum_record_age_s=props["MaximumRecordAgeInSeconds"],
        parallelization_factor=props["ParallelizationFactor"])


def test_the_roles_grant_least_privilege(cfn: dict[str, Any]) -> None:
    role = cfn["Resources"]["EnrichFunctionRole"]["Properties"]
    assert "ManagedPolicyArns" not in role, "no AWSLambdaKinesisExecutionRole: it reads every stream"
    statements = role["Policies"][0]["PolicyDocument"]["Statement"]
    wildcard = [s["Action"] for s in statements if s["Resource"] == "*"]
    assert wildcard == ["kinesis:ListStreams"], "only ListStreams, which has no resource, is on *"
    writes = next(s for s in statements if "kinesis:PutRecords" in s["Action"])
    assert writes["Resource"] == [{"Fn::GetAtt": ["OutputStream", "Arn"]},
                                  {"Fn::GetAtt": ["DeadLetterStream", "Arn"]}]
    generator = cfn["Resources"]["GeneratorFunctionRole"]["Properties"]
    (policy,) = generator["Policies"]
    input_arn = {"Fn::GetAtt": ["InputStream", "Arn"]}
    assert policy["PolicyDocument"]["Statement"] == [
        {"Effect": "Allow", "Action": "kinesis:PutRecords", "Resource": input_arn}]


def test_the_handlers_name_modules_of_the_package() -> None:
    sam = yaml.load(TEMPLATE.read_text(), Loader=_CfnLoader)
    root = Path(__file__).resolve().parents[3]
    for name in ("EnrichFunction", "GeneratorFunction"):
        module, _, function = sam["Resources"][name]["Properties"]["Handler"].rpartition(".")
        path = root / (module.replace(".", "/") + ".py")
        assert path.is_file(), path
        assert f"def {function}(" in path.read_text()
