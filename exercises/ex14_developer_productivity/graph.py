"""The pipeline's graph: read the three APIs in parallel, attribute, measure, aggregate, write. Provided.

It wires the learner's parts (`readers`, `identity`, `metrics` of the chosen implementation) into one
Beam graph:

    repos (GitHub, Link pages) --Reshuffle--> per repository: commits | pulls | deployments (Link pages)
        pulls --Reshuffle--> per pull request: its commits, reviews, review-request events
    Jira search: page offsets (startAt) --Reshuffle--> one page each, expand=changelog
    Slack: engineering channels --Reshuffle--> conversations.history by cursor, one channel each
    records -> activities (metrics.*) -> Attribute (identity table as a side input; unmapped reported)
        -> sums per (period, person, metric) -> developer rows, team rows
    merged PRs + production deployments (side input) -> DORA lead time for changes per team and period
    every dead letter (bad page, bad record) -> dead.jsonl, counted

The Reshuffles are the units of work: a repository, a pull request, a Jira page, a channel can each go
to a different worker (a runner fuses the rest).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any, ClassVar

import apache_beam as beam
import httpx

from exercises.ex14_developer_productivity import records as rec
from exercises.ex14_developer_productivity import tables
from exercises.ex14_developer_productivity.fake import Endpoints
from exercises.ex14_developer_productivity.generator import ENGINEERING_PREFIX, JIRA_PROJECT, ORG

DEAD = "dead"
PACKAGE = "exercises.ex14_developer_productivity"


@dataclass(frozen=True)
class Impl:
    """The learner's modules of one implementation (solution or starter)."""

    readers: ModuleType
    identity: ModuleType
    metrics: ModuleType

    @classmethod
    def load(cls, name: str) -> Impl:
        def part(module: str) -> ModuleType:
            return importlib.import_module(f"{PACKAGE}.{name}.{module}")

        return cls(part("readers"), part("identity"), part("metrics"))


@dataclass(frozen=True)
class Sources:
    """Where to read, with what credentials, and what the driver already listed from Slack."""

    endpoints: Endpoints
    github_token: str
    jira_token: str
    slack_token: str
    channels: tuple[tuple[str, str], ...]  # (id, name) of the engineering channels
    slack_bots: frozenset[str]
    jql: str = f"project = {JIRA_PROJECT}"


def _client(token: str) -> httpx.Client:
    headers = {
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
        "User-Agent": "bootcamp-ex14",
    }
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.Client(headers=headers, timeout=30)


def _split(item: Any, _: Any = None) -> Iterator[Any]:
    yield beam.pvalue.TaggedOutput(DEAD, item) if isinstance(item, rec.DeadLetter) else item


class _Reader(beam.DoFn):  # type: ignore[misc]
    """A DoFn with one HTTP client per worker (made in `setup`, closed in `teardown`)."""

    def __init__(self, impl: str, token: str) -> None:
        self.impl_name, self.token = impl, token
        self.client: httpx.Client | None = None
        self.readers: Any = None

    def setup(self) -> None:
        self.client = _client(self.token)
        self.readers = Impl.load(self.impl_name).readers

    def teardown(self) -> None:
        if self.client is not None:
            self.client.close()


class ListRepos(_Reader):
    def process(self, github: str) -> Iterator[Any]:
        for item in self.readers.github_items(self.client, f"{github}/orgs/{ORG}/repos", {"type": "all"}):
            yield from _split(item if isinstance(item, rec.DeadLetter) else rec.parse_repo(item))


class ReadRepo(_Reader):
    """One repository's list (`commits`, `pulls` or `deployments`): (kind, repo, item) per item."""

    PARAMS: ClassVar[dict[str, dict[str, str]]] = {"pulls": {"state": "all"}, "commits": {},
                                                   "deployments": {}}

    def __init__(self, impl: str, token: str, github: str) -> None:
        super().__init__(impl, token)
        self.github = github

    def process(self, unit: tuple[str, str]) -> Iterator[Any]:
        kind, repo = unit
        url = f"{self.github}/repos/{ORG}/{repo}/{kind}"
        for item in self.readers.github_items(self.client, url, self.PARAMS[kind]):
            yield from _split(item if isinstance(item, rec.DeadLetter) else (kind, repo, item))


