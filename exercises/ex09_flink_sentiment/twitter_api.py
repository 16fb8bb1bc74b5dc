"""A local stand-in for the Twitter (X) API v2 endpoints Tweepy calls, serving generated tweets.

No network reaches the real API here, so this FastAPI app answers the same routes with the same JSON
shapes and the same rate-limit behaviour, and Tweepy itself talks to it (see `producer.redirect`):

- `GET /2/tweets/search/recent?query=&max_results=&next_token=`: pages of `data` plus `meta`
  (`result_count`, `newest_id`, `oldest_id`, `next_token` while more remain), newest first as v2 does.
  The query matches hashtags (`#flink`), plain words, `OR` between terms, and `-is:retweet`.
- `GET|POST /2/tweets/search/stream/rules`: list, add (`{"add": [{"value", "tag"}]}`) and delete
  (`{"delete": {"ids": [...]}}`) filtered-stream rules.
- `GET /2/tweets/search/stream`: newline-delimited `{"data": ..., "matching_rules": [...]}` objects
  for tweets matching a rule, with blank keep-alive lines, then the connection ends.
- Every response carries `x-rate-limit-limit`, `x-rate-limit-remaining` and `x-rate-limit-reset`
  (epoch seconds); past the limit in a window the answer is 429 with v2's problem JSON. `fail_next`
  makes the next requests answer 503, for the producer's back-off tests.

The tweets are generated (`generator.py`), a seeded mix with hashtags, emoji, mentions, retweets,
other languages and some defective records.
Run it with `python -m exercises.ex09_flink_sentiment.twitter_api`.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from exercises.ex09_flink_sentiment import generator


@dataclass
class Limits:
    """Requests allowed per endpoint per window (v2: 450 per 15 min for recent search, app auth)."""

    requests: int = 450
    window_s: float = 900.0


@dataclass
class State:
    tweets: list[dict[str, Any]]
    limits: Limits = field(default_factory=Limits)
    fail_next: int = 0
    rules: dict[str, dict[str, str]] = field(default_factory=dict)
    calls: dict[str, list[float]] = field(default_factory=dict)
    requests: list[tuple[str, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def matches(tweet: dict[str, Any], query: str) -> bool:
    """A small subset of v2's query language: terms, `OR`, `#hashtag`, `-is:retweet`."""
    text = tweet.get("text")
    if not isinstance(text, str):
        text = ""
    tags = {h.get("tag", "").lower() for h in tweet.get("entities", {}).get("hashtags", [])}
    words = query.split()
    if "-is:retweet" in words:
        if any(r.get("type") == "retweeted" for r in tweet.get("referenced_tweets", [])):
            return False
        words = [w for w in words if w != "-is:retweet"]
    terms = [w for w in words if w != "OR"]
    if not terms:
        return True

    def hit(term: str) -> bool:
        return term[1:].lower() in tags if term.startswith("#") else term.lower() in text.lower()

    return any(hit(t) for t in terms) if "OR" in words else all(hit(t) for t in terms)


