"""Realistic wrong answers to Exercise 14 that its check must reject (format: bootcamp/grading.py)."""

from __future__ import annotations

from bootcamp.grading import Mistake

_READERS = "tests/test_readers.py"
_METRICS = "tests/test_metrics.py"
_RECORDED = "tests/test_recorded_github.py"

MISTAKES: list[Mistake] = [
    Mistake(
        name="first-page-only",
        lesson="A list endpoint answers one page (30 items by default on GitHub); the rest are behind the "
               "Link header's rel=\"next\". Reading only the first page undercounts every busy repository.",
        file="readers.py",
        old='next_url = response.links.get("next", {}).get("url")',
        new="next_url = None",
        expect="reading only the first page",
        tests=(f"{_READERS}::test_github_pagination_reads_every_page_once",),
    ),
    Mistake(
        name="next-page-by-number",
        lesson="GitHub's next page is wherever the Link header's rel=\"next\" says, not the URL asked with "
               "page+1: a repository's issues page on at /repositories/<id>/issues (recorded from "
               "api.github.com by @octokit/fixtures). The fake keeps the path, so only the recording "
               "catches it.",
        file="readers.py",
        old='        next_url = response.links.get("next", {}).get("url")\n'
            "        query = None  # the next link carries the whole query, page and per_page included\n",
        new='        next_url = url if "next" in response.links else None\n'
            '        query = {**(query or {}), "page": int((query or {}).get("page", 1)) + 1}\n',
        expect="URL exactly as given",
        tests=(f"{_RECORDED}::test_github_items_follows_githubs_recorded_link_headers_page_by_page",),
    ),
    Mistake(
        name="jira-offsets-by-the-size-asked",
        lesson="Jira may grant fewer results per page than `maxResults` asked (Cloud caps it); offsets "
               "computed from the size asked skip the issues between two pages.",
        file="readers.py",
        old='size = int(first["maxResults"]) or page_size',
        new="size = page_size",
        expect="page offsets must step by the maxResults Jira granted",
        tests=(f"{_READERS}::test_jira_pages_cover_every_issue_even_when_the_server_grants_fewer",),
    ),
    Mistake(
        name="ignores-retry-after",
        lesson="A 429 says how long to wait (Retry-After); retrying at once keeps hitting the limit (GitHub "
               "may then block the token) and exhausts the attempts in milliseconds.",
        file="readers.py",
        old="return (wait_seconds(response) or 0.0) if isinstance(response, httpx.Response) else 0.0",
        new="return 0.0",
        expect="still rate limited after 5 attempts",
        tests=(f"{_READERS}::test_github_rate_limit_waits_for_retry_after",
               f"{_READERS}::test_jira_rate_limit_waits_for_retry_after"),
    ),
    Mistake(
        name="slack-client-without-rate-limit-handler",
        lesson="slack_sdk's WebClient retries only connection errors by default; without a "
               "RateLimitErrorRetryHandler a 429 is an error, and the channel's pages are lost.",
        file="readers.py",
        old="retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=ATTEMPTS)]",
        new="retry_handlers=[]",
        expect="must be retried after Retry-After (RateLimitErrorRetryHandler)",
        tests=(f"{_READERS}::test_slack_rate_limit_waits_for_retry_after",),
    ),
    Mistake(
        name="identity-join-drops-unknown-users",
        lesson="An inner join on an incomplete mapping table silently drops the activity of everyone it "
               "lacks (contractors, people whose Slack id nobody recorded); keep it and report it.",
        file="identity.py",
        old="        yield attributed\n",
        new="        if known:\n            yield attributed\n",
        expect="dropped unknown users silently",
        tests=("tests/test_pipeline.py::test_identity_gaps_are_reported_not_dropped",),
    ),
    Mistake(
        name="cycle-time-to-close",
        lesson="PR cycle time ends at the merge: a PR closed without merging delivered nothing, and the "
               "close of a merged PR can come later than its merge.",
        file="metrics.py",
        old="pull.merged_at - pull.created_at",
        new="(pull.closed_at or pull.merged_at) - pull.created_at",
        expect="cycle time runs from creation to the merge",
        tests=(f"{_METRICS}::test_cycle_time_is_creation_to_merge",),
    ),
    Mistake(
        name="counts-bots",
        lesson="Dependabot's bumps and a deploy bot's messages are nobody's work; counting them inflates "
               "the teams that have the most automation.",
        file="metrics.py",
        old="    if commit.is_bot:\n        return []\n",
        new="",
        expect="counting bot users",
        tests=(f"{_METRICS}::test_commits_count_people_not_bots",),
    ),
    Mistake(
        name="turnaround-from-pr-open",
        lesson="Review turnaround is the reviewer's response time: from the review request, not from when "
               "the PR was opened (a draft can wait days before anyone is asked).",
        file="metrics.py",
        old="review.submitted_at - review.requested_at",
        new="review.submitted_at - review.pr_created_at",
        expect="from the review request, not from when the PR was opened",
        tests=(f"{_METRICS}::test_review_turnaround_starts_at_the_request",),
    ),
    Mistake(
        name="naive-local-datetimes",
        lesson="`datetime.fromtimestamp(ts)` is the machine's local time: the same event lands in another "
               "day or week on a worker in another time zone. Periods are computed in UTC.",
        file="metrics.py",
        old="moment = datetime.fromtimestamp(at, UTC)",
        new="moment = datetime.fromtimestamp(at)",
        expect="time zones mixed",
        tests=(f"{_METRICS}::test_periods_are_utc_whatever_the_machine_s_time_zone",),
    ),
    Mistake(
        name="resolved-at-first-done",
        lesson="Jira's changelog holds every transition; a reopened issue is resolved when it is Done "
               "again, so the first move into Done understates time to resolve.",
        file="metrics.py",
        old="return max(issue.to_done_at)",
        new="return min(issue.to_done_at)",
        expect="the last transition into Done",
        tests=(f"{_METRICS}::test_issue_resolution_is_the_last_move_into_done",),
    ),
]
