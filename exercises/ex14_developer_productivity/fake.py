"""One project-owned fake of the three APIs, serving a generated `World`. Provided.

It speaks what the pipeline's readers must cope with on the real services:

- **GitHub REST** under `/api/v3` (GitHub Enterprise Server's prefix, so a client's `base_url` points
  here unchanged): `page`/`per_page` (default 30, at most 100) with an RFC 8288 `Link` header
  (`next`, `last`, `first`, `prev`), a weak `ETag` on every answer and `304 Not Modified` to a matching
  `If-None-Match` (not counted against the limit, as GitHub documents), `X-RateLimit-Limit/-Remaining/
  -Used/-Reset/-Resource` on every answer (a 404 too, as in GitHub's recorded answers), the primary
  limit as `403` with `X-RateLimit-Remaining: 0`, and the secondary limit as `429` with `Retry-After`.
- **Jira Cloud REST v3**: `GET /rest/api/3/search?jql=...&startAt=&maxResults=&expand=changelog`,
  `total` in the body, `maxResults` capped at 100 (the server may return fewer than asked).
- **Slack Web API** under `/slack/api/`: `conversations.list`, `users.list`, `conversations.history`
  with `cursor`/`limit` and `response_metadata.next_cursor`, `{"ok": false, "error": ...}` errors and
  `429` + `Retry-After` when rate limited.

Faults are injected through `Control` (tests hold it; the app reads it on every request): a `Fault`
matches a request by a substring of its path and query, and answers with `429` (+ `Retry-After`), the
real answer with its body cut in half (malformed JSON, headers intact), or `500`. While a 429's
`Retry-After` has not
elapsed every request of that API is answered 429 again, so a client that retries at once exhausts its
attempts. Every request is recorded with its monotonic time and status.

`serve(world)` runs it with uvicorn in a thread on 127.0.0.1 (a free port) for the life of a `with`
block: tests start it once per session, `bootcamp run` and the bench once per run.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode

import uvicorn
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from exercises.ex14_developer_productivity.generator import ORG, World

MAX_PER_PAGE = 100
GITHUB_DEFAULT_PER_PAGE = 30


@dataclass
class Fault:
    """Answer the first `times` requests whose path+query contains `match` with `kind`."""

    match: str
    kind: str  # "rate_limit" | "malformed" | "error"
    times: int = 1
    retry_after: int = 1
    skip: int = 0
    """Let this many matching requests through first (the fault hits a later page)."""


@dataclass
class Recorded:
    at: float  # time.monotonic()
    api: str
    target: str  # path?query
    status: int


@dataclass
class Control:
    """The fake's mutable state: faults to inject, the request log, the primary rate limit."""

    faults: list[Fault] = field(default_factory=list)
    requests: list[Recorded] = field(default_factory=list)
    limit: int = 1_000_000
    used: int = 0
    jira_max_results: int = MAX_PER_PAGE
    """The most issues Jira returns per page, whatever `maxResults` asked (Jira Cloud caps it too)."""
    blocked_until: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self.lock:
            self.faults.clear()
            self.requests.clear()
            self.blocked_until.clear()
            self.used = 0
            self.limit = 1_000_000
            self.jira_max_results = MAX_PER_PAGE

    def inject(self, *faults: Fault) -> None:
        with self.lock:
            self.faults.extend(faults)

    def log(self, api: str | None = None) -> list[Recorded]:
        with self.lock:
            return [r for r in self.requests if api is None or r.api == api]