def create_app(state: State) -> FastAPI:  # noqa: PLR0915  # one closure per route
    app = FastAPI(title="Twitter API v2 stand-in (generated tweets)")

    def limited(endpoint: str) -> tuple[dict[str, str], bool]:
        """Rate-limit headers for this call, and whether it is over the limit."""
        now = time.time()
        with state.lock:
            calls = [t for t in state.calls.get(endpoint, []) if now - t < state.limits.window_s]
            over = len(calls) >= state.limits.requests
            if not over:
                calls.append(now)
            state.calls[endpoint] = calls
            reset = int((calls[0] if calls else now) + state.limits.window_s) + 1
            remaining = max(0, state.limits.requests - len(calls))
        return {
            "x-rate-limit-limit": str(state.limits.requests),
            "x-rate-limit-remaining": str(remaining),
            "x-rate-limit-reset": str(reset),
        }, over

    def gate(request: Request, endpoint: str) -> tuple[dict[str, str], Response | None]:
        headers, over = limited(endpoint)
        with state.lock:
            failing = state.fail_next > 0
            state.fail_next -= 1 if failing else 0
        status = 503 if failing else 429 if over else 200
        state.requests.append((endpoint, status))
        if failing:
            return headers, JSONResponse(
                {
                    "title": "Service Unavailable",
                    "detail": "Service Unavailable",
                    "type": "about:blank",
                    "status": 503,
                },
                503,
                headers,
            )
        if over:
            return headers, JSONResponse(
                {
                    "title": "Too Many Requests",
                    "detail": "Too Many Requests",
                    "type": "about:blank",
                    "status": 429,
                },
                429,
                headers,
            )
        return headers, None

    @app.get("/2/tweets/search/recent")
    def search_recent(
        request: Request, query: str, max_results: int = 10, next_token: str | None = None
    ) -> Response:
        headers, refused = gate(request, "search_recent")
        if refused:
            return refused
        if not 10 <= max_results <= 100:
            return JSONResponse(
                {
                    "errors": [{"message": "max_results must be between 10 and 100"}],
                    "title": "Invalid Request",
                    "type": "https://api.twitter.com/2/problems/invalid-request",
                },
                400,
                headers,
            )
        found = [t for t in reversed(state.tweets) if matches(t, query)]
        start = int(next_token or 0)
        page = found[start : start + max_results]
        meta: dict[str, Any] = {"result_count": len(page)}
        if page:
            meta |= {"newest_id": str(page[0].get("id", "")), "oldest_id": str(page[-1].get("id", ""))}
        if start + max_results < len(found):
            meta["next_token"] = str(start + max_results)
        body: dict[str, Any] = {"meta": meta}
        if page:
            body["data"] = page
        return JSONResponse(body, 200, headers)

    @app.get("/2/tweets/search/stream/rules")
    def get_rules(request: Request) -> Response:
        headers, refused = gate(request, "rules")
        if refused:
            return refused
        rules = list(state.rules.values())
        body: dict[str, Any] = {
            "meta": {
                "sent": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
                "result_count": len(rules),
            }
        }
        if rules:
            body["data"] = rules
        return JSONResponse(body, 200, headers)

    @app.post("/2/tweets/search/stream/rules")
    async def change_rules(request: Request) -> Response:
        headers, refused = gate(request, "rules")
        if refused:
            return refused
        payload = await request.json()
        created = []
        with state.lock:
            for rule in payload.get("add", []):
                rule_id = str(1_000_000 + len(state.rules) + len(state.requests))
                state.rules[rule_id] = {
                    "id": rule_id,
                    "value": rule["value"],
                    **({"tag": rule["tag"]} if "tag" in rule else {}),
                }
                created.append(state.rules[rule_id])
            deleted = [i for i in payload.get("delete", {}).get("ids", []) if state.rules.pop(i, None)]
        summary = (
            {"created": len(created), "not_created": 0, "valid": len(created), "invalid": 0}
            if created
            else {"deleted": len(deleted), "not_deleted": 0}
        )
        sent = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
        return JSONResponse(
            {"data": created, "meta": {"sent": sent, "summary": summary}}
            if created
            else {"meta": {"sent": sent, "summary": summary}},
            200,
            headers,
        )

    @app.get("/2/tweets/search/stream")
    def stream(request: Request) -> Response:
        headers, refused = gate(request, "stream")
        if refused:
            return refused

        def lines() -> Iterator[bytes]:
            rules = list(state.rules.values())
            for i, tweet in enumerate(state.tweets):
                hits = [{"id": r["id"], "tag": r.get("tag", "")} for r in rules if matches(tweet, r["value"])]
                if hits:
                    yield json.dumps({"data": tweet, "matching_rules": hits}).encode() + b"\r\n"
                if i % 50 == 0:
                    yield b"\r\n"  # keep-alive, as v2 sends every 20 s

        return StreamingResponse(lines(), 200, headers, media_type="application/json")

    return app


@contextmanager
def serving(state: State) -> Iterator[str]:
    """The stand-in under uvicorn in a thread of this process, on a free 127.0.0.1 port: its base URL.

    A thread rather than a child process, so that a test can change `state` (limits, faults) and read
    what it served while the producer runs."""
    import uvicorn

    from bootcamp.services.base import free_port

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(state), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError(f"the Twitter API stand-in did not start on port {port}")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def main() -> None:
    import uvicorn

    count = int(os.environ.get("EX09_API_TWEETS", "1000"))
    state = State(generator.tweets(count))
    port = int(os.environ.get("EX09_API_PORT", "8089"))
    uvicorn.run(create_app(state), host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main()
