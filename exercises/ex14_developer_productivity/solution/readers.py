"""Readers that get every page exactly once and wait when the API says so.

YOUR TASK (the learner's part): the pagination of each API and the back-off that honours
`Retry-After`. GitHub and Jira go through httpx (the pagination is the lesson, and a client library
would hide it); Slack through its own client, `slack_sdk.WebClient`, whose `base_url` points it at
the fake and whose `RateLimitErrorRetryHandler` sleeps for `Retry-After`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from tenacity import RetryCallState, retry, retry_if_result, stop_after_attempt

from exercises.ex14_developer_productivity.records import DeadLetter, dead

ATTEMPTS = 5
PER_PAGE = 100


class RateLimited(RuntimeError):
    """Still rate limited after every attempt."""


def wait_seconds(response: httpx.Response) -> float | None:
    """How long the API asks us to wait before the next request, or None when it is not a limit.

    429 or 403 with `Retry-After` (GitHub's secondary limit, Jira, Slack): that many seconds. 403 with
    `X-RateLimit-Remaining: 0` (GitHub's primary limit): until `X-RateLimit-Reset` (epoch seconds).
    """
    if response.status_code not in (403, 429):
        return None
    if "retry-after" in response.headers:
        return float(response.headers["retry-after"])
    if response.headers.get("x-ratelimit-remaining") == "0" and "x-ratelimit-reset" in response.headers:
        return max(0.0, float(response.headers["x-ratelimit-reset"]) - time.time())
    return None if response.status_code == 403 else 1.0


def _wait(state: RetryCallState) -> float:
    response = state.outcome.result() if state.outcome else None
    return (wait_seconds(response) or 0.0) if isinstance(response, httpx.Response) else 0.0


def _give_up(state: RetryCallState) -> httpx.Response:
    response = state.outcome.result() if state.outcome else None
    raise RateLimited(
        f"still rate limited after {state.attempt_number} attempts: {getattr(response, 'url', '?')}"
    )


@retry(
    retry=retry_if_result(lambda r: wait_seconds(r) is not None),
    wait=_wait,
    stop=stop_after_attempt(ATTEMPTS),
    retry_error_callback=_give_up,
)
def get(client: httpx.Client, url: str, params: dict[str, Any] | None = None) -> httpx.Response:
    """GET `url`, retried while the answer is a rate limit, sleeping as long as the API asks."""
    return client.get(url, params=params)


def _json(response: httpx.Response) -> tuple[Any, str | None]:
    """The body as JSON, or the reason it cannot be used."""
    if response.status_code != 200:
        return None, f"HTTP {response.status_code}"
    try:
        return response.json(), None
    except json.JSONDecodeError as exc:
        return None, f"malformed JSON: {exc}"


def github_items(
    client: httpx.Client,
    url: str,
    params: dict[str, Any] | None = None,
) -> Iterator[dict[str, Any] | DeadLetter]:
    """Every item of a GitHub list endpoint, following the `Link` header's `rel="next"` to the end.

    A page that is not a JSON list becomes one DeadLetter (its URL and the reason) and the walk goes
    on: the next link is in the headers, not the body.
    """
    next_url: str | None = url
    query: dict[str, Any] | None = {"per_page": PER_PAGE, **(params or {})}
    while next_url:
        response = get(client, next_url, query)
        body, problem = _json(response)
        if problem is None and not isinstance(body, list):
            problem = f"expected a JSON list, got {type(body).__name__}"
        if problem:
            yield dead("github", str(response.url), problem, response.text)
        else:
            yield from body
        next_url = response.links.get("next", {}).get("url")
        query = None  # the next link carries the whole query, page and per_page included


def jira_starts(client: httpx.Client, base: str, jql: str, page_size: int = PER_PAGE) -> list[int]:
    """The `startAt` of every page of a Jira search: units of work that can be read in parallel.

    Uses the `total` and the `maxResults` the server *granted* in its first answer (Jira may give fewer
    than asked), so no issue falls between two pages.
    """
    response = get(client, f"{base}/rest/api/3/search", {"jql": jql, "startAt": 0, "maxResults": page_size})
    response.raise_for_status()
    first = response.json()
    size = int(first["maxResults"]) or page_size
    return list(range(0, int(first["total"]), size))


def jira_page(
    client: httpx.Client,
    base: str,
    jql: str,
    start_at: int,
    page_size: int = PER_PAGE,
) -> Iterator[dict[str, Any] | DeadLetter]:
    """The issues of the page at `start_at`, with their changelog (`expand=changelog`)."""
    url = f"{base}/rest/api/3/search"
    response = get(
        client, url, {"jql": jql, "startAt": start_at, "maxResults": page_size, "expand": "changelog"}
    )
    body, problem = _json(response)
    if problem is None and not isinstance(body, dict):
        problem = "expected a JSON object"
    if problem:
        yield dead("jira", f"{url}?startAt={start_at}", problem, response.text)
        return
    yield from body["issues"]


def slack_client(base_url: str, token: str) -> WebClient:
    """Slack's client pointed at `base_url`, retrying 429s after their `Retry-After`."""
    return WebClient(
        token=token, base_url=base_url, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=ATTEMPTS)]
    )


def slack_messages(
    client: WebClient,
    channel: str,
    page_size: int = 200,
) -> Iterator[dict[str, Any] | DeadLetter]:
    """Every message of a channel, following `response_metadata.next_cursor` until it is empty.

    The cursor is in the body, so a page that cannot be read ends the walk: one DeadLetter says where
    and that the rest of the channel is unread.
    """
    cursor = ""
    while True:
        try:
            page = client.conversations_history(channel=channel, limit=page_size, cursor=cursor or None)
        except SlackApiError as exc:  # an error answer: {"ok": false, "error": ...}
            yield dead(
                "slack",
                f"conversations.history?channel={channel}&cursor={cursor}",
                f"{exc.response.get('error', exc)}; the rest of the channel is unread",
                str(exc.response.data)[:2000],
            )
            return
        except json.JSONDecodeError as exc:  # JSON cut short: slack_sdk lets the decoder's error through
            yield dead("slack", f"conversations.history?channel={channel}&cursor={cursor}",
                       f"malformed JSON: {exc}; the rest of the channel is unread", exc.doc)
            return
        yield from page["messages"]
        cursor = (page.get("response_metadata") or {}).get("next_cursor", "")
        if not cursor:
            return


def slack_list(client: WebClient, method: str, key: str) -> list[dict[str, Any]]:
    """All of `users.list` or `conversations.list` (small, read once by the driver), by cursor."""
    out: list[dict[str, Any]] = []
    cursor = ""
    while True:
        page = client.api_call(
            method, http_verb="GET", params={"limit": 200, **({"cursor": cursor} if cursor else {})}
        )
        out += page[key]
        cursor = (page.get("response_metadata") or {}).get("next_cursor", "")
        if not cursor:
            return out
