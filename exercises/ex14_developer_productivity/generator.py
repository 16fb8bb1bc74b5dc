"""One seeded generator for all three tools: the same people, three identities each. Provided.

`generate(seed, size)` makes a `World`: a GitHub organisation (repositories, commits, pull requests
with review requests, reviews and their commits, issues, deployments), a Jira project (issues with
their status changelog) and a Slack workspace (users, channels, messages with reactions), all in the
JSON shapes the real APIs return, plus the identity table that maps each person's GitHub login, Jira
account id and Slack user id to one person and team.

The table has deliberate gaps, as real ones do: people with no Slack id recorded, a contractor
missing from it altogether, commits whose e-mail is linked to no GitHub account (`author: null`), and
bots (`dependabot[bot]`, a Slack deploy bot) whose activity is nobody's. Jira timestamps carry each
person's local UTC offset (`+0100`, `-0500`), GitHub's are UTC (`Z`), Slack's are epoch seconds: a
pipeline that mixes naive datetimes gets hours and weeks wrong.

`write_offline(world, folder)` writes the same data as files: the Slack workspace export in Slack's
documented layout (`users.json`, `channels.json`, `<channel>/<YYYY-MM-DD>.json`), GitHub's and Jira's
responses as JSON documents, and `identities.csv`; DuckDB's baseline reads those.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ORG = "acme"
JIRA_PROJECT = "ENG"
START = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday: week 2026-W10
ENGINEERING_PREFIX = "eng-"
"""Slack channels whose name starts with this are engineering channels (the others are not counted)."""
IDENTITY_COLUMNS = ("person_id", "name", "team", "github_login", "jira_account_id", "slack_user_id")

Json = dict[str, Any]


@dataclass(frozen=True)
class Size:
    teams: int
    people_per_team: int
    repos_per_team: int
    weeks: int
    prs_per_person_week: float


SIZES = {
    "tiny": Size(teams=2, people_per_team=3, repos_per_team=1, weeks=1, prs_per_person_week=1.0),
    "small": Size(teams=2, people_per_team=4, repos_per_team=2, weeks=2, prs_per_person_week=1.5),
    "large": Size(teams=5, people_per_team=8, repos_per_team=3, weeks=6, prs_per_person_week=2.0),
}


@dataclass
class World:
    """Everything the fake serves, in the APIs' own shapes (lists newest last unless the API says)."""

    repos: list[Json] = field(default_factory=list)
    commits: dict[str, list[Json]] = field(default_factory=dict)  # repo -> commits
    pulls: dict[str, list[Json]] = field(default_factory=dict)  # repo -> pulls
    reviews: dict[tuple[str, int], list[Json]] = field(default_factory=dict)
    pull_commits: dict[tuple[str, int], list[Json]] = field(default_factory=dict)
    events: dict[tuple[str, int], list[Json]] = field(default_factory=dict)  # issue events of a PR
    issues: dict[str, list[Json]] = field(default_factory=dict)  # GitHub issues (PRs too)
    deployments: dict[str, list[Json]] = field(default_factory=dict)
    jira_issues: list[Json] = field(default_factory=list)
    slack_users: list[Json] = field(default_factory=list)
    slack_channels: list[Json] = field(default_factory=list)
    slack_messages: dict[str, list[Json]] = field(default_factory=dict)  # channel id -> messages
    identities: list[dict[str, str]] = field(default_factory=list)


# -- timestamps as each API writes them ---------------------------------------------------------------
def gh_time(t: datetime) -> str:
    """GitHub: ISO 8601 in UTC with a Z."""
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def jira_time(t: datetime, offset_hours: int) -> str:
    """Jira: milliseconds and the user's numeric UTC offset, `2026-03-02T10:15:00.000+0100`."""
    local = t.astimezone(timezone(timedelta(hours=offset_hours)))
    return local.strftime("%Y-%m-%dT%H:%M:%S.000%z")


def slack_ts(t: datetime, seq: int = 0) -> str:
    """Slack: epoch seconds with a 6-digit suffix that makes the ts unique in its channel."""
    return f"{int(t.timestamp())}.{seq:06d}"


