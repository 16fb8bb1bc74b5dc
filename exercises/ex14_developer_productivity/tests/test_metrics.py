"""The metric computations and the identity join, on records made by hand."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest

from bootcamp.testing.plugin import Implementation
from exercises.ex14_developer_productivity.records import (
    UNMAPPED_TEAM,
    Activity,
    Commit,
    Identity,
    JiraIssue,
    Person,
    PullRequest,
    Review,
    SlackMessage,
)

H = 3600
MON = 1772409600  # 2026-03-02T00:00:00Z, Monday of ISO week 2026-W10


@pytest.fixture
def far_from_utc() -> Iterator[None]:
    """The machine's local time zone at UTC+13, where Sunday 23:00 UTC is already Monday."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "Pacific/Auckland"
    time.tzset()
    yield
    if old is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = old
    time.tzset()


@pytest.mark.usefixtures("far_from_utc")
def test_periods_are_utc_whatever_the_machine_s_time_zone(impl: Implementation) -> None:
    sunday_late = MON - H  # 2026-03-01T23:00Z: still week 9 in UTC
    assert impl.metrics.period_of(MON) == "2026-W10"
    assert impl.metrics.period_of(sunday_late) == "2026-W09", \
        "time zones mixed: a naive local datetime put a Sunday-night UTC event in the next week"
    assert impl.metrics.period_of(sunday_late, "day") == "2026-03-01"
    assert impl.metrics.period_of(MON + 7 * 24 * H) == "2026-W11"


def test_commits_count_people_not_bots(impl: Implementation) -> None:
    assert impl.metrics.commit_activities(Commit("r", "s1", "ada", False, MON)) == [
        Activity("github", "ada", "commits", MON, 1)]
    assert impl.metrics.commit_activities(Commit("r", "s2", "dependabot[bot]", True, MON)) == [], \
        "counting bot users: a bot's commits are nobody's work"


def test_cycle_time_is_creation_to_merge(impl: Implementation) -> None:
    merged = PullRequest("r", 1, "ada", False, MON, MON + 30 * H, MON + 27 * H, MON - 2 * H)
    acts = impl.metrics.pull_activities(merged)
    assert Activity("github", "ada", "prs_opened", MON, 1) in acts
    assert Activity("github", "ada", "prs_merged", MON + 27 * H, 1) in acts
    cycle = [a for a in acts if a.metric == "pr_cycle_time_s"]
    assert cycle == [Activity("github", "ada", "pr_cycle_time_s", MON + 27 * H, 27 * H)], \
        "cycle time runs from creation to the merge (not to the close), counted when merged"
    abandoned = PullRequest("r", 2, "ada", False, MON, MON + 5 * H, None, None)
    assert [a.metric for a in impl.metrics.pull_activities(abandoned)] == ["prs_opened"], \
        "a PR closed without merging delivered nothing: no merge, no cycle time"
    bot = PullRequest("r", 3, "dependabot[bot]", True, MON, MON + H, MON + H, MON)
    assert impl.metrics.pull_activities(bot) == [], "counting bot users: bots' PRs are nobody's work"


def test_review_turnaround_starts_at_the_request(impl: Implementation) -> None:
    asked = Review("r", 1, "bob", False, MON, MON + 2 * H, MON + 22 * H)
    acts = impl.metrics.review_activities(asked)
    assert Activity("github", "bob", "reviews", MON + 22 * H, 1) in acts
    assert [a.value for a in acts if a.metric == "review_turnaround_s"] == [20 * H], \
        "review turnaround runs from the review request, not from when the PR was opened"
    unasked = Review("r", 2, "ada", False, MON, None, MON + H)
    assert [a.metric for a in impl.metrics.review_activities(unasked)] == ["reviews"]
    assert impl.metrics.review_activities(Review("r", 3, "bot[bot]", True, MON, MON, MON + H)) == []


def test_issue_resolution_is_the_last_move_into_done(impl: Implementation) -> None:
    reopened = JiraIssue("ENG-1", "acc", "Done", MON, [MON + 24 * H, MON + 49 * H], [MON + 28 * H])
    assert impl.metrics.resolved_at(reopened) == MON + 49 * H, \
        "a reopened issue is resolved when it is Done again (the last transition into Done)"
    assert impl.metrics.issue_activities(reopened) == [
        Activity("jira", "acc", "issues_resolved", MON + 49 * H, 1),
        Activity("jira", "acc", "time_to_resolve_s", MON + 49 * H, 49 * H)]
    back_in_progress = JiraIssue("ENG-2", "acc", "In Progress", MON, [MON + H], [MON + 2 * H])
    assert impl.metrics.resolved_at(back_in_progress) is None, "an issue reopened and not done is unresolved"
    assert impl.metrics.issue_activities(JiraIssue("ENG-3", "", "Done", MON, [MON + H], [])) == []


def test_slack_counts_people_s_messages_in_engineering_channels(impl: Implementation) -> None:
    mine = SlackMessage("eng-core", "UADA", False, "", MON, 3)
    assert impl.metrics.message_activities(mine) == [Activity("slack", "UADA", "slack_messages", MON, 1),
                                                     Activity("slack", "UADA", "slack_reactions", MON, 3)]
    assert impl.metrics.message_activities(mine._replace(channel="random")) == [], "engineering channels only"
    assert impl.metrics.message_activities(mine._replace(is_bot=True)) == [], \
        "counting bot users: a bot's messages are nobody's"
    assert impl.metrics.message_activities(mine._replace(subtype="channel_join")) == []


def test_lead_time_runs_from_first_commit_to_the_deployment_after_the_merge(impl: Implementation) -> None:
    pull = PullRequest("r", 1, "ada", False, MON, MON + 27 * H, MON + 27 * H, MON - 2 * H)
    deploys = [MON + 10 * H, MON + 27 * H, MON + 31 * H]
    assert impl.metrics.lead_time(pull, deploys) == (MON + 27 * H, 29 * H), \
        "the first production deployment at or after the merge ships the change"
    assert impl.metrics.lead_time(pull, [MON]) is None, "not deployed yet: no lead time"
    assert impl.metrics.lead_time(pull._replace(merged_at=None), deploys) is None


def test_identity_keys_skip_the_gaps(impl: Implementation) -> None:
    row = Identity("p2", "Bob", "core", "bob", "acc-bob", "")
    assert impl.identity.identity_keys(row) == [(("github", "bob"), Person("p2", "Bob", "core")),
                                                (("jira", "acc-bob"), Person("p2", "Bob", "core"))]


def test_unknown_identities_are_kept_and_flagged(impl: Implementation) -> None:
    people = {("github", "ada"): Person("p1", "Ada", "core")}
    known, ok = impl.identity.attribute(Activity("github", "ada", "commits", MON, 1), people)
    assert ok
    assert (known.person_id, known.team) == ("p1", "core")
    unknown, ok = impl.identity.attribute(Activity("slack", "UBOB", "slack_messages", MON, 1), people)
    assert not ok, "an identity missing from the table must be reported"
    assert (unknown.person_id, unknown.team, unknown.value) == ("unmapped:slack:UBOB", UNMAPPED_TEAM, 1), \
        "unknown users are attributed to unmapped:<tool>:<id>, not dropped"
    _same_login_other_tool, ok = impl.identity.attribute(Activity("jira", "ada", "issues_resolved", MON, 1),
                                                        people)
    assert not ok, "identities are per tool: a Jira id equal to a GitHub login is not that person"