class PullDetails(_Reader):
    """One pull request: its commits (for the lead time), reviews and review requests."""

    def __init__(self, impl: str, token: str, github: str) -> None:
        super().__init__(impl, token)
        self.github = github

    def process(self, unit: tuple[str, Any]) -> Iterator[Any]:
        repo, item = unit
        base = f"{self.github}/repos/{ORG}/{repo}"
        number = item.get("number")
        lists: dict[str, list[Any]] = {}
        for name, url in (
            ("commits", f"{base}/pulls/{number}/commits"),
            ("reviews", f"{base}/pulls/{number}/reviews"),
            ("events", f"{base}/issues/{number}/events"),
        ):
            lists[name] = []
            for got in self.readers.github_items(self.client, url):
                if isinstance(got, rec.DeadLetter):
                    yield beam.pvalue.TaggedOutput(DEAD, got)
                else:
                    lists[name].append(got)
        pull = rec.parse_pull(repo, item, lists["commits"])
        yield from _split(pull)
        if isinstance(pull, rec.PullRequest):
            for review in rec.parse_reviews(repo, pull, lists["reviews"], lists["events"]):
                yield (
                    beam.pvalue.TaggedOutput(DEAD, review)
                    if isinstance(review, rec.DeadLetter)
                    else beam.pvalue.TaggedOutput("reviews", review)
                )


class JiraStarts(_Reader):
    def __init__(self, impl: str, token: str, base: str) -> None:
        super().__init__(impl, token)
        self.base = base

    def process(self, jql: str) -> Iterator[int]:
        yield from self.readers.jira_starts(self.client, self.base, jql)


class JiraPage(_Reader):
    def __init__(self, impl: str, token: str, base: str, jql: str) -> None:
        super().__init__(impl, token)
        self.base, self.jql = base, jql

    def process(self, start_at: int) -> Iterator[Any]:
        for item in self.readers.jira_page(self.client, self.base, self.jql, start_at):
            yield from _split(item if isinstance(item, rec.DeadLetter) else rec.parse_jira_issue(item))


class SlackHistory(beam.DoFn):  # type: ignore[misc]
    def __init__(self, impl: str, token: str, base_url: str, bots: frozenset[str]) -> None:
        self.impl_name, self.token, self.base_url, self.bots = impl, token, base_url, bots
        self.client: Any = None
        self.readers: Any = None

    def setup(self) -> None:
        self.readers = Impl.load(self.impl_name).readers
        self.client = self.readers.slack_client(self.base_url, self.token)

    def process(self, channel: tuple[str, str]) -> Iterator[Any]:
        channel_id, name = channel
        for item in self.readers.slack_messages(self.client, channel_id):
            yield from _split(
                item if isinstance(item, rec.DeadLetter) else rec.parse_message(name, item, self.bots)
            )


def list_slack(
    impl: str, endpoints: Endpoints, token: str
) -> tuple[tuple[tuple[str, str], ...], frozenset[str]]:
    """The engineering channels and the bot users, listed once by the driver (two small lists)."""
    readers = Impl.load(impl).readers
    client = readers.slack_client(endpoints.slack, token)
    channels = readers.slack_list(client, "conversations.list", "channels")
    users = readers.slack_list(client, "users.list", "members")
    engineering = tuple(
        sorted((c["id"], c["name"]) for c in channels if c["name"].startswith(ENGINEERING_PREFIX))
    )
    return engineering, frozenset(u["id"] for u in users if u.get("is_bot"))


def _sum_pairs(pairs: Iterable[tuple[int, int]]) -> tuple[int, int]:
    """(total, count) pairs added up: integers, so any order of merging gives the same sums."""
    total = count = 0
    for value, n in pairs:
        total, count = total + value, count + n
    return total, count