# -- builders, also used to write hand-made datasets -------------------------------------------------
def gh_user(login: str) -> Json:
    kind = "Bot" if login.endswith("[bot]") else "User"
    return {
        "login": login,
        "id": int(hashlib.sha1(login.encode(), usedforsecurity=False).hexdigest()[:7], 16),
        "type": kind,
        "site_admin": False,
    }


def sha_of(*parts: object) -> str:
    return hashlib.sha1("/".join(map(str, parts)).encode(), usedforsecurity=False).hexdigest()


def gh_commit(repo: str, login: str | None, email: str, at: datetime, message: str) -> Json:
    sha = sha_of(repo, email, at.isoformat(), message)
    person = {"name": email.split("@", maxsplit=1)[0], "email": email, "date": gh_time(at)}
    return {
        "sha": sha,
        "node_id": f"C_{sha[:12]}",
        "url": f"/repos/{ORG}/{repo}/commits/{sha}",
        "commit": {"author": person, "committer": person, "message": message},
        "author": gh_user(login) if login else None,
        "committer": gh_user(login) if login else None,
        "parents": [],
    }


def gh_pull(
    repo: str, number: int, login: str, created: datetime, closed: datetime | None, merged: bool
) -> Json:
    state = "closed" if closed else "open"
    return {
        "number": number,
        "state": state,
        "title": f"Change {number}",
        "user": gh_user(login),
        "draft": False,
        "created_at": gh_time(created),
        "updated_at": gh_time(closed or created),
        "closed_at": gh_time(closed) if closed else None,
        "merged_at": gh_time(closed) if closed and merged else None,
        "merge_commit_sha": sha_of(repo, number, "merge") if closed and merged else None,
        "base": {"ref": "main"},
        "head": {"ref": f"change-{number}"},
        "url": f"/repos/{ORG}/{repo}/pulls/{number}",
    }


def gh_review(number: int, reviewer: str, at: datetime, state: str = "APPROVED") -> Json:
    return {
        "id": int(sha_of(number, reviewer, at.isoformat())[:8], 16),
        "user": gh_user(reviewer),
        "state": state,
        "submitted_at": gh_time(at),
        "body": "",
    }


def gh_review_requested(number: int, author: str, reviewer: str, at: datetime) -> Json:
    return {
        "id": int(sha_of("rr", number, reviewer)[:8], 16),
        "event": "review_requested",
        "actor": gh_user(author),
        "requested_reviewer": gh_user(reviewer),
        "created_at": gh_time(at),
    }


def gh_deployment(repo: str, sha: str, at: datetime) -> Json:
    return {
        "id": int(sha_of(repo, sha)[:8], 16),
        "sha": sha,
        "ref": "main",
        "environment": "production",
        "created_at": gh_time(at),
        "updated_at": gh_time(at),
        "creator": gh_user("deploy-bot[bot]"),
    }


def jira_issue(
    number: int,
    assignee: str | None,
    created: datetime,
    offset: int,
    transitions: list[tuple[datetime, str, str]],
) -> Json:
    """An issue with `expand=changelog`: each transition is (when, from status, to status)."""
    status = transitions[-1][2] if transitions else "To Do"
    done = status == "Done"
    category = {"Done": "done", "In Progress": "indeterminate"}.get(status, "new")
    histories = [
        {
            "id": str(number * 100 + i),
            "author": {"accountId": assignee} if assignee else None,
            "created": jira_time(at, offset),
            "items": [{"field": "status", "fieldtype": "jira", "fromString": old, "toString": new}],
        }
        for i, (at, old, new) in enumerate(transitions)
    ]
    return {
        "id": str(10000 + number),
        "key": f"{JIRA_PROJECT}-{number}",
        "fields": {
            "summary": f"Task {number}",
            "issuetype": {"name": "Task"},
            "status": {"name": status, "statusCategory": {"key": category}},
            "assignee": {"accountId": assignee, "displayName": assignee} if assignee else None,
            "created": jira_time(created, offset),
            "resolutiondate": jira_time(transitions[-1][0], offset) if done else None,
        },
        "changelog": {
            "startAt": 0,
            "maxResults": len(histories),
            "total": len(histories),
            "histories": histories,
        },
    }


