"""The baseline: the same metrics in DuckDB SQL over the same data, as files. Provided.

DuckDB cannot call the APIs, so it reads what `generator.write_offline` wrote from the same `World`
the fake serves: Slack's export layout, GitHub's and Jira's documents and the identity table. The
rules are the pipeline's, written once more in SQL: bots excluded, engineering channels only, cycle
time to the merge, turnaround from the review request, resolution at the last move into Done, times
in UTC, unknown identities kept as `unmapped:<tool>:<id>`. Agreement of the two is tested; the bench
times both.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from exercises.ex14_developer_productivity.names import METRICS, UNMAPPED_TEAM

ACTIVITIES = """
CREATE TEMP TABLE ids AS SELECT * FROM read_csv('{root}/identities.csv', all_varchar=true);
CREATE TEMP TABLE people AS
    SELECT 'github' AS tool, github_login AS identity, person_id, name, team FROM ids WHERE github_login <> ''
    UNION ALL SELECT 'jira', jira_account_id, person_id, name, team FROM ids WHERE jira_account_id <> ''
    UNION ALL SELECT 'slack', slack_user_id, person_id, name, team FROM ids WHERE slack_user_id <> '';
CREATE TEMP TABLE pulls AS
    SELECT p.repo, p.number, p.user.login AS author, p.user.type = 'Bot' AS bot,
           epoch(CAST(p.created_at AS TIMESTAMPTZ))::BIGINT AS created,
           epoch(CAST(p.merged_at AS TIMESTAMPTZ))::BIGINT AS merged,
           (SELECT min(epoch(CAST(c."commit".author.date AS TIMESTAMPTZ)))::BIGINT
              FROM read_json('{root}/github/pull_commits.json', format='array') c
             WHERE c.repo = p.repo AND c.pr = p.number) AS first_commit
      FROM read_json('{root}/github/pulls.json', format='array') p;
CREATE TEMP TABLE reviews AS
    WITH firsts AS (
        SELECT repo, pr, user.login AS reviewer, bool_or(user.type = 'Bot') AS bot,
               min(epoch(CAST(submitted_at AS TIMESTAMPTZ)))::BIGINT AS submitted
          FROM read_json('{root}/github/reviews.json', format='array')
         WHERE submitted_at IS NOT NULL GROUP BY ALL),
    asked AS (
        SELECT repo, pr, requested_reviewer.login AS reviewer,
               min(epoch(CAST(created_at AS TIMESTAMPTZ)))::BIGINT AS requested
          FROM read_json('{root}/github/events.json', format='array')
         WHERE event = 'review_requested' GROUP BY ALL)
    SELECT f.*, a.requested FROM firsts f LEFT JOIN asked a USING (repo, pr, reviewer);
CREATE TEMP TABLE jira AS
    WITH issues AS (SELECT * FROM read_json('{root}/jira/issues.json', format='array', maximum_depth=-1)),
    done AS (
        SELECT i.key, max(epoch(CAST(h.created AS TIMESTAMPTZ)))::BIGINT AS resolved
          FROM issues i, unnest(i.changelog.histories) AS t(h), unnest(h.items) AS u(item)
         WHERE item.field = 'status' AND item.toString = 'Done' GROUP BY ALL)
    SELECT i.key, i.fields.assignee.accountId AS assignee, i.fields.status.name AS status,
           epoch(CAST(i.fields.created AS TIMESTAMPTZ))::BIGINT AS created, d.resolved
      FROM issues i LEFT JOIN done d USING (key);
CREATE TEMP TABLE bots AS SELECT id FROM read_json('{root}/slack/users.json', format='array') WHERE is_bot;
CREATE TEMP TABLE messages AS
    SELECT m.user AS user, m.bot_id, coalesce(m.subtype, '') AS subtype,
           CAST(split_part(m.ts, '.', 1) AS BIGINT) AS ts,
           coalesce(list_sum(list_transform(m.reactions, lambda r: r.count)), 0) AS reactions
      FROM read_json('{root}/slack/eng-*/*.json', format='array', union_by_name=true) m;
CREATE TEMP TABLE activities AS
    SELECT 'github' AS tool, CASE WHEN author IS NULL THEN 'email:' || "commit".author.email
                             ELSE author.login END AS identity,
           'commits' AS metric, epoch(CAST("commit".author.date AS TIMESTAMPTZ))::BIGINT AS at, 1 AS value
      FROM read_json('{root}/github/commits.json', format='array')
     WHERE author IS NULL OR author.type <> 'Bot'
    UNION ALL SELECT 'github', author, 'prs_opened', created, 1 FROM pulls WHERE NOT bot
    UNION ALL SELECT 'github', author, 'prs_merged', merged, 1 FROM pulls WHERE NOT bot AND merged IS NOT NULL
    UNION ALL SELECT 'github', author, 'pr_cycle_time_s', merged, merged - created FROM pulls
               WHERE NOT bot AND merged IS NOT NULL
    UNION ALL SELECT 'github', reviewer, 'reviews', submitted, 1 FROM reviews WHERE NOT bot
    UNION ALL SELECT 'github', reviewer, 'review_turnaround_s', submitted, greatest(0, submitted - requested)
                FROM reviews WHERE NOT bot AND requested IS NOT NULL
    UNION ALL SELECT 'jira', assignee, 'issues_resolved', resolved, 1 FROM jira
               WHERE status = 'Done' AND resolved IS NOT NULL AND coalesce(assignee, '') <> ''
    UNION ALL SELECT 'jira', assignee, 'time_to_resolve_s', resolved, resolved - created FROM jira
               WHERE status = 'Done' AND resolved IS NOT NULL AND coalesce(assignee, '') <> ''
    UNION ALL SELECT 'slack', user, 'slack_messages', ts, 1 FROM messages
               WHERE bot_id IS NULL AND user NOT IN (SELECT id FROM bots) AND subtype = ''
    UNION ALL SELECT 'slack', user, 'slack_reactions', ts, reactions FROM messages
               WHERE bot_id IS NULL AND user NOT IN (SELECT id FROM bots) AND subtype = '' AND reactions > 0;
