"""Names shared by the pipeline and DuckDB's baseline, importable without Beam (the baseline's process
does not pay Beam's import)."""

from __future__ import annotations

UNMAPPED_TEAM = "(unmapped)"
METRICS = ("commits", "prs_opened", "prs_merged", "pr_cycle_time_s", "reviews", "review_turnaround_s",
           "issues_resolved", "time_to_resolve_s", "slack_messages", "slack_reactions")
"""Every metric an `Activity` may carry; the `_s` ones are durations (averaged), the rest counts."""