def slack_message(user: str, at: datetime, seq: int, reactions: int = 0, bot: bool = False) -> Json:
    message: Json = {"type": "message", "user": user, "text": f"message {seq}", "ts": slack_ts(at, seq)}
    if bot:
        message |= {"subtype": "bot_message", "bot_id": "B" + user[1:]}
    if reactions:
        message["reactions"] = [
            {"name": "+1", "users": [f"U{i:08d}" for i in range(reactions)], "count": reactions}
        ]
    return message


def slack_channel(channel_id: str, name: str) -> Json:
    return {
        "id": channel_id,
        "name": name,
        "is_channel": True,
        "is_archived": False,
        "created": int(START.timestamp()) - 86400 * 30,
        "topic": {"value": ""},
        "purpose": {"value": ""},
    }


def slack_user(user_id: str, name: str, bot: bool = False) -> Json:
    return {
        "id": user_id,
        "name": name,
        "real_name": name,
        "deleted": False,
        "is_bot": bot,
        "profile": {"display_name": name, "real_name": name},
        "tz": "Europe/Amsterdam",
    }


# -- the seeded organisation ------------------------------------------------------------------------
def generate(seed: int = 14, size: str | Size = "small") -> World:  # noqa: PLR0912, PLR0915 - one story
    """A consistent organisation for `size` (a name in `SIZES` or a `Size`), the same for the same seed."""
    dims = SIZES[size] if isinstance(size, str) else size
    rng = random.Random(seed)
    world = World()
    teams = ["payments", "platform", "search", "mobile", "data", "infra"][: dims.teams]
    people: list[dict[str, Any]] = []
    for t, team in enumerate(teams):
        for i in range(dims.people_per_team):
            n = t * dims.people_per_team + i
            people.append(
                {
                    "person_id": f"p{n:03d}",
                    "name": f"Dev {n}",
                    "team": team,
                    "github_login": f"dev{n}-gh",
                    "jira_account_id": sha_of("jira", n)[:24],
                    "slack_user_id": f"U{n + 1:08X}",
                    "offset": rng.choice([1, 1, 0, -5]),
                    "email": f"dev{n}@acme.example",
                }
            )
    # the contractor: active on GitHub, absent from the identity table
    contractor = {
        "person_id": "",
        "name": "Contractor",
        "team": teams[-1],
        "github_login": "contractor-x",
        "jira_account_id": "",
        "slack_user_id": "",
        "offset": 0,
        "email": "x@contractor.example",
    }
    for p in people:
        row = {c: str(p[c]) for c in IDENTITY_COLUMNS}
        if int(p["person_id"][1:]) % 5 == 4:
            row["slack_user_id"] = ""  # a gap: nobody recorded their Slack id
        world.identities.append(row)
    by_team = {team: [p for p in people if p["team"] == team] for team in teams}
    number = 0
    for team in teams:
        members = by_team[team]
        authors = members + ([contractor] if team == teams[-1] else [])
        for r in range(dims.repos_per_team):
            repo = f"{team}-svc{r}"
            world.repos.append(
                {
                    "id": len(world.repos) + 1,
                    "name": repo,
                    "full_name": f"{ORG}/{repo}",
                    "owner": {"login": ORG, "type": "Organization"},
                    "private": True,
                    "default_branch": "main",
                    "topics": [f"team-{team}"],
                }
            )
            commits, pulls, issues, merged_at = [], [], [], []
            for week in range(dims.weeks):
                for author in authors:
                    count = rng.random() * dims.prs_per_person_week / dims.repos_per_team * 2
                    for _ in range(int(count) + (rng.random() < count % 1)):
                        number += 1
                        created = START + timedelta(
                            days=week * 7 + rng.randint(0, 4),
                            hours=rng.randint(7, 17),
                            minutes=rng.randint(0, 59),
                        )
                        pr_commits = []
                        for c in range(rng.randint(1, 3)):
                            at = created - timedelta(hours=rng.randint(1, 30), minutes=c)
                            linked = rng.random() > 0.08
                            pr_commits.append(
                                gh_commit(
                                    repo,
                                    author["github_login"] if linked else None,
                                    author["email"],
                                    at,
                                    f"work {number}.{c}",
                                )
                            )
                        commits += pr_commits
                        world.pull_commits[(repo, number)] = pr_commits
                        reviewers = rng.sample(
                            [m for m in members if m is not author], k=min(2, len(members) - 1)
                        )
                        requested = created + timedelta(minutes=rng.randint(0, 240))
                        events, reviews = [], []
                        last = requested
                        for rv in reviewers:
                            events.append(
                                gh_review_requested(
                                    number, author["github_login"], rv["github_login"], requested
                                )
                            )
                            if rng.random() < 0.85:
                                at = requested + timedelta(
                                    hours=rng.randint(1, 40), minutes=rng.randint(0, 59)
                                )
                                reviews.append(
                                    gh_review(
                                        number,
                                        rv["github_login"],
                                        at,
                                        rng.choice(["APPROVED", "COMMENTED", "CHANGES_REQUESTED"]),
                                    )
                                )
                                last = max(last, at)
                        outcome = rng.random()
                        closed = last + timedelta(hours=rng.randint(1, 20)) if outcome < 0.85 else None
                        merged = outcome < 0.75
                        pr = gh_pull(repo, number, author["github_login"], created, closed, merged)
                        pulls.append(pr)
                        world.reviews[(repo, number)] = sorted(reviews, key=lambda x: x["submitted_at"])
                        world.events[(repo, number)] = events
                        issues.append(
                            {
                                "number": number,
                                "title": pr["title"],
                                "user": pr["user"],
                                "state": pr["state"],
                                "created_at": pr["created_at"],
                                "closed_at": pr["closed_at"],
                                "pull_request": {"url": pr["url"]},
                            }
                        )
                        if merged and closed:
                            merged_at.append((closed, pr["merge_commit_sha"]))
                # a bot's dependency bumps: commits and PRs that are nobody's work
                bot_at = START + timedelta(days=week * 7 + 1, hours=3)
                commits.append(gh_commit(repo, "dependabot[bot]", "bot@github.example", bot_at, "bump deps"))
                number += 1
                pulls.append(
                    gh_pull(repo, number, "dependabot[bot]", bot_at, bot_at + timedelta(hours=2), True)
                )
                world.reviews[(repo, number)], world.events[(repo, number)] = [], []
                world.pull_commits[(repo, number)] = [commits[-1]]
                merged_at.append((bot_at + timedelta(hours=2), pulls[-1]["merge_commit_sha"]))
            world.commits[repo] = sorted(commits, key=lambda c: c["commit"]["author"]["date"], reverse=True)
            world.pulls[repo] = sorted(pulls, key=lambda p: p["number"], reverse=True)
            bug = {"number": number + 1000, "title": "A bug", "user": gh_user(authors[0]["github_login"]),
                   "state": "open", "created_at": gh_time(START), "closed_at": None}
            world.issues[repo] = [*issues, bug]
            world.deployments[repo] = _deployments(repo, merged_at, dims.weeks)
    world.jira_issues = _jira(rng, people, dims.weeks)
    _slack(rng, world, people, teams, dims.weeks)
    return world


