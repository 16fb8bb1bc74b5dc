"""The cloud artifacts, checked offline: the Flex Template's parameters are the entry point's, the
cluster runners' options parse, and tokens come from Secret Manager. (No Secret Manager emulator
exists, so its client is a stand-in that records the request; the request's shape is the API's.)"""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions

from exercises.ex11_beam_runners.run import options_from_file
from exercises.ex14_developer_productivity import fake, generator, secrets
from exercises.ex14_developer_productivity.deploy import main

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
ENV = {"GCP_PROJECT": "my-project", "GCP_REGION": "europe-west1", "EX14_BUCKET": "b",
       "EX14_IMAGE": "europe-west1-docker.pkg.dev/my-project/bootcamp/ex14:latest",
       "FLINK_MASTER": "flink-jobmanager:8081", "SPARK_MASTER_URL": "spark://spark-master:7077"}
VALUES = {"github_url": "https://api.github.com", "jira_url": "https://acme.atlassian.net",
          "slack_url": "https://slack.com/api/", "identities": "gs://b/identities.csv",
          "output": "gs://b/ex14/out", "secret_project": "my-project", "grain": "week"}


def test_template_parameters_are_the_entry_point_s() -> None:
    metadata = json.loads((DEPLOY / "metadata.json").read_text())
    assert [p["name"] for p in metadata["parameters"]] == list(VALUES)
    for param in metadata["parameters"]:
        for regex in param.get("regexes", []):
            assert re.fullmatch(regex, VALUES[param["name"]]), (param["name"], regex)
    args, beam_args = main.parse_args([f"--{k}={v}" for k, v in VALUES.items()] + ["--runner=DataflowRunner"])
    assert vars(args) | {"db": None} == VALUES | {"db": None}
    assert beam_args == ["--runner=DataflowRunner"]
    entry = re.search(r"FLEX_TEMPLATE_PYTHON_PY_FILE=/template/(\S+)", (DEPLOY / "Dockerfile").read_text())
    assert entry is not None
    assert (DEPLOY.parent.parent.parent / entry.group(1)).is_file()


@pytest.mark.parametrize(("name", "runner"), [("dataflow", "DataflowRunner"), ("flink", "FlinkRunner"),
                                              ("spark", "SparkRunner")])
def test_cluster_runner_options_parse(name: str, runner: str) -> None:
    args = options_from_file(str(DEPLOY / "options" / f"{name}.txt"), ENV)
    assert PipelineOptions(args).view_as(StandardOptions).runner == runner
    assert not any("${" in a for a in args)


def test_entry_point_builds_the_graph(served: tuple[fake.Endpoints, fake.Control], world: generator.World,
                                      tmp_path: Path) -> None:
    endpoints, _ = served
    table = generator.write_identities(world.identities, tmp_path / "identities.csv")
    pipeline = main.build([f"--github_url={endpoints.github}", f"--jira_url={endpoints.jira}",
                           f"--slack_url={endpoints.slack}", f"--identities={table}",
                           f"--output={tmp_path / 'out'}", "--runner=FnApiRunner"])
    labels = {t.unique_name.split("/")[0] for t in pipeline.to_runner_api().components.transforms.values()}
    expected = {"ListRepos", "JiraPages", "History", "Attribute", "LeadTime", "Writedeveloper_metricsCsv"}
    assert expected <= labels
    assert "Writedeveloper_metricsDb" not in labels, "no SQLite sink unless --db names a file"


class _SecretManager:
    """Answers access_secret_version as the real client does (response.payload.data: bytes)."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def access_secret_version(self, request: dict[str, Any]) -> Any:
        self.names.append(request["name"])
        return SimpleNamespace(payload=SimpleNamespace(data=b"ghp_from_secret_manager"))


def test_tokens_come_from_secret_manager_unless_set_in_the_environment() -> None:
    client = _SecretManager()
    assert secrets.token("github", {"EX14_SECRET_PROJECT": "my-project"}, client) == "ghp_from_secret_manager"
    assert client.names == ["projects/my-project/secrets/ex14-github-token/versions/latest"]
    env = {"EX14_GITHUB_TOKEN": "local", "EX14_SECRET_PROJECT": "p"}
    assert secrets.token("github", env, client) == "local"
    assert secrets.token("slack", {}, client) == "", "no token and no project: the fake needs none"
