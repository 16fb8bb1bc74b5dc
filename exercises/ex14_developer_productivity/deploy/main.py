"""Flex Template entry point (and the Flink/Spark cluster launcher): the same graph, on real APIs.

    python -m exercises.ex14_developer_productivity.deploy.main \
        --github_url=https://api.github.com --jira_url=https://SITE.atlassian.net \
        --slack_url=https://slack.com/api/ --identities=gs://BUCKET/identities.csv \
        --output=gs://BUCKET/ex14/out --secret_project=PROJECT [--grain=week] [Beam options...]

Tokens come from Secret Manager (`secrets.token`: secrets ex14-github-token, ex14-jira-token,
ex14-slack-token in --secret_project), or from EX14_*_TOKEN in the environment. Every option this
parser does not know is a Beam pipeline option (`--runner=DataflowRunner --region=...`, or the lines
of deploy/options/<runner>.txt).
"""

from __future__ import annotations

import argparse
import csv
import io
import os

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions

from exercises.ex14_developer_productivity import graph
from exercises.ex14_developer_productivity.fake import Endpoints
from exercises.ex14_developer_productivity.run import sources_for


def parse_args(argv: list[str] | None = None) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(description="ex14 on real GitHub, Jira and Slack")
    parser.add_argument("--github_url", required=True)
    parser.add_argument("--jira_url", required=True)
    parser.add_argument("--slack_url", required=True)
    parser.add_argument("--identities", required=True, help="the mapping table, CSV (local or gs://)")
    parser.add_argument("--output", required=True, help="output folder (local or gs://)")
    parser.add_argument("--secret_project", default="", help="Google Cloud project holding the tokens")
    parser.add_argument("--grain", choices=["week", "day"], default="week")
    parser.add_argument("--db", default=None, help="a SQLite file (local runs only)")
    return parser.parse_known_args(argv)


def read_identities(path: str) -> list[dict[str, str]]:
    with FileSystems.open(path) as raw:
        return list(csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8")))


def build(argv: list[str] | None = None) -> beam.Pipeline:
    args, beam_args = parse_args(argv)
    env = dict(os.environ)
    if args.secret_project:
        env["EX14_SECRET_PROJECT"] = args.secret_project
    endpoints = Endpoints(args.github_url.rstrip("/"), args.jira_url.rstrip("/"), args.slack_url)
    pipeline = beam.Pipeline(options=PipelineOptions(beam_args))
    graph.build(pipeline, sources_for(endpoints, "solution", env), read_identities(args.identities),
                args.output, args.db, "solution", args.grain)
    return pipeline


def main(argv: list[str] | None = None) -> None:
    build(argv).run().wait_until_finish()


if __name__ == "__main__":
    main()