def _deployments(repo: str, merged: list[tuple[datetime, str]], weeks: int) -> list[Json]:
    """A release train: at 17:00 UTC on each weekday when something merged since the last one."""
    out, shipped = [], 0
    ordered = sorted(merged)
    for day in range(weeks * 7 + 7):
        at = START + timedelta(days=day, hours=17)
        if at.weekday() >= 5:
            continue
        pending = [m for m in ordered[shipped:] if m[0] <= at]
        if pending:
            shipped += len(pending)
            out.append(gh_deployment(repo, pending[-1][1], at))
    return sorted(out, key=lambda d: d["created_at"], reverse=True)  # GitHub lists the newest first


def _jira(rng: random.Random, people: list[dict[str, Any]], weeks: int) -> list[Json]:
    issues, n = [], 0
    for week in range(weeks):
        for p in people:
            for _ in range(rng.randint(0, 3)):
                n += 1
                created = START + timedelta(days=week * 7 + rng.randint(0, 4), hours=rng.randint(6, 16))
                start = created + timedelta(hours=rng.randint(1, 24))
                transitions = [(start, "To Do", "In Progress")]
                if rng.random() < 0.75:
                    done = start + timedelta(hours=rng.randint(2, 72))
                    transitions.append((done, "In Progress", "Done"))
                    if rng.random() < 0.15:  # reopened, then done again: resolved at the last Done
                        back = done + timedelta(hours=rng.randint(1, 10))
                        transitions += [
                            (back, "Done", "In Progress"),
                            (back + timedelta(hours=rng.randint(1, 10)), "In Progress", "Done"),
                        ]
                assignee = p["jira_account_id"] if rng.random() > 0.05 else None
                issues.append(jira_issue(n, assignee, created, p["offset"], transitions))
    return issues


