"""The readers against the fake: every page once, Retry-After obeyed, bad pages dead-lettered."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from bootcamp.testing.plugin import Implementation
from exercises.ex14_developer_productivity import fake, generator
from exercises.ex14_developer_productivity.records import DeadLetter

REPO = "platform-svc1"
Api = tuple[fake.Endpoints, fake.Control]


def _pages(control: fake.Control, part: str) -> list[int]:
    return [int(parse_qs(urlparse(r.target).query).get("page", ["1"])[0])
            for r in control.log() if part in r.target and r.status == 200]


def test_github_pagination_reads_every_page_once(impl: Implementation, api: Api, client: httpx.Client,
                                                  world: generator.World) -> None:
    endpoints, control = api
    url = f"{endpoints.github}/repos/{generator.ORG}/{REPO}/commits"
    items = list(impl.readers.github_items(client, url, {"per_page": 7}))
    expected = world.commits[REPO]
    last = -(-len(expected) // 7)
    assert last >= 3, "the test needs several pages"
    pages = _pages(control, "/commits")
    assert pages[0] == 1, "read the first page first"
    assert len(items) >= len(expected), \
        f"only {len(items)} of {len(expected)} commits: reading only the first page (follow Link rel=next)"
    assert sorted(pages) == list(range(1, last + 1)), \
        f"pages requested {pages}: each of 1..{last} exactly once"
    assert [i["sha"] for i in items] == [c["sha"] for c in expected], "items lost, repeated or reordered"


def test_jira_pages_cover_every_issue_even_when_the_server_grants_fewer(
        impl: Implementation, api: Api, client: httpx.Client, world: generator.World) -> None:
    endpoints, control = api
    control.jira_max_results = 4  # asked for 10 per page, granted 4: offsets must follow what was granted
    starts = impl.readers.jira_starts(client, endpoints.jira, "project = ENG", 10)
    keys = [issue["key"] for s in starts for issue in impl.readers.jira_page(client, endpoints.jira,
                                                                             "project = ENG", s, 10)]
    assert sorted(keys) == sorted(i["key"] for i in world.jira_issues), \
        "issues lost or read twice: page offsets must step by the maxResults Jira granted, up to total"
    assert len(keys) == len(set(keys))


def test_slack_cursor_pagination_reads_every_message_once(impl: Implementation, api: Api,
                                                          world: generator.World) -> None:
    endpoints, control = api
    channel = world.slack_channels[0]["id"]
    client = impl.readers.slack_client(endpoints.slack, "xoxb-test")
    got = list(impl.readers.slack_messages(client, channel, page_size=9))
    expected = world.slack_messages[channel]
    assert len(control.log("slack")) == -(-len(expected) // 9), "one request per page, no more"
    assert [m["ts"] for m in got] == [m["ts"] for m in expected], \
        "messages lost or read twice: follow response_metadata.next_cursor until it is empty"


def _assert_waited(control: fake.Control, api: str, retry_after: float) -> None:
    log = control.log(api)
    limited = [r for r in log if r.status == 429]
    assert len(limited) == 1, (f"{len(limited)} answers 429: the client retried before Retry-After "
                               "elapsed (ignoring Retry-After)")
    after = [r for r in log if r.at > limited[0].at]
    assert after, "no request after the 429: the reader gave up instead of waiting"
    assert after[0].at - limited[0].at >= retry_after - 0.05, "the retry came before Retry-After"


def test_github_rate_limit_waits_for_retry_after(impl: Implementation, api: Api, client: httpx.Client,
                                                 world: generator.World) -> None:
    endpoints, control = api
    control.inject(fake.Fault("/commits", "rate_limit", skip=1, retry_after=1))
    url = f"{endpoints.github}/repos/{generator.ORG}/{REPO}/commits"
    items = list(impl.readers.github_items(client, url, {"per_page": 7}))
    assert len(items) == len(world.commits[REPO]), "the rate-limited page must be retried, not skipped"
    _assert_waited(control, "github", 1)


def test_jira_rate_limit_waits_for_retry_after(impl: Implementation, api: Api, client: httpx.Client) -> None:
    endpoints, control = api
    control.inject(fake.Fault("/rest/api/3/search", "rate_limit", retry_after=1))
    assert impl.readers.jira_starts(client, endpoints.jira, "project = ENG", 10)
    _assert_waited(control, "jira", 1)


def test_slack_rate_limit_waits_for_retry_after(impl: Implementation, api: Api,
                                                world: generator.World) -> None:
    endpoints, control = api
    control.inject(fake.Fault("conversations.history", "rate_limit", skip=1, retry_after=1))
    channel = world.slack_channels[0]["id"]
    client = impl.readers.slack_client(endpoints.slack, "xoxb-test")
    got = list(impl.readers.slack_messages(client, channel, page_size=9))
    assert len(got) == len(world.slack_messages[channel]), (
        "the rate-limited page must be retried after Retry-After (RateLimitErrorRetryHandler), "
        "not dead-lettered")
    _assert_waited(control, "slack", 1)


def test_primary_rate_limit_waits_until_reset_and_forbidden_is_not_retried(impl: Implementation) -> None:
    request = httpx.Request("GET", "http://github.test/x")
    reset = time.time() + 30
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(reset))}
    limited = httpx.Response(403, headers=headers, request=request)
    wait = impl.readers.wait_seconds(limited)
    assert wait is not None, "GitHub's primary limit: wait until X-RateLimit-Reset"
    assert 25 <= wait <= 31, "GitHub's primary limit: wait until X-RateLimit-Reset"
    assert impl.readers.wait_seconds(httpx.Response(429, headers={"Retry-After": "7"}, request=request)) == 7
    assert impl.readers.wait_seconds(httpx.Response(403, request=request)) is None, \
        "a 403 without rate-limit headers is a permission error: retrying will not help"
    assert impl.readers.wait_seconds(httpx.Response(200, request=request)) is None


def test_github_malformed_page_is_a_dead_letter_and_the_rest_is_read(
        impl: Implementation, api: Api, client: httpx.Client, world: generator.World) -> None:
    endpoints, control = api
    control.inject(fake.Fault("/commits", "malformed", skip=1))
    url = f"{endpoints.github}/repos/{generator.ORG}/{REPO}/commits"
    got = list(impl.readers.github_items(client, url, {"per_page": 7}))
    dead = [g for g in got if isinstance(g, DeadLetter)]
    assert len(dead) == 1, "the malformed page must become exactly one dead letter"
    assert "malformed JSON" in dead[0].reason
    assert "page=2" in dead[0].where
    assert len(got) - 1 == len(world.commits[REPO]) - 7, "the pages after the bad one must still be read"


def test_jira_malformed_page_is_a_dead_letter(impl: Implementation, api: Api, client: httpx.Client) -> None:
    endpoints, control = api
    control.inject(fake.Fault("startAt=10", "malformed"))
    got = list(impl.readers.jira_page(client, endpoints.jira, "project = ENG", 10, 10))
    assert len(got) == 1
    assert isinstance(got[0], DeadLetter)
    assert "malformed JSON" in got[0].reason
    assert "startAt=10" in got[0].where


def test_slack_malformed_page_is_a_dead_letter_saying_the_rest_is_unread(
        impl: Implementation, api: Api, world: generator.World) -> None:
    endpoints, control = api
    control.inject(fake.Fault("conversations.history", "malformed", skip=1))
    channel = world.slack_channels[0]["id"]
    client = impl.readers.slack_client(endpoints.slack, "xoxb-test")
    got = list(impl.readers.slack_messages(client, channel, page_size=9))
    dead = [g for g in got if isinstance(g, DeadLetter)]
    assert len(dead) == 1, "one dead letter for the page that cannot be read"
    assert len(got) == 10, "the first page's 9 messages, then one dead letter"
    assert "unread" in dead[0].reason
    assert channel in dead[0].where


@pytest.mark.parametrize("status", [404, 500])
def test_github_error_page_is_a_dead_letter(impl: Implementation, api: Api, client: httpx.Client,
                                            status: int) -> None:
    endpoints, control = api
    if status == 500:
        control.inject(fake.Fault("/commits", "error"))
    repo = REPO if status == 500 else "no-such-repo"
    got = list(impl.readers.github_items(client, f"{endpoints.github}/repos/{generator.ORG}/{repo}/commits"))
    assert len(got) == 1
    assert isinstance(got[0], DeadLetter)
    assert f"HTTP {status}" in got[0].reason