def _parsed(pcoll: Any, label: str, parse: Callable[..., Any]) -> Any:
    return pcoll | label >> beam.FlatMap(lambda item: _split(parse(item))).with_outputs(DEAD, main="ok")


def build(
    pipeline: beam.Pipeline,
    sources: Sources,
    identities: list[dict[str, str]],
    output_dir: str,
    db_path: str | None,
    impl: str,
    grain: str = "week",
) -> None:
    """Add the whole graph (module doc) to `pipeline`; `identities` are the mapping table's rows; no
    database sink when `db_path` is None (on Dataflow, where a worker's local SQLite file is lost)."""
    parts = Impl.load(impl)
    m, ident = parts.metrics, parts.identity
    ep, dead = sources.endpoints, []
    output_dir = output_dir.rstrip("/")

    # -- GitHub ------------------------------------------------------------------------------------------
    repos = (
        pipeline
        | "GitHub" >> beam.Create([ep.github])
        | "ListRepos" >> beam.ParDo(ListRepos(impl, sources.github_token)).with_outputs(DEAD, main="ok")
    )
    dead.append(repos[DEAD])
    lists = (
        repos.ok
        | "RepoUnits" >> beam.FlatMap(lambda r: [(k, r.name) for k in ("commits", "pulls", "deployments")])
        | "SpreadRepos" >> beam.Reshuffle()
        | "ReadRepos"
        >> beam.ParDo(ReadRepo(impl, sources.github_token, ep.github)).with_outputs(DEAD, main="ok")
    )
    dead.append(lists[DEAD])
    commits = _parsed(
        lists.ok | "Commits" >> beam.Filter(lambda t: t[0] == "commits"),
        "ParseCommits",
        lambda t: rec.parse_commit(t[1], t[2]),
    )
    deployments = _parsed(
        lists.ok | "Deploys" >> beam.Filter(lambda t: t[0] == "deployments"),
        "ParseDeploys",
        lambda t: rec.parse_deployment(t[1], t[2]),
    )
    details = (
        lists.ok
        | "Pulls" >> beam.Filter(lambda t: t[0] == "pulls")
        | "PullUnits" >> beam.Map(lambda t: (t[1], t[2]))
        | "SpreadPulls" >> beam.Reshuffle()
        | "PullDetails"
        >> beam.ParDo(PullDetails(impl, sources.github_token, ep.github)).with_outputs(
            DEAD, "reviews", main="ok"
        )
    )
    dead += [commits[DEAD], deployments[DEAD], details[DEAD]]
    pulls, reviews = details.ok, details.reviews

    # -- Jira ----------------------------------------------------------------------------------------------
    issues = (
        pipeline
        | "Jql" >> beam.Create([sources.jql])
        | "JiraStarts" >> beam.ParDo(JiraStarts(impl, sources.jira_token, ep.jira))
        | "SpreadPages" >> beam.Reshuffle()
        | "JiraPages"
        >> beam.ParDo(JiraPage(impl, sources.jira_token, ep.jira, sources.jql)).with_outputs(DEAD, main="ok")
    )
    dead.append(issues[DEAD])

    # -- Slack ---------------------------------------------------------------------------------------------
    messages = (
        pipeline
        | "Channels" >> beam.Create(list(sources.channels))
        | "SpreadChannels" >> beam.Reshuffle()
        | "History"
        >> beam.ParDo(SlackHistory(impl, sources.slack_token, ep.slack, sources.slack_bots)).with_outputs(
            DEAD, main="ok"
        )
    )
    dead.append(messages[DEAD])

    # -- identities, as a side input -----------------------------------------------------------------------
    table = _parsed(pipeline | "Identities" >> beam.Create(identities), "ParseIdentities", rec.parse_identity)
    dead.append(table[DEAD])
    people = beam.pvalue.AsDict(table.ok | "IdentityKeys" >> beam.FlatMap(ident.identity_keys))

    # -- activities, attributed -------------------------------------------------------------------------
    activities = (
        commits.ok | "CommitActs" >> beam.FlatMap(m.commit_activities),
        pulls | "PullActs" >> beam.FlatMap(m.pull_activities),
        reviews | "ReviewActs" >> beam.FlatMap(m.review_activities),
        issues.ok | "IssueActs" >> beam.FlatMap(m.issue_activities),
        messages.ok | "MessageActs" >> beam.FlatMap(m.message_activities),
    ) | "AllActivities" >> beam.Flatten()
    attributed = activities | "Attribute" >> beam.ParDo(ident.Attribute(), people=people).with_outputs(
        ident.UNMAPPED, main="ok"
    )
    period = m.period_of
    sums = (
        attributed.ok
        | "KeyByPersonMetric"
        >> beam.Map(lambda a: ((period(a.at, grain), a.person_id, a.name, a.team, a.metric), (a.value, 1)))
        | "Sum" >> beam.CombinePerKey(_sum_pairs)
    )
    developer = (
        sums
        | "ByDeveloper" >> beam.MapTuple(lambda k, v: (k[:4], (k[4], v[0], v[1]))).with_output_types(Any)
        | "GroupDeveloper" >> beam.GroupByKey()
        | "DeveloperRow" >> beam.MapTuple(tables.developer_row)
    )
    team = (
        sums
        | "ByTeam"
        >> beam.MapTuple(lambda k, v: ((k[0], k[3]), (k[1], k[4], v[0], v[1]))).with_output_types(Any)
        | "GroupTeam" >> beam.GroupByKey()
        | "TeamRow" >> beam.MapTuple(tables.team_row)
    )
    unmapped = (
        attributed[ident.UNMAPPED]
        | "UnmappedKey" >> beam.Map(lambda u: ((u.tool, u.identity), 1))
        | "CountUnmapped" >> beam.CombinePerKey(sum)
        | "UnmappedRow" >> beam.MapTuple(lambda k, n: (*k, n))
    )

    # -- DORA: lead time for changes and deployment frequency, per owning team ------------------------------
    production = deployments.ok | "Production" >> beam.Filter(lambda d: d.environment == "production")
    deploy_times = beam.pvalue.AsMultiMap(
        production | "DeployKV" >> beam.Map(lambda d: (d.repo, d.created_at))
    )
    repo_team = beam.pvalue.AsDict(repos.ok | "RepoTeam" >> beam.Map(lambda r: (r.name, r.team or "(none)")))

    def lead(pull: rec.PullRequest, times: Any, teams: dict[str, str]) -> list[Any]:
        if pull.is_bot:
            return []
        found = m.lead_time(pull, sorted(times[pull.repo]))
        if found is None:
            return []
        return [((period(found[0], grain), teams.get(pull.repo, "(none)")), found[1])]

    leads = pulls | "LeadTime" >> beam.FlatMap(lead, deploy_times, repo_team)
    frequency = (
        production
        | "DeployTeam"
        >> beam.Map(
            lambda d, teams: ((period(d.created_at, grain), teams.get(d.repo, "(none)")), 1), repo_team
        )
        | "CountDeploys" >> beam.CombinePerKey(sum)
    )
    dora = (
        {"leads": leads, "deploys": frequency}
        | "JoinDora" >> beam.CoGroupByKey()
        | "DoraRow"
        >> beam.MapTuple(
            lambda k, v: (*k, sum(v["deploys"]), len(v["leads"]), tables.median_hours(list(v["leads"])))
        )
    )

    for name, rows in (
        ("developer_metrics", developer),
        ("team_metrics", team),
        ("dora", dora),
        ("unmapped", unmapped),
    ):
        tables.write_table(rows, name, output_dir, db_path)
    _ = (
        dead
        | "AllDead" >> beam.Flatten()
        | "DeadJson" >> beam.Map(tables.dead_to_json)
        | "WriteDead"
        >> beam.io.WriteToText(
            f"{output_dir}/dead", file_name_suffix=".jsonl", num_shards=1, shard_name_template=""
        )
    )
