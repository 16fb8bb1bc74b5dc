"""The provided fake speaks the APIs' protocols (checked here so the readers' tests can trust it)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from exercises.ex14_developer_productivity import fake, generator

Api = tuple[fake.Endpoints, fake.Control]


def test_github_link_etag_and_rate_limit_headers(api: Api, client: httpx.Client) -> None:
    endpoints, control = api
    url = f"{endpoints.github}/repos/{generator.ORG}/platform-svc1/commits"
    first = client.get(url, params={"per_page": 5, "page": 2})
    assert set(first.links) == {"next", "last", "first", "prev"}
    assert first.links["prev"]["url"].endswith("page=1")
    assert first.headers["X-RateLimit-Remaining"] == str(control.limit - 1)
    again = client.get(url, params={"per_page": 5, "page": 2},
                       headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.headers["X-RateLimit-Used"] == "1", "a 304 is not counted against the limit"
    assert client.get(url, params={"per_page": 500}).headers.get("Link") is None, "per_page is capped at 100"


def test_github_primary_limit_is_a_403_with_remaining_zero(api: Api, client: httpx.Client) -> None:
    endpoints, control = api
    control.limit = 1
    url = f"{endpoints.github}/orgs/{generator.ORG}/repos"
    assert client.get(url).status_code == 200
    blocked = client.get(url)
    assert blocked.status_code == 403
    assert blocked.headers["X-RateLimit-Remaining"] == "0"
    assert "rate limit" in blocked.json()["message"]


def test_a_429_blocks_the_api_until_retry_after(api: Api, client: httpx.Client) -> None:
    endpoints, control = api
    control.inject(fake.Fault("/rest/api/3/search", "rate_limit", retry_after=5))
    statuses = [client.get(f"{endpoints.jira}/rest/api/3/search").status_code for _ in range(3)]
    assert statuses == [429, 429, 429]
    assert client.get(f"{endpoints.github}/orgs/{generator.ORG}/repos").status_code == 200, "other APIs go on"


def test_slack_errors_and_pagination(api: Api, client: httpx.Client, world: generator.World) -> None:
    endpoints, _ = api
    missing = client.get(f"{endpoints.slack}conversations.history", params={"channel": "C404"}).json()
    assert missing == {"ok": False, "error": "channel_not_found"}
    channel = world.slack_channels[0]["id"]
    page = client.post(f"{endpoints.slack}conversations.history",
                       data={"channel": channel, "limit": "3"}).json()
    assert len(page["messages"]) == 3
    assert page["has_more"]
    assert page["response_metadata"]["next_cursor"]


def test_generator_is_seeded_and_the_export_has_slack_s_layout(tmp_path: Path) -> None:
    one, two = generator.generate(3, "tiny"), generator.generate(3, "tiny")
    assert one == two
    assert generator.generate(4, "tiny") != one
    root = generator.write_offline(one, tmp_path)
    channels = json.loads((root / "slack" / "channels.json").read_text())
    assert {c["name"] for c in channels} >= {"eng-payments", "random"}
    assert json.loads((root / "slack" / "users.json").read_text())[0]["id"].startswith("U")
    days = sorted((root / "slack" / "eng-payments").glob("*.json"))
    assert days
    assert days[0].name == "2026-03-02.json"
    people = generator.read_identities(root / "identities.csv")
    assert any(p["slack_user_id"] == "" for p in people), "the table has deliberate gaps"
