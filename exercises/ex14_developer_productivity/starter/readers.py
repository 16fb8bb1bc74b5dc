"""Readers that get every page exactly once and wait when the API says so.

YOUR TASK: the pagination of each API and the back-off that honours `Retry-After`. GitHub and Jira go
through httpx (the pagination is the lesson, and a client library would hide it); Slack through its
own client, `slack_sdk.WebClient`, whose `base_url` points it at the fake. Run `bootcamp hint ex14`.
"""

from __future__ import annotations

import json  # noqa: F401 - json.JSONDecodeError is what a cut-short body raises
import time  # noqa: F401
from collections.abc import Iterator
from typing import Any

import httpx
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError  # noqa: F401
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler  # noqa: F401
from tenacity import RetryCallState, retry, retry_if_result, stop_after_attempt  # noqa: F401

from exercises.ex14_developer_productivity.records import DeadLetter, dead  # noqa: F401

ATTEMPTS = 5
PER_PAGE = 100


class RateLimited(RuntimeError):
    """Still rate limited after every attempt."""


def wait_seconds(response: httpx.Response) -> float | None:
    """How long the API asks us to wait before the next request, or None when it is not a limit.

    429 or 403 with `Retry-After` (GitHub's secondary limit, Jira, Slack): that many seconds. 403 with
    `X-RateLimit-Remaining: 0` (GitHub's primary limit): until `X-RateLimit-Reset` (epoch seconds).
    A 403 without either is a permission error (None: retrying will not help); a bare 429, 1 second.
    """
    raise NotImplementedError("wait_seconds: read Retry-After, or X-RateLimit-Remaining/-Reset on a 403")


def get(client: httpx.Client, url: str, params: dict[str, Any] | None = None) -> httpx.Response:
    """GET `url`, retried (at most ATTEMPTS times) while the answer is a rate limit, sleeping as long
    as `wait_seconds` says; RateLimited when every attempt was limited."""
    raise NotImplementedError("get: retry with tenacity while wait_seconds(response) is not None")


def github_items(client: httpx.Client, url: str, params: dict[str, Any] | None = None,
                 ) -> Iterator[dict[str, Any] | DeadLetter]:
    """Every item of a GitHub list endpoint (`per_page`=PER_PAGE unless `params` says otherwise),
    following the `Link` header's `rel="next"` to the end.

    A page that is not a JSON list (malformed, or an HTTP error) becomes one DeadLetter (source
    "github", its URL as `where`, a reason starting "malformed JSON" or "HTTP <status>") and the walk
    goes on: the next link is in the headers, not the body.
    """
    raise NotImplementedError("github_items: follow response.links['next'] until there is none")


def jira_starts(client: httpx.Client, base: str, jql: str, page_size: int = PER_PAGE) -> list[int]:
    """The `startAt` of every page of `GET {base}/rest/api/3/search`: units of work that can be read
    in parallel. Jira may grant fewer than `maxResults` asked: step by what it granted, up to `total`."""
    raise NotImplementedError("jira_starts: one request, then range(0, total, granted maxResults)")


def jira_page(client: httpx.Client, base: str, jql: str, start_at: int, page_size: int = PER_PAGE,
              ) -> Iterator[dict[str, Any] | DeadLetter]:
    """The issues of the page at `start_at`, with their changelog (`expand=changelog`); a page that
    cannot be read is one DeadLetter ("jira", its URL with `startAt=<n>`, the reason)."""
    raise NotImplementedError("jira_page: GET the search with startAt, maxResults and expand=changelog")


def slack_client(base_url: str, token: str) -> WebClient:
    """Slack's client pointed at `base_url`, retrying 429s after their `Retry-After`."""
    raise NotImplementedError("slack_client: WebClient(base_url=..., retry_handlers=[...])")


def slack_messages(client: WebClient, channel: str, page_size: int = 200,
                   ) -> Iterator[dict[str, Any] | DeadLetter]:
    """Every message of a channel (`conversations.history`), following
    `response_metadata.next_cursor` until it is empty.

    The cursor is in the body, so a page that cannot be read ends the walk: one DeadLetter ("slack",
    where it stopped, a reason that says the rest of the channel is unread).
    """
    raise NotImplementedError("slack_messages: call conversations_history with the cursor until it is empty")


def slack_list(client: WebClient, method: str, key: str) -> list[dict[str, Any]]:
    """All of `users.list` (key "members") or `conversations.list` (key "channels"), by cursor."""
    raise NotImplementedError("slack_list: client.api_call(method, ...) with the cursor until it is empty")
