"""The cloud artifacts, offline: the MSF application zip and its run options, the runtime properties,
the Lambda producer's SAM template (translated and linted) and its handler against the stand-in."""

from __future__ import annotations

import json
import uuid
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from cfnlint.api import lint
from samtranslator.translator.managed_policy_translator import ManagedPolicyLoader
from samtranslator.translator.transform import transform

from bootcamp.kafka.admin import ensure_topics
from exercises.ex09_flink_sentiment import generator
from exercises.ex09_flink_sentiment.config import JobSettings
from exercises.ex09_flink_sentiment.twitter_api import State, matches, serving

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


def _load(path: Path) -> Any:
    import importlib.util

    spec = importlib.util.spec_from_file_location(path.stem + "_ex09", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_msf_zip_has_every_file_its_run_options_name(tmp_path: Path) -> None:
    build_zip = _load(DEPLOY / "msf" / "build_zip.py")
    options = build_zip.run_options()
    jar = tmp_path / "connector.jar"
    jar.write_bytes(b"PK\x05\x06" + b"\0" * 18)  # an empty jar: the layout is under test, not the jar
    site = tmp_path / "site"
    for package in build_zip.PACKAGES:
        (site / package).mkdir(parents=True)
        (site / package / "__init__.py").write_text("")
    names = set(build_zip.build(tmp_path / "app.zip", jar, site))
    assert options["python"] in names
    assert options["jarfile"] in names
    assert options["jarfile"].endswith("-1.20.jar"), "MSF runs Flink 1.20: the connector built for it"
    for entry in options["pyFiles"].split(","):
        assert any(n.startswith(entry) for n in names), entry
    assert "exercises/ex09_flink_sentiment/job.py" in names
    assert "exercises/ex09_flink_sentiment/solution/pipeline.py" in names
    assert not any("/starter/" in n or "/tests/" in n for n in names)
    assert zipfile.is_zipfile(tmp_path / "app.zip")


def test_msf_runtime_properties_are_the_jobs_settings(tmp_path: Path) -> None:
    config = json.loads((DEPLOY / "msf" / "application.json").read_text())
    assert config["RuntimeEnvironment"] == "FLINK-1_20"
    app = config["ApplicationConfiguration"]
    checkpoints = app["FlinkApplicationConfiguration"]["CheckpointConfiguration"]
    assert checkpoints["CheckpointingEnabled"] is True, "exactly-once sinks commit on checkpoints"
    groups = app["EnvironmentProperties"]["PropertyGroups"]
    job = next(g["PropertyMap"] for g in groups if g["PropertyGroupId"] == "ex09.job")
    settings = JobSettings.from_env(job)
    assert settings.bootstrap_servers.endswith(":9092")
    assert settings.transaction_timeout_ms <= 900_000, "MSK's transaction.max.timeout.ms default is 15 min"
    unknown = {k for k in job if k.startswith("EX09_")} - set(JobSettings().to_env())
    assert not unknown, f"property names the job does not read: {unknown}"
    main = _load(DEPLOY / "msf" / "main.py")
    properties = tmp_path / "application_properties.json"
    properties.write_text(json.dumps(groups))
    assert main.load_properties(properties) == job


class _Policies(ManagedPolicyLoader):
    def __init__(self) -> None:
        pass

    def load(self) -> dict[str, str]:
        return {}


class _CfnLoader(yaml.SafeLoader):
    pass


def _intrinsic(loader: _CfnLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    elif isinstance(node, yaml.MappingNode):
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_CfnLoader.add_multi_constructor("!", _intrinsic)


def test_producer_sam_template_translates_and_passes_cfn_lint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    sam = yaml.load(
        (DEPLOY / "lambda" / "template.yaml").read_text(), Loader=_CfnLoader
    )  # SafeLoader subclass
    sam["Resources"]["ProducerFunction"]["Properties"]["CodeUri"] = "s3://artifacts/ex09/producer.zip"
    cfn = transform(sam, {}, _Policies())
    rules = [r for r in cfn["Resources"].values() if r["Type"] == "AWS::Events::Rule"]
    assert rules[0]["Properties"]["ScheduleExpression"] == "rate(1 minute)"
    problems = [
        m for m in lint(yaml.safe_dump(cfn), regions=["eu-west-1"]) if m.rule.id.startswith(("E", "W"))
    ]
    assert problems == [], "\n".join(str(m) for m in problems)


def test_lambda_handler_against_the_stand_in(kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch) -> None:
    state = State(generator.tweets(300))
    topic = f"ex09-{uuid.uuid4().hex[:8]}.tweets"
    ensure_topics([topic])
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", kafka_bootstrap)
    monkeypatch.setenv("TWITTER_BEARER_TOKEN", "token")
    monkeypatch.setenv("EX09_TWEETS_TOPIC", topic)
    monkeypatch.setenv("EX09_QUERY", "#python")
    with serving(state) as base_url:
        monkeypatch.setenv("EX09_TWITTER_BASE_URL", base_url)
        counts = _load(DEPLOY / "lambda" / "handler.py").handler({}, None)
    assert counts["tweets"] == sum(1 for t in state.tweets if matches(t, "#python"))


def _dataproc(name: str, kind: Any) -> Any:
    """A deploy/dataproc YAML file parsed by the Dataproc API's own types: an unknown field is an error."""
    return kind.from_json(json.dumps(yaml.safe_load((DEPLOY / "dataproc" / name).read_text())))


def _flink_env_pin(package: str) -> str:
    lock = (DEPLOY.parent / "flink-env" / "uv.lock").read_text()
    block = lock.split(f'[[package]]\nname = "{package}"\n', 1)[1]
    return block.split('version = "', 1)[1].split('"', 1)[0]


def test_dataproc_cluster_has_flink_and_the_jobs_pinned_dependencies() -> None:
    from google.cloud import dataproc_v1

    cluster = _dataproc("cluster.yaml", dataproc_v1.Cluster)
    software = cluster.config.software_config
    assert dataproc_v1.Component.FLINK in software.optional_components
    assert cluster.config.master_config.num_instances == 1, "Flink has no HA on a 3-master cluster"
    assert cluster.config.endpoint_config.enable_http_port_access, "the component gateway (Flink UI)"
    pins = dict(p.split("==") for p in software.properties["dataproc:pip.packages"].split(","))
    assert pins["textblob"] == _flink_env_pin("textblob")
    assert pins["vaderSentiment"] == _flink_env_pin("vadersentiment")
    job = _dataproc("job.yaml", dataproc_v1.Job)
    flink_minor = ".".join(pins["apache-flink"].split(".")[:2])
    jars = list(job.flink_job.jar_file_uris)
    assert len(jars) == 1
    assert jars[0].endswith(f"-{flink_minor}.jar"), "the connector built for the image's Flink"


def test_dataproc_job_runs_the_zips_entry_with_settings_the_job_reads(tmp_path: Path) -> None:
    from google.cloud import dataproc_v1

    job = _dataproc("job.yaml", dataproc_v1.Job)
    assert job.placement.cluster_name == _dataproc("cluster.yaml", dataproc_v1.Cluster).cluster_name
    flink = job.flink_job
    assert flink.main_class == "org.apache.flink.client.python.PythonDriver"
    args = list(flink.args)
    assert args[0] == "-pyfs"
    assert args[2:4] == ["-pym", "dataproc_main"]
    entry = _load(DEPLOY / "dataproc" / "main.py")
    settings = JobSettings.from_env(entry.settings_from_args(args[4:]))
    assert settings.transaction_timeout_ms <= 900_000, "under the broker's transaction.max.timeout.ms"
    assert settings.checkpoint_ms > 0
    assert settings.aggregates_dir.startswith("gs://")
    with pytest.raises(ValueError, match="EX09_TWEET_TOPIC"):
        entry.settings_from_args(["EX09_TWEET_TOPIC=tweets"])  # a typo is refused, not ignored
    build_zip = _load(DEPLOY / "msf" / "build_zip.py")
    jar = tmp_path / "connector.jar"
    jar.write_bytes(b"PK\x05\x06" + b"\0" * 18)
    assert "dataproc_main.py" in build_zip.build(tmp_path / "app.zip", jar)
