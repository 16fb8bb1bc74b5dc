"""A hand-made organisation small enough to compute every metric by hand (the expected rows below).

Week 2026-W10 starts Monday 2026-03-02. Ada and Bob are in team `core`; Bob's Slack id is missing from
the identity table (a gap); Carol's commit e-mail is linked to no GitHub account; dependabot and the
deploy bot are bots.
"""

from __future__ import annotations

from datetime import UTC, datetime

from exercises.ex14_developer_productivity import generator as g

REPO = "core-api"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def world() -> g.World:
    w = g.World()
    w.identities = [
        {"person_id": "p1", "name": "Ada", "team": "core", "github_login": "ada",
         "jira_account_id": "acc-ada",
         "slack_user_id": "UADA"},
        {"person_id": "p2", "name": "Bob", "team": "core", "github_login": "bob",
         "jira_account_id": "acc-bob",
         "slack_user_id": ""},
    ]
    w.repos = [{"id": 1, "name": REPO, "full_name": f"{g.ORG}/{REPO}", "owner": {"login": g.ORG},
                "default_branch": "main", "topics": ["team-core"]}]
    ada1 = g.gh_commit(REPO, "ada", "ada@acme.example", at(2, 10), "a1")
    ada2 = g.gh_commit(REPO, "ada", "ada@acme.example", at(3, 11), "a2")
    bob1 = g.gh_commit(REPO, "bob", "bob@acme.example", at(4, 8), "b1")
    carol = g.gh_commit(REPO, None, "carol@x.example", at(4, 12), "c1")
    bot = g.gh_commit(REPO, "dependabot[bot]", "bot@github.example", at(4, 3), "bump")
    w.commits[REPO] = [carol, bob1, bot, ada2, ada1]
    # PR 1 by Ada: opened Mon 12:00, review asked of Bob at 14:00, reviewed Tue 10:00, merged Tue 15:00
    pr1 = g.gh_pull(REPO, 1, "ada", at(2, 12), at(3, 15), merged=True)
    # PR 2 by Bob: opened Wed 09:00, reviewed by Ada unasked at 10:00, closed unmerged at 18:00
    pr2 = g.gh_pull(REPO, 2, "bob", at(4, 9), at(4, 18), merged=False)
    pr3 = g.gh_pull(REPO, 3, "dependabot[bot]", at(4, 3), at(4, 5), merged=True)
    w.pulls[REPO] = [pr3, pr2, pr1]
    w.pull_commits = {(REPO, 1): [ada1, ada2], (REPO, 2): [bob1], (REPO, 3): [bot]}
    w.events = {(REPO, 1): [g.gh_review_requested(1, "ada", "bob", at(2, 14))], (REPO, 2): [], (REPO, 3): []}
    w.reviews = {(REPO, 1): [g.gh_review(1, "bob", at(3, 10), "COMMENTED"), g.gh_review(1, "bob", at(3, 12))],
                 (REPO, 2): [g.gh_review(2, "ada", at(4, 10))], (REPO, 3): []}
    w.deployments[REPO] = [g.gh_deployment(REPO, pr3["merge_commit_sha"], at(4, 17)),
                           g.gh_deployment(REPO, pr1["merge_commit_sha"], at(3, 17))]
    w.issues[REPO] = []
    # ENG-1 (Ada, +0100): created Mon 08:00Z, Done Tue 08:00Z, reopened, Done again Wed 09:00Z -> 49 h
    # ENG-2 (Bob, -0500): created Sun 23:30 local = Mon 2026-03-09 04:30Z (W11), Done 06:30Z -> 2 h
    # ENG-3 (Ada): in progress, not resolved
    w.jira_issues = [
        g.jira_issue(1, "acc-ada", at(2, 8), 1, [(at(2, 9), "To Do", "In Progress"),
                                                 (at(3, 8), "In Progress", "Done"),
                                                 (at(3, 12), "Done", "In Progress"),
                                                 (at(4, 9), "In Progress", "Done")]),
        g.jira_issue(2, "acc-bob", at(9, 4, 30), -5, [(at(9, 6, 30), "To Do", "Done")]),
        g.jira_issue(3, "acc-ada", at(2, 8), 1, [(at(2, 9), "To Do", "In Progress")]),
    ]
    w.slack_users = [g.slack_user("UADA", "ada"), g.slack_user("UBOB", "bob"),
                     g.slack_user("U0BOT", "deploy-bot", bot=True)]
    w.slack_channels = [g.slack_channel("C1", "eng-core"), g.slack_channel("C2", "random")]
    join = g.slack_message("UADA", at(2, 8), 1) | {"subtype": "channel_join"}
    w.slack_messages = {
        "C1": sorted([join, g.slack_message("UADA", at(2, 9), 2, reactions=2),
                      g.slack_message("UADA", at(2, 10), 3),
                      g.slack_message("UADA", at(2, 11), 4, reactions=1),
                      g.slack_message("UBOB", at(3, 9), 5), g.slack_message("UBOB", at(3, 10), 6),
                      g.slack_message("U0BOT", at(3, 17), 7, bot=True)], key=lambda m: m["ts"], reverse=True),
        "C2": [g.slack_message("UADA", at(2, 12), 8, reactions=5)],
    }
    return w


# period, person_id, name, team, commits, prs_opened, prs_merged, pr_cycle_time_h, reviews,
# review_turnaround_h, issues_resolved, time_to_resolve_h, slack_messages, slack_reactions
DEVELOPER = sorted([
    ["2026-W10", "p1", "Ada", "core", "2", "1", "1", "27.0", "1", "", "1", "49.0", "3", "3"],
    ["2026-W10", "p2", "Bob", "core", "1", "1", "0", "", "1", "20.0", "0", "", "0", "0"],
    ["2026-W11", "p2", "Bob", "core", "0", "0", "0", "", "0", "", "1", "2.0", "0", "0"],
    ["2026-W10", "unmapped:github:email:carol@x.example", "", "(unmapped)", "1", "0", "0", "", "0", "", "0",
     "", "0", "0"],
    ["2026-W10", "unmapped:slack:UBOB", "", "(unmapped)", "0", "0", "0", "", "0", "", "0", "", "2", "0"],
])
TEAM = sorted([
    ["2026-W10", "core", "2", "3", "2", "1", "27.0", "2", "20.0", "1", "49.0", "3", "3"],
    ["2026-W11", "core", "1", "0", "0", "0", "", "0", "", "1", "2.0", "0", "0"],
    ["2026-W10", "(unmapped)", "2", "1", "0", "0", "", "0", "", "0", "", "2", "0"],
])
# period, team, deployments, changes, lead_time_median_h: PR 1's first commit Mon 10:00 -> deployed Tue 17:00
DORA = [["2026-W10", "core", "2", "1", "31.0"]]
UNMAPPED = sorted([["github", "email:carol@x.example", "1"], ["slack", "UBOB", "2"]])