CREATE TEMP TABLE sums AS
    SELECT {period} AS period,
           coalesce(p.person_id, 'unmapped:' || a.tool || ':' || a.identity) AS person_id,
           coalesce(p.name, '') AS name, coalesce(p.team, '{unmapped}') AS team, a.metric,
           sum(a.value)::BIGINT AS total, count(*)::BIGINT AS n
      FROM activities a LEFT JOIN people p USING (tool, identity) GROUP BY ALL;
"""
PERIODS = {"week": "strftime(to_timestamp(a.at), '%G-W%V')",
           "day": "strftime(to_timestamp(a.at), '%Y-%m-%d')"}


def _pivot() -> str:
    """SQL that gives one column per metric from `sums`: counts summed, durations as mean hours rounded
    half up to 2 decimals in integer arithmetic, exactly as `tables.hours` does."""
    cells = []
    for metric in METRICS:
        if metric.endswith("_s"):
            total, n = f"sum(total) FILTER (metric = '{metric}')", f"sum(n) FILTER (metric = '{metric}')"
            cells.append(f"((200 * {total} + 3600 * {n}) // (7200 * {n})) / 100")
        else:
            cells.append(f"coalesce(sum(total) FILTER (metric = '{metric}'), 0)::BIGINT")
    return ", ".join(cells)


def query(root: str | Path, grain: str = "week") -> dict[str, list[list[str]]]:
    """Every output table, as sorted rows of text cells (the form `tables.read_csv` gives)."""
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute(ACTIVITIES.format(root=root, period=PERIODS[grain], unmapped=UNMAPPED_TEAM))
        metrics = _pivot()
        developer = con.sql(f"SELECT period, person_id, name, team, {metrics} FROM sums "  # noqa: S608
                            "GROUP BY period, person_id, name, team").fetchall()
        team = con.sql(f"SELECT period, team, count(DISTINCT person_id), {metrics} FROM sums "  # noqa: S608
                       "GROUP BY period, team").fetchall()
        unmapped = con.sql("SELECT tool, identity, count(*) FROM activities "
                           "LEFT JOIN people USING (tool, identity) "
                           "WHERE person_id IS NULL GROUP BY ALL").fetchall()
        dora = con.sql(_DORA.format(root=root, period=PERIODS[grain].replace("a.at", "dt"))).fetchall()
    finally:
        con.close()
    return {"developer_metrics": _text(developer), "team_metrics": _text(team), "unmapped": _text(unmapped),
            "dora": _text(dora)}


_DORA = """
WITH deploys AS (SELECT repo, epoch(CAST(created_at AS TIMESTAMPTZ))::BIGINT AS dt
              FROM read_json('{root}/github/deployments.json', format='array')
             WHERE environment = 'production'),
owners AS (SELECT name AS repo,
                  coalesce(list_filter(topics, lambda t: t LIKE 'team-%')[1][6:], '(none)') AS team
             FROM read_json('{root}/github/repos.json', format='array')),
leads AS (SELECT p.repo, (SELECT min(d.dt) FROM deploys d WHERE d.repo = p.repo AND d.dt >= p.merged) AS dt,
                 p.first_commit FROM pulls p
           WHERE NOT p.bot AND p.merged IS NOT NULL AND p.first_commit IS NOT NULL),
lead_rows AS (SELECT {period} AS period, o.team, dt - first_commit AS seconds
                FROM leads JOIN owners o USING (repo)
               WHERE dt IS NOT NULL),
deploy_rows AS (SELECT {period} AS period, o.team, count(*) AS n
                  FROM deploys JOIN owners o USING (repo) GROUP BY ALL)
SELECT period, team, coalesce(d.n, 0), count(l.seconds), floor((200 * median(l.seconds) + 3600) / 7200) / 100
  FROM deploy_rows d FULL JOIN lead_rows l USING (period, team) GROUP BY period, team, d.n
"""


def _text(rows: list[tuple[Any, ...]]) -> list[list[str]]:
    """Cells as the CSV writes them: None empty, whole floats as `1.0`."""
    return sorted([["" if c is None else str(c) for c in row] for row in rows])





def main(argv: list[str] | None = None) -> None:
    """`python -m ...baseline --size small`: generate, write the files, query; print the query's seconds
    (writing the files is not timed: it stands for the export the pipeline does not need)."""
    import argparse
    import json
    import tempfile
    import time

    from exercises.ex14_developer_productivity import generator

    parser = argparse.ArgumentParser(description="ex14 baseline: the metrics in DuckDB SQL")
    parser.add_argument("--size", choices=sorted(generator.SIZES), default="small")
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ex14-duckdb-") as tmp:
        root = generator.write_offline(generator.generate(args.seed, args.size), Path(tmp))
        started = time.perf_counter()
        result = query(root)
        seconds = time.perf_counter() - started
    rows = len(result["developer_metrics"])
    print(json.dumps({"runner": "duckdb", "seconds": seconds, "developer_rows": rows}))


if __name__ == "__main__":
    main()
