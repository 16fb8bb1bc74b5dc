"""The schemas of Exercise 14 and the parsers from each API's JSON into them. Provided.

Each NamedTuple with type hints is a Beam schema, registered with `RowCoder` (as in Exercise 13): the
PCollections between the readers, the identity join and the metrics carry typed rows, not pickled
dicts. Times are **epoch seconds in UTC** (`int`) from the moment they are parsed: GitHub writes
`...Z`, Jira `...+0100` (the user's offset), Slack epoch strings; one representation, no naive
datetime anywhere.

A record that does not parse becomes a `DeadLetter` with the source, where it came from (URL or
key), the reason and the original JSON; nothing is dropped silently.
"""

# No `from __future__ import annotations`: Beam infers schemas from real annotations (see ex13).
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

import apache_beam as beam

from exercises.ex14_developer_productivity.names import METRICS, UNMAPPED_TEAM


class Identity(NamedTuple):
    person_id: str
    name: str
    team: str
    github_login: str  # "" when unknown: a gap in the table
    jira_account_id: str
    slack_user_id: str


class Person(NamedTuple):
    person_id: str
    name: str
    team: str


class Repo(NamedTuple):
    name: str
    team: str  # from the `team-<name>` topic; "" when the repository has none


class Commit(NamedTuple):
    repo: str
    sha: str
    login: str  # the GitHub login, or "email:<address>" when no account is linked
    is_bot: bool
    authored_at: int


class PullRequest(NamedTuple):
    repo: str
    number: int
    author: str
    is_bot: bool
    created_at: int
    closed_at: int | None
    merged_at: int | None
    first_commit_at: int | None  # the earliest authored time of the PR's commits


class Review(NamedTuple):
    """A reviewer's first review of a pull request, with when it was asked of them."""

    repo: str
    number: int
    reviewer: str
    is_bot: bool
    pr_created_at: int
    requested_at: int | None  # None: reviewed without being asked
    submitted_at: int


class JiraIssue(NamedTuple):
    key: str
    assignee: str  # the account id; "" when unassigned
    status: str
    created_at: int
    to_done_at: Sequence[int]  # every changelog transition into Done, oldest first
    from_done_at: Sequence[int]  # every transition out of Done (a reopen)


class SlackMessage(NamedTuple):
    channel: str  # the channel's name
    user: str
    is_bot: bool
    subtype: str  # "" for a person's message; channel_join, bot_message...
    ts: int
    reactions: int  # reactions received, all emoji


class Deployment(NamedTuple):
    repo: str
    environment: str
    created_at: int


class Activity(NamedTuple):
    """One measured fact, before it is attributed to a person: `value` is 1 for a count, or seconds."""

    tool: str  # github | jira | slack
    identity: str  # the tool's own id for the actor
    metric: str
    at: int  # when it happened (epoch seconds, UTC): decides its period
    value: int


class Attributed(NamedTuple):
    person_id: str  # "unmapped:<tool>:<identity>" when the table has no row for it
    name: str
    team: str  # UNMAPPED_TEAM when unknown
    metric: str
    at: int
    value: int


class Unmapped(NamedTuple):
    tool: str
    identity: str
    metric: str


class DeadLetter(NamedTuple):
    source: str  # github | jira | slack | identities
    where: str  # the URL, page or record key
    reason: str
    payload: str  # the original text (truncated at 2,000 characters)


# The metric names and the unmapped team live in `names.py` (no Beam import), shared with DuckDB's
# baseline, and are re-exported here with the schemas.
__all__ = ["METRICS", "UNMAPPED_TEAM"]
for _schema in (
    Identity,
    Person,
    Repo,
    Commit,
    PullRequest,
    Review,
    JiraIssue,
    SlackMessage,
    Deployment,
    Activity,
    Attributed,
    Unmapped,
    DeadLetter,
):
    beam.coders.registry.register_coder(_schema, beam.coders.RowCoder)


# -- times ----------------------------------------------------------------------------------------------
def epoch(text: str) -> int:
    """An ISO 8601 time with its offset (GitHub's `Z`, Jira's `+0100`) as epoch seconds; a time with no
    offset is an error, not "local time"."""
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError(f"time without a UTC offset: {text!r}")
    return int(parsed.timestamp())


def optional_epoch(text: str | None) -> int | None:
    return None if text is None else epoch(text)


# -- parsers: API JSON -> schema rows, or a dead letter -------------------------------------------------
def dead(source: str, where: str, reason: str, payload: Any) -> DeadLetter:
    text = payload if isinstance(payload, str) else json.dumps(payload, sort_keys=True, default=str)
    return DeadLetter(source, where, reason, text[:2000])


def _login(user: Any) -> tuple[str, bool]:
    return str(user["login"]), user.get("type") == "Bot"


def parse_repo(item: Any) -> Repo | DeadLetter:
    try:
        topics = [t for t in item.get("topics", []) if t.startswith("team-")]
        return Repo(str(item["name"]), topics[0].removeprefix("team-") if topics else "")
    except (KeyError, TypeError, AttributeError) as exc:
        return dead("github", "repos", f"bad repository: {exc!r}", item)