def _target(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def _api(path: str) -> str:
    return "github" if path.startswith("/api/v3") else "jira" if path.startswith("/rest/") else "slack"


class _Answered(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


def create_app(world: World, control: Control) -> FastAPI:  # noqa: PLR0915 - one route each
    app = FastAPI(title="ex14 fake: GitHub, Jira, Slack")
    pulls_by_number = {(repo, p["number"]): p for repo, ps in world.pulls.items() for p in ps}

    @app.middleware("http")
    async def faults_and_log(request: Request, call_next: Any) -> Response:
        target, api = _target(request), _api(request.url.path)
        now = time.monotonic()
        response: Response | None = None
        truncate = False
        with control.lock:
            if control.blocked_until.get(api, 0.0) > now:
                wait = max(1, round(control.blocked_until[api] - now + 0.499))
                response = _rate_limited(api, wait)
            else:
                for fault in control.faults:
                    if fault.times > 0 and fault.match in target:
                        if fault.skip > 0:
                            fault.skip -= 1
                            continue
                        fault.times -= 1
                        truncate = fault.kind == "malformed"
                        response = None if truncate else _fault(api, fault)
                        if fault.kind == "rate_limit":
                            control.blocked_until[api] = now + fault.retry_after
                        break
        if response is None:
            response = await call_next(request)
            if truncate:  # the real answer, headers (Link) and all, cut in the middle of its body
                body = b"".join([chunk async for chunk in response.body_iterator])  # type: ignore[union-attr]
                headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
                response = Response(body[: max(1, len(body) // 2)], status_code=response.status_code,
                                    headers=headers)
        with control.lock:
            control.requests.append(Recorded(now, api, target, response.status_code))
        return response

    # -- GitHub ----------------------------------------------------------------------------------------
    def github(request: Request, items: list[Any]) -> Response:
        query = request.query_params
        try:
            per_page = min(MAX_PER_PAGE, max(1, int(query.get("per_page", GITHUB_DEFAULT_PER_PAGE))))
            page = max(1, int(query.get("page", 1)))
        except ValueError:
            return JSONResponse({"message": "Invalid page parameter"}, status_code=422)
        body = json.dumps(items[(page - 1) * per_page : page * per_page]).encode()
        etag = 'W/"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        last = max(1, -(-len(items) // per_page))
        links = []
        base = {k: v for k, v in query.items() if k not in ("page", "per_page")}

        def link(p: int, rel: str) -> str:
            return (
                f"<{request.url.replace(query=urlencode(base | {'per_page': per_page, 'page': p}))}>; "
                f'rel="{rel}"'
            )

        if page < last:
            links += [link(page + 1, "next"), link(last, "last")]
        if page > 1:
            links += [link(1, "first"), link(page - 1, "prev")]
        headers = {"ETag": etag, "Cache-Control": "private, max-age=60, s-maxage=60"}
        if links:
            headers["Link"] = ", ".join(links)
        with control.lock:
            if request.headers.get("if-none-match") == etag:  # not counted against the limit
                return Response(status_code=304, headers=headers | _limit_headers(control))
            if control.used >= control.limit:
                return _primary_limit(control)
            control.used += 1
            headers |= _limit_headers(control)
        return Response(body, media_type="application/json; charset=utf-8", headers=headers)

    def not_found() -> Response:
        """GitHub's 404, counted against the limit and with its `X-RateLimit-*` headers, as GitHub's own
        404s carry them (the recorded `branch-protection` answer of @octokit/fixtures)."""
        with control.lock:
            if control.used >= control.limit:
                return _primary_limit(control)
            control.used += 1
            return JSONResponse({"message": "Not Found", "documentation_url": "https://docs.github.com/rest"},
                                status_code=404, headers=_limit_headers(control))

    def repo_or_404(repo: str, owner: str) -> None:
        if owner != ORG or repo not in world.commits:
            raise _Answered(not_found())

    @app.exception_handler(_Answered)
    async def answered(_request: Request, exc: _Answered) -> Response:
        return exc.response

    @app.get("/api/v3/orgs/{org}/repos")
    def repos(org: str, request: Request) -> Response:
        return github(request, world.repos if org == ORG else [])

    @app.get("/api/v3/repos/{owner}/{repo}/commits")
    def commits(owner: str, repo: str, request: Request) -> Response:
        repo_or_404(repo, owner)
        return github(request, world.commits[repo])

    @app.get("/api/v3/repos/{owner}/{repo}/pulls")
    def pulls(owner: str, repo: str, request: Request, state: str = "open") -> Response:
        repo_or_404(repo, owner)
        return github(request, [p for p in world.pulls[repo] if state == "all" or p["state"] == state])

    @app.get("/api/v3/repos/{owner}/{repo}/pulls/{number}/reviews")
    def reviews(owner: str, repo: str, number: int, request: Request) -> Response:
        repo_or_404(repo, owner)
        if (repo, number) not in pulls_by_number:
            return not_found()
        return github(request, world.reviews.get((repo, number), []))

    @app.get("/api/v3/repos/{owner}/{repo}/pulls/{number}/commits")
    def pull_commits(owner: str, repo: str, number: int, request: Request) -> Response:
        repo_or_404(repo, owner)
        return github(request, world.pull_commits.get((repo, number), []))

    @app.get("/api/v3/repos/{owner}/{repo}/issues/{number}/events")
    def events(owner: str, repo: str, number: int, request: Request) -> Response:
        repo_or_404(repo, owner)
        return github(request, world.events.get((repo, number), []))

    @app.get("/api/v3/repos/{owner}/{repo}/issues")
    def issues(owner: str, repo: str, request: Request) -> Response:
        repo_or_404(repo, owner)
        return github(request, world.issues.get(repo, []))

    @app.get("/api/v3/repos/{owner}/{repo}/deployments")
    def deployments(owner: str, repo: str, request: Request) -> Response:
        repo_or_404(repo, owner)
        return github(request, world.deployments.get(repo, []))

    @app.get("/api/v3/rate_limit")
    def rate_limit() -> Response:
        with control.lock:
            headers = _limit_headers(control)
        core = {
            "limit": int(headers["X-RateLimit-Limit"]),
            "remaining": int(headers["X-RateLimit-Remaining"]),
            "reset": int(headers["X-RateLimit-Reset"]),
            "used": int(headers["X-RateLimit-Used"]),
        }
        return JSONResponse({"resources": {"core": core}, "rate": core}, headers=headers)

    # -- Jira --------------------------------------------------------------------------------------------
    @app.get("/rest/api/3/search")
    def jira_search(
        jql: str = "",
        startAt: int = 0,  # noqa: N803 - Jira's names
        maxResults: int = 50,  # noqa: N803
        expand: str = "",
    ) -> Response:
        if startAt < 0 or maxResults < 0:
            return JSONResponse(
                {"errorMessages": ["startAt and maxResults must be >= 0"], "errors": {}}, status_code=400
            )
        size = min(maxResults, control.jira_max_results)
        chosen = (
            world.jira_issues
            if "project" not in jql or jql.rsplit("=", maxsplit=1)[-1].strip() == "ENG"
            else []
        )
        page = chosen[startAt : startAt + size]
        if "changelog" not in expand.split(","):
            page = [{k: v for k, v in issue.items() if k != "changelog"} for issue in page]
        return JSONResponse(
            {
                "expand": "schema,names",
                "startAt": startAt,
                "maxResults": size,
                "total": len(chosen),
                "issues": page,
            }
        )

    # -- Slack -------------------------------------------------------------------------------------------
    def cursor_page(items: list[Any], cursor: str, limit: int) -> tuple[list[Any], str]:
        start = int(cursor.removeprefix("dGVhbTpD")) if cursor else 0  # an opaque-looking offset
        size = max(1, min(limit or 100, 1000))
        nxt = f"dGVhbTpD{start + size}" if start + size < len(items) else ""
        return items[start : start + size], nxt

    async def slack_args(request: Request) -> dict[str, str]:
        args = dict(request.query_params)
        if request.method == "POST":  # Slack's clients post forms (parsed here without python-multipart)
            args |= {k: v[-1] for k, v in parse_qs((await request.body()).decode()).items()}
        return args

    @app.api_route("/slack/api/conversations.history", methods=["GET", "POST"])
    async def history(request: Request) -> Response:
        args = await slack_args(request)
        messages = world.slack_messages.get(args.get("channel", ""))
        if messages is None:
            return JSONResponse({"ok": False, "error": "channel_not_found"})
        page, nxt = cursor_page(messages, args.get("cursor", ""), int(args.get("limit", 100)))
        return JSONResponse(
            {
                "ok": True,
                "messages": page,
                "has_more": bool(nxt),
                "pin_count": 0,
                "response_metadata": {"next_cursor": nxt},
            }
        )

    @app.api_route("/slack/api/conversations.list", methods=["GET", "POST"])
    async def channels(request: Request) -> Response:
        args = await slack_args(request)
        page, nxt = cursor_page(world.slack_channels, args.get("cursor", ""), int(args.get("limit", 100)))
        return JSONResponse({"ok": True, "channels": page, "response_metadata": {"next_cursor": nxt}})

    @app.api_route("/slack/api/users.list", methods=["GET", "POST"])
    async def users(request: Request) -> Response:
        args = await slack_args(request)
        page, nxt = cursor_page(world.slack_users, args.get("cursor", ""), int(args.get("limit", 100)))
        return JSONResponse({"ok": True, "members": page, "response_metadata": {"next_cursor": nxt}})

    return app


def _limit_headers(control: Control) -> dict[str, str]:
    reset = int(time.time()) + 3600
    return {
        "X-RateLimit-Limit": str(control.limit),
        "X-RateLimit-Remaining": str(max(0, control.limit - control.used)),
        "X-RateLimit-Used": str(control.used),
        "X-RateLimit-Reset": str(reset),
        "X-RateLimit-Resource": "core",
    }


def _primary_limit(control: Control) -> Response:
    """GitHub's primary rate limit: 403 with `X-RateLimit-Remaining: 0` until `X-RateLimit-Reset`."""
    return JSONResponse(
        {
            "message": "API rate limit exceeded for user ID 1.",
            "documentation_url": "https://docs.github.com/rest/overview/rate-limits",
        },
        status_code=403,
        headers=_limit_headers(control),
    )


def _rate_limited(api: str, wait: int) -> Response:
    bodies: dict[str, dict[str, Any]] = {
        "github": {
            "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you "
            "try again.",
            "documentation_url": "https://docs.github.com/rest",
        },
        "jira": {"errorMessages": ["Rate limit exceeded."]},
        "slack": {"ok": False, "error": "ratelimited"},
    }
    return JSONResponse(bodies[api], status_code=429, headers={"Retry-After": str(wait)})


def _fault(api: str, fault: Fault) -> Response:
    if fault.kind == "rate_limit":
        return _rate_limited(api, fault.retry_after)
    return JSONResponse({"message": "Server Error"}, status_code=500)


@dataclass(frozen=True)
class Endpoints:
    """Where each API of the fake (or of the real services) is."""

    github: str
    jira: str
    slack: str

    @classmethod
    def at(cls, base: str) -> Endpoints:
        return cls(github=f"{base}/api/v3", jira=base, slack=f"{base}/slack/api/")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def serve(world: World, control: Control | None = None) -> Iterator[tuple[Endpoints, Control]]:
    """Run the fake in a thread on a free 127.0.0.1 port; yields its endpoints and its `Control`."""
    control = control or Control()
    config = uvicorn.Config(
        create_app(world, control),
        host="127.0.0.1",
        port=_free_port(),
        log_level="warning",
        access_log=False,
        lifespan="off",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="ex14-fake", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:  # uvicorn sets it once the socket listens
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the ex14 fake did not start on port {config.port}")
        time.sleep(0.01)
    try:
        yield Endpoints.at(f"http://127.0.0.1:{config.port}"), control
    finally:
        server.should_exit = True
        thread.join(timeout=10)
