"""Recorded GitHub REST responses, served locally: npm `@octokit/fixtures-server` 8.1.7 on 127.0.0.1.

Why this server: its answers are not written by this project. `@octokit/fixtures` (23.1.1, pinned by
the server's own package) holds requests and responses recorded against api.github.com by Octokit's
maintainers, normalised (ids, dates, shas) but with GitHub's real status codes, bodies and headers:
the `Link` header with `rel="next"` URLs that point somewhere else than the URL asked
(`/repos/o/r/issues` pages on at `/repositories/1000/issues`), and `X-RateLimit-*` on every answer,
errors included. Exercise 14 points its GitHub reader at it to check that the reader follows GitHub's
own pagination, not only the project's fake (`exercises/ex14_developer_productivity/fake.py`), which
serves a larger seeded organisation and injects faults but whose headers this project wrote.

It is declared in `bootcamp/services/octokit/package.json` (exact version, with a lock file, so
`scripts/setup.sh` runs `npm ci` there) and needs only `node` (18+).

How it is used (its README): `POST /fixtures {"scenario": "<name>"}` loads one scenario (a folder name
under `node_modules/@octokit/fixtures/scenarios/api.github.com/`) and answers 201 with a URL that
stands for `https://api.github.com` for that scenario alone; the recorded requests are then made
there in the recorded order, exactly: method, path, query and the recorded headers
(`RECORDED_HEADERS`). Each is answered once; URLs in the answers (the `Link` header among them) are
rewritten to point back at this server. A request that was not recorded (another query, a page read
twice, another `Accept`) gets 404 with a JSON `error` saying what was expected. A loaded scenario
expires after `--ttl` (60 s by default).

Loopback only, nothing leaves the machine. The CLI ends in `app.listen(port)`, which binds every
interface and has no host option, so we run `octokit/loopback.mjs`: it wraps
`net.Server.prototype.listen` to pass 127.0.0.1, calls `nock.disableNetConnect()` (the server answers
by proxying to `fixtures-<id>.api.github.com`, which nock intercepts in the same process; with net
connect disabled a request nock cannot answer is an error, never a connection to a real host), then
loads the package's `bin/server.js` with its own options. `--fixtures-url` is
`http://127.0.0.1:<port>` so the rewritten links name the address we listen on (the default,
`localhost`, may resolve to ::1). `--fixtures` is the absolute glob of the scenarios, since the server
runs in `.bootcamp/octokit/`, not beside its `node_modules`.

Readiness is a real replay: load the `get-root` scenario and `GET /` with the recorded headers, which
must answer 200 with GitHub's root document. Measured here (Node 20, 2 cores shared): ready about 1 s
after launch, about 75 MB resident; it exits within 0.1 s of SIGTERM. The server keeps no data.

`OCTOKIT_FIXTURES_URL` names another running fixtures server (the project then starts nothing).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, ClassVar

import httpx

from bootcamp.errors import BootcampError
from bootcamp.services.base import LOCALHOST, Requirement, Service

PACKAGE_DIR = Path(__file__).with_name("octokit")
MODULES = PACKAGE_DIR / "node_modules"
SERVER_JS = MODULES / "@octokit" / "fixtures-server" / "bin" / "server.js"
SCENARIOS = MODULES / "@octokit" / "fixtures" / "scenarios" / "api.github.com"
LOOPBACK_JS = PACKAGE_DIR / "loopback.mjs"

# What every recorded request carried (the scenarios were recorded with a fixture token and the v3
# media type); the recorded request matches only when these are sent as they are.
RECORDED_TOKEN = "0000000000000000000000000000000000000001"  # noqa: S105 - the recordings' fake token
RECORDED_HEADERS = {"Accept": "application/vnd.github.v3+json", "Authorization": f"token {RECORDED_TOKEN}"}


def node_binary() -> str | None:
    return shutil.which("node") or shutil.which("node", path="/usr/bin:/usr/local/bin")


def scenarios() -> list[str]:
    """The names of the recorded scenarios the installed package holds (what `load_scenario` takes)."""
    if not SCENARIOS.is_dir():
        return []
    return sorted(p.name for p in SCENARIOS.iterdir() if (p / "normalized-fixture.json").is_file())


def recorded(scenario: str) -> list[dict[str, Any]]:
    """The recorded requests and responses of `scenario`, in order, as the package ships them."""
    path = SCENARIOS / scenario / "normalized-fixture.json"
    if not path.is_file():
        raise BootcampError(f"no recorded scenario {scenario!r}", hint=f"known: {', '.join(scenarios())}")
    loaded: list[dict[str, Any]] = json.loads(path.read_text())
    return loaded


def load_scenario(endpoint: str, scenario: str, client: httpx.Client | None = None) -> str:
    """Load `scenario` on the server at `endpoint`; the base URL that stands for api.github.com in it."""
    own = client is None
    http = client or httpx.Client(timeout=5)
    try:
        response = http.post(f"{endpoint.rstrip('/')}/fixtures", json={"scenario": scenario})
    finally:
        if own:
            http.close()
    if response.status_code != 201:
        raise BootcampError(f"the fixtures server refused scenario {scenario!r}: {response.text[:200]}",
                            hint=f"known: {', '.join(scenarios())}")
    url: str = response.json()["url"]
    return url


class OctokitFixturesService(Service):
    name: ClassVar[str] = "octokit"
    description: ClassVar[str] = "recorded GitHub REST responses (npm @octokit/fixtures-server 8.1.7)"
    endpoint_env: ClassVar[str] = "OCTOKIT_FIXTURES_URL"
    default_port: ClassVar[int] = 3000  # the server's own default
    port_env: ClassVar[str | None] = "BOOTCAMP_OCTOKIT_PORT"
    start_timeout_s: ClassVar[float] = 30.0

    def requirements(self) -> list[Requirement]:
        return [
            Requirement("Node.js 18+ (@octokit/fixtures-server is a Node program)", node_binary() is not None,
                        "apt-get install -y nodejs npm (or bash scripts/setup.sh)"),
            Requirement("the npm package @octokit/fixtures-server",
                        SERVER_JS.is_file() and SCENARIOS.is_dir(),
                        f"bash scripts/setup.sh (it runs `npm ci` in {PACKAGE_DIR})"),
        ]

    def command(self, port: int, data_dir: Path) -> list[str]:
        node = node_binary()
        assert node is not None, "requirements() guards this"
        return [node, str(LOOPBACK_JS), str(SERVER_JS), "--port", str(port),
                "--fixtures-url", self.endpoint_for(port), "--log-level", "warn",
                "--fixtures", str(SCENARIOS / "*" / "normalized-fixture.json")]

    def endpoint_for(self, port: int) -> str:
        return f"http://{LOCALHOST}:{port}"

    def is_healthy(self, endpoint: str) -> bool:
        """A recorded request replayed: `get-root` loaded, then `GET /` answered with GitHub's root."""
        try:
            with httpx.Client(timeout=2) as http:
                base = load_scenario(endpoint, "get-root", http)
                response = http.get(f"{base}/", headers=RECORDED_HEADERS)
            return response.status_code == 200 and "current_user_url" in response.json()
        except (httpx.HTTPError, BootcampError, ValueError, KeyError):
            return False
