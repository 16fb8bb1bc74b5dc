"""The GitHub reader against GitHub's own recorded answers (npm `@octokit/fixtures-server`).

The fake (`fake.py`) serves a large seeded organisation and injects faults, but its `Link` and
`X-RateLimit-*` headers are this project's reading of GitHub's documentation. These tests replay
responses recorded from api.github.com (`@octokit/fixtures`, scenario names are its folder names):
the reader must follow GitHub's real `Link: rel="next"` URLs, which leave the URL asked for
(`/repos/octokit-fixture-org/paginate-issues/issues` pages on at `/repositories/1000/issues`), and must
not take the rate-limit headers GitHub puts on every answer, errors included, for a limit.

The server answers only the recorded requests, each once, so the client sends the recorded headers
(`RECORDED_HEADERS`: the v3 media type and the recordings' fake token) and every request the reader
makes is logged by an httpx event hook to check the order.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from bootcamp.services.octokit import RECORDED_HEADERS, load_scenario, recorded
from bootcamp.testing.plugin import Implementation
from exercises.ex14_developer_productivity import fake, generator
from exercises.ex14_developer_productivity.records import DeadLetter

pytestmark = pytest.mark.integration

ISSUES = "/repos/octokit-fixture-org/paginate-issues/issues"
Api = tuple[fake.Endpoints, fake.Control]
PROTECTION = "/repos/octokit-fixture-org/branch-protection/branches/main/protection"


@pytest.fixture(scope="module")
def octokit(local_service: Callable[[str], str]) -> str:
    """The fixtures server's address (started once; `OCTOKIT_FIXTURES_URL` names another one)."""
    return local_service("octokit")


class Replay:
    """One scenario loaded on the server, and a client that sends the recorded headers and logs every
    request it makes (relative to the scenario's base URL, as the recording writes them)."""

    def __init__(self, endpoint: str, scenario: str) -> None:
        self.base = load_scenario(endpoint, scenario)
        self.steps = recorded(scenario)
        self.sent: list[str] = []
        self.client = httpx.Client(headers=RECORDED_HEADERS, timeout=10,
                                   event_hooks={"request": [self._log]})

    def _log(self, request: httpx.Request) -> None:
        self.sent.append(str(request.url).removeprefix(self.base))

    def url(self, path: str) -> str:
        return f"{self.base}{path}"


@pytest.fixture
def replay(octokit: str) -> Iterator[Callable[[str], Replay]]:
    made: list[Replay] = []

    def load(scenario: str) -> Replay:
        made.append(Replay(octokit, scenario))
        return made[-1]

    yield load
    for one in made:
        one.client.close()


def test_github_items_follows_githubs_recorded_link_headers_page_by_page(
        impl: Implementation, replay: Callable[[str], Replay]) -> None:
    issues = replay("paginate-issues")
    pages = [step["path"] for step in issues.steps]
    numbers = [item["number"] for step in issues.steps for item in step["response"]]
    assert len(pages) == 5, "the recording this test reads"
    assert pages[1].startswith("/repositories/1000/"), "the recording this test reads"

    got = list(impl.readers.github_items(issues.client, issues.url(ISSUES), {"per_page": 3}))

    dead = [g for g in got if isinstance(g, DeadLetter)]
    assert not dead, (
        f"GitHub never answered {dead[0].where} ({dead[0].reason}: {dead[0].payload[:200]}): take the next "
        "page from the Link header's rel=\"next\" URL exactly as given, it is not the URL asked with "
        "another page number")
    assert [i["number"] for i in got] == numbers, (
        f"issues {[i['number'] for i in got]}, recorded {numbers}: reading only the first page, or pages "
        "lost, repeated or reordered (follow Link rel=\"next\" until there is none)")
    assert issues.sent == pages, f"requests {issues.sent}: each recorded page once, in the recorded order"
    again = issues.client.get(issues.url(ISSUES), params={"per_page": 3})
    assert again.status_code == 404
    assert "not found" in again.json()["error"], "the server holds no recorded answer the reader left unread"


def test_a_github_error_with_rate_limit_headers_is_not_a_rate_limit(
        impl: Implementation, replay: Callable[[str], Replay]) -> None:
    """GitHub's 404 for an unprotected branch, as recorded: `X-RateLimit-Remaining: 4999` and a reset
    time, no `Retry-After`. Waiting or retrying would not help; the reader must answer it at once."""
    first = replay("branch-protection")
    step = first.steps[0]
    assert (step["method"], step["path"], step["status"]) == ("get", PROTECTION, 404), "the recording"
    assert "retry-after" not in step["headers"]
    assert step["headers"]["x-ratelimit-remaining"] == "4999"

    answer = first.client.get(first.url(PROTECTION))
    assert answer.status_code == 404
    assert answer.json()["message"] == "Branch not protected"
    assert "x-ratelimit-reset" in answer.headers, "GitHub's real error carries the rate-limit headers"
    assert impl.readers.wait_seconds(answer) is None, (
        "a 404 with X-RateLimit-Remaining 4999 is no rate limit: only 403/429 with Retry-After, or 403 "
        "with X-RateLimit-Remaining 0, ask to wait")

    second = replay("branch-protection")
    began = time.monotonic()
    response = impl.readers.get(second.client, second.url(PROTECTION))
    took = time.monotonic() - began
    assert response.status_code == 404, f"get answered {response.status_code}: return the error as it came"
    assert second.sent == [PROTECTION], f"requests {second.sent}: an error that is not a limit is not retried"
    assert took < 5, f"get took {took:.1f} s: it waited on an answer that is not a rate limit"


def test_the_fake_speaks_the_recorded_headers(api: Api, client: httpx.Client) -> None:
    """What the fake imitates, against the recordings: a middle page of a list has the same `Link`
    relations, and its answers (an error too) carry the same `X-RateLimit-*` headers as GitHub's."""
    pages = recorded("paginate-issues")
    middle = httpx.Response(200, headers={"link": pages[1]["headers"]["link"]}, request=httpx.Request("GET", "http://x/"))
    limit_headers = {h for h in pages[1]["headers"] if h.startswith("x-ratelimit-")}
    not_found = recorded("branch-protection")[0]["headers"]
    assert limit_headers <= set(not_found), "GitHub's own 404 carries the rate-limit headers"

    endpoints, _ = api
    url = f"{endpoints.github}/repos/{generator.ORG}/platform-svc1/commits"
    page = client.get(url, params={"per_page": 5, "page": 2})
    assert set(page.links) == set(middle.links) == {"first", "prev", "next", "last"}
    assert limit_headers <= set(page.headers), f"the fake lacks {limit_headers - set(page.headers)}"
    missing = client.get(f"{endpoints.github}/repos/{generator.ORG}/no-such-repo/commits")
    assert missing.status_code == 404
    assert limit_headers <= set(missing.headers), \
        f"the fake's 404 lacks {limit_headers - set(missing.headers)}, which GitHub's has"
