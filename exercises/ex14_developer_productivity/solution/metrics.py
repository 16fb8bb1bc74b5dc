"""From typed records to measured activities, and the DORA lead time for changes.

YOUR TASK (the learner's part). Each function turns one record into zero or more `Activity` rows (a
count is a value of 1, a duration its seconds), dated by *when the thing happened*: the period a
merge, a review or a resolution counts in is the period of that event. Bots are nobody's work.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from datetime import UTC, datetime

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
    moment = datetime.fromtimestamp(at, UTC)
    if grain == "day":
        return moment.strftime("%Y-%m-%d")
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def commit_activities(commit: Commit) -> list[Activity]:
    if commit.is_bot:
        return []
    return [Activity("github", commit.login, "commits", commit.authored_at, 1)]


def pull_activities(pull: PullRequest) -> list[Activity]:
    """Opened (when created); merged and its cycle time, creation to *merge* (when merged). A PR closed
    without merging has no cycle time: it delivered nothing."""
    if pull.is_bot:
        return []
    out = [Activity("github", pull.author, "prs_opened", pull.created_at, 1)]
    if pull.merged_at is not None:
        out += [
            Activity("github", pull.author, "prs_merged", pull.merged_at, 1),
            Activity(
                "github", pull.author, "pr_cycle_time_s", pull.merged_at, pull.merged_at - pull.created_at
            ),
        ]
    return out


def review_activities(review: Review) -> list[Activity]:
    """A review, and its turnaround from the *request* to the review (none when nobody asked)."""
    if review.is_bot:
        return []
    out = [Activity("github", review.reviewer, "reviews", review.submitted_at, 1)]
    if review.requested_at is not None:
        out.append(
            Activity(
                "github",
                review.reviewer,
                "review_turnaround_s",
                review.submitted_at,
                max(0, review.submitted_at - review.requested_at),
            )
        )
    return out


def resolved_at(issue: JiraIssue) -> int | None:
    """When the issue was resolved: its *last* transition into Done, if it is Done now (a reopened
    issue is resolved when it is done again)."""
    if issue.status != "Done" or not issue.to_done_at:
        return None
    return max(issue.to_done_at)


def issue_activities(issue: JiraIssue) -> list[Activity]:
    done = resolved_at(issue)
    if done is None or not issue.assignee:
        return []
    return [
        Activity("jira", issue.assignee, "issues_resolved", done, 1),
        Activity("jira", issue.assignee, "time_to_resolve_s", done, done - issue.created_at),
    ]


def message_activities(message: SlackMessage) -> list[Activity]:
    """A person's own message in an engineering channel, and the reactions it received."""
    if message.is_bot or message.subtype or not message.channel.startswith(ENGINEERING_PREFIX):
        return []
    out = [Activity("slack", message.user, "slack_messages", message.ts, 1)]
    if message.reactions:
        out.append(Activity("slack", message.user, "slack_reactions", message.ts, message.reactions))
    return out


def lead_time(pull: PullRequest, deployments: Sequence[int]) -> tuple[int, int] | None:
    """DORA's lead time for changes of one merged PR: (deployed at, seconds from its first commit to
    the first production deployment at or after its merge); None if not merged or not deployed yet.
    `deployments` are the repository's production deployment times, sorted."""
    if pull.merged_at is None or pull.first_commit_at is None:
        return None
    i = bisect.bisect_left(deployments, pull.merged_at)
    if i == len(deployments):
        return None
    return deployments[i], deployments[i] - pull.first_commit_at