def parse_commit(repo: str, item: Any) -> Commit | DeadLetter:
    try:
        author = item["commit"]["author"]
        if item.get("author"):
            login, bot = _login(item["author"])
        else:  # the e-mail is linked to no GitHub account: keep it, the identity join reports it
            login, bot = f"email:{author['email']}", False
        return Commit(repo, str(item["sha"]), login, bot, epoch(author["date"]))
    except (KeyError, TypeError, ValueError) as exc:
        return dead("github", f"{repo}/commits", f"bad commit: {exc!r}", item)


def parse_pull(repo: str, item: Any, commits: Sequence[Any]) -> PullRequest | DeadLetter:
    try:
        login, bot = _login(item["user"])
        firsts = [epoch(c["commit"]["author"]["date"]) for c in commits]
        return PullRequest(
            repo,
            int(item["number"]),
            login,
            bot,
            epoch(item["created_at"]),
            optional_epoch(item["closed_at"]),
            optional_epoch(item["merged_at"]),
            min(firsts) if firsts else None,
        )
    except (KeyError, TypeError, ValueError) as exc:
        return dead("github", f"{repo}/pulls", f"bad pull request: {exc!r}", item)


def parse_reviews(
    repo: str, pull: PullRequest, reviews: Sequence[Any], events: Sequence[Any]
) -> list[Review | DeadLetter]:
    """Each reviewer's first submitted review (a PENDING one has no `submitted_at` yet), with the time
    of the first `review_requested` event naming that reviewer."""
    requested: dict[str, int] = {}
    out: list[Review | DeadLetter] = []
    for event in events:
        try:
            if event.get("event") == "review_requested" and event.get("requested_reviewer"):
                who = str(event["requested_reviewer"]["login"])
                requested[who] = min(requested.get(who, 2**62), epoch(event["created_at"]))
        except (KeyError, TypeError, ValueError) as exc:
            out.append(dead("github", f"{repo}/issues/{pull.number}/events", f"bad event: {exc!r}", event))
    first: dict[str, tuple[int, bool]] = {}
    for review in reviews:
        try:
            if review.get("submitted_at") is None:
                continue
            who, bot = _login(review["user"])
            at = epoch(review["submitted_at"])
            if who not in first or at < first[who][0]:
                first[who] = (at, bot)
        except (KeyError, TypeError, ValueError) as exc:
            out.append(dead("github", f"{repo}/pulls/{pull.number}/reviews", f"bad review: {exc!r}", review))
    out += [
        Review(repo, pull.number, who, bot, pull.created_at, requested.get(who), at)
        for who, (at, bot) in sorted(first.items())
    ]
    return out


def parse_deployment(repo: str, item: Any) -> Deployment | DeadLetter:
    try:
        return Deployment(repo, str(item["environment"]), epoch(item["created_at"]))
    except (KeyError, TypeError, ValueError) as exc:
        return dead("github", f"{repo}/deployments", f"bad deployment: {exc!r}", item)


def parse_jira_issue(item: Any) -> JiraIssue | DeadLetter:
    try:
        fields = item["fields"]
        to_done, from_done = [], []
        for history in item.get("changelog", {}).get("histories", []):
            for change in history["items"]:
                if change.get("field") != "status":
                    continue
                if change.get("toString") == "Done":
                    to_done.append(epoch(history["created"]))
                if change.get("fromString") == "Done":
                    from_done.append(epoch(history["created"]))
        assignee = (fields.get("assignee") or {}).get("accountId") or ""
        return JiraIssue(
            str(item["key"]),
            str(assignee),
            str(fields["status"]["name"]),
            epoch(fields["created"]),
            sorted(to_done),
            sorted(from_done),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return dead(
            "jira", str(item.get("key", "?")) if isinstance(item, dict) else "?", f"bad issue: {exc!r}", item
        )


def parse_message(channel: str, item: Any, bots: frozenset[str] | set[str]) -> SlackMessage | DeadLetter:
    try:
        user = str(item.get("user") or item.get("bot_id") or "")
        if not user:
            raise KeyError("user")
        reactions = sum(int(r["count"]) for r in item.get("reactions", []))
        bot = bool(item.get("bot_id")) or user in bots
        return SlackMessage(
            channel, user, bot, str(item.get("subtype", "")), int(float(item["ts"])), reactions
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return dead("slack", channel, f"bad message: {exc!r}", item)


def parse_identity(row: dict[str, str]) -> Identity | DeadLetter:
    try:
        identity = Identity(*(row[c].strip() for c in Identity._fields))
    except (KeyError, AttributeError) as exc:
        return dead("identities", str(row.get("person_id", "?")), f"bad identity row: {exc!r}", row)
    if not identity.person_id or not identity.team:
        return dead("identities", identity.person_id or "?", "identity row without person_id or team", row)
    return identity