def _slack(
    rng: random.Random, world: World, people: list[dict[str, Any]], teams: list[str], weeks: int
) -> None:
    world.slack_users = [slack_user(p["slack_user_id"], p["name"]) for p in people]
    bot = "U0DEPLOYB"
    world.slack_users.append(slack_user(bot, "deploy-bot", bot=True))
    names = [f"{ENGINEERING_PREFIX}{team}" for team in teams] + ["random"]
    for i, name in enumerate(names):
        channel = f"C{i + 1:08X}"
        world.slack_channels.append(slack_channel(channel, name))
        members = [p for p in people if name == f"{ENGINEERING_PREFIX}{p['team']}" or name == "random"]
        messages, seq = [], 0
        for day in range(weeks * 7):
            for p in members:
                for _ in range(rng.randint(0, 3) if day % 7 < 5 else 0):
                    seq += 1
                    at = START + timedelta(days=day, hours=rng.randint(6, 18), minutes=rng.randint(0, 59))
                    messages.append(
                        slack_message(p["slack_user_id"], at, seq, rng.choice([0, 0, 0, 1, 2, 3]))
                    )
            if name != "random" and day % 7 < 5:
                seq += 1
                messages.append(slack_message(bot, START + timedelta(days=day, hours=17), seq, bot=True))
        world.slack_messages[channel] = sorted(messages, key=lambda m: m["ts"], reverse=True)  # newest first


# -- files: Slack's export layout, the other APIs' documents, the identity table --------------------
def write_offline(world: World, folder: Path) -> Path:
    """The same data as files (module doc); returns `folder`."""
    slack = folder / "slack"
    slack.mkdir(parents=True, exist_ok=True)
    (slack / "users.json").write_text(json.dumps(world.slack_users))
    (slack / "channels.json").write_text(json.dumps(world.slack_channels))
    for channel in world.slack_channels:
        days: dict[str, list[Json]] = {}
        for message in world.slack_messages.get(channel["id"], []):
            day = datetime.fromtimestamp(float(message["ts"]), UTC).strftime("%Y-%m-%d")
            days.setdefault(day, []).append(message)
        (slack / channel["name"]).mkdir(exist_ok=True)
        for day, messages in days.items():  # oldest first within a day, as the export writes them
            (slack / channel["name"] / f"{day}.json").write_text(
                json.dumps(sorted(messages, key=lambda m: m["ts"]))
            )
    github = folder / "github"
    github.mkdir(exist_ok=True)
    flat = {
        "repos": world.repos,
        "commits": [c | {"repo": r} for r, cs in world.commits.items() for c in cs],
        "pulls": [p | {"repo": r} for r, ps in world.pulls.items() for p in ps],
        "reviews": [x | {"repo": r, "pr": n} for (r, n), xs in world.reviews.items() for x in xs],
        "events": [x | {"repo": r, "pr": n} for (r, n), xs in world.events.items() for x in xs],
        "pull_commits": [x | {"repo": r, "pr": n} for (r, n), xs in world.pull_commits.items() for x in xs],
        "deployments": [d | {"repo": r} for r, ds in world.deployments.items() for d in ds],
    }
    for name, rows in flat.items():
        (github / f"{name}.json").write_text(json.dumps(rows))
    (folder / "jira").mkdir(exist_ok=True)
    (folder / "jira" / "issues.json").write_text(json.dumps(world.jira_issues))
    write_identities(world.identities, folder / "identities.csv")
    return folder


def write_identities(rows: list[dict[str, str]], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=IDENTITY_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def read_identities(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as rows:
        return list(csv.DictReader(rows))
