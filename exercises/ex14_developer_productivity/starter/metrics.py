"""From typed records to measured activities, and the DORA lead time for changes.

YOUR TASK. Each function turns one record into zero or more `Activity` rows (a count is a value of 1, a
duration its seconds), dated by *when the thing happened*: the period a merge, a review or a
resolution counts in is the period of that event. Bots are nobody's work.
"""

from __future__ import annotations

import bisect  # noqa: F401
from collections.abc import Sequence
from datetime import UTC, datetime  # noqa: F401

from exercises.ex14_developer_productivity.records import (
    Activity,
    Commit,
    JiraIssue,
    PullRequest,
    Review,
    SlackMessage,
)

ENGINEERING_PREFIX = "eng-"


def period_of(at: int, grain: str = "week") -> str:
    """The period of an epoch-seconds instant, in UTC: `2026-W10` (ISO week) or `2026-03-02` (day)."""
    raise NotImplementedError("period_of: the ISO week (or day) of the instant, in UTC")


def commit_activities(commit: Commit) -> list[Activity]:
    """One `commits` activity (tool "github", the login, when authored); none for a bot."""
    raise NotImplementedError("commit_activities")


def pull_activities(pull: PullRequest) -> list[Activity]:
    """`prs_opened` (when created); if merged, `prs_merged` and `pr_cycle_time_s` (when merged); none
    for a bot."""
    raise NotImplementedError("pull_activities")


def review_activities(review: Review) -> list[Activity]:
    """`reviews` (when submitted) and, when it was requested, `review_turnaround_s`; none for a bot."""
    raise NotImplementedError("review_activities")


def resolved_at(issue: JiraIssue) -> int | None:
    """When the issue was resolved, if it is Done now; None otherwise."""
    raise NotImplementedError("resolved_at")


def issue_activities(issue: JiraIssue) -> list[Activity]:
    """`issues_resolved` and `time_to_resolve_s` (tool "jira", the assignee, when resolved); none when
    unresolved or unassigned."""
    raise NotImplementedError("issue_activities")


def message_activities(message: SlackMessage) -> list[Activity]:
    """`slack_messages` and, if it has any, `slack_reactions` (the reactions it received): only for a
    person's own message (no subtype) in an engineering channel."""
    raise NotImplementedError("message_activities")


def lead_time(pull: PullRequest, deployments: Sequence[int]) -> tuple[int, int] | None:
    """DORA's lead time for changes of one merged PR: (deployed at, seconds from its first commit to
    the first production deployment at or after its merge); None if not merged or not deployed yet.
    `deployments` are the repository's production deployment times, sorted."""
    raise NotImplementedError("lead_time")
