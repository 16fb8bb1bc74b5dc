"""The local Kinesis: kinesis-mock compiled for Node (npm `kinesis-local` 0.6.2), on 127.0.0.1.

Why this server: it implements the Kinesis Data Streams API closely enough to teach with it: real
56-digit sequence numbers, streams that start CREATING and turn ACTIVE (so clients must wait, as on
AWS), ListShards, SplitShard/MergeShards with ParentShardId on the children, AT_TIMESTAMP iterators and
the 1 MiB record limit. It is declared in `bootcamp/services/kinesis/package.json` (exact version, with
a lock file, so `scripts/setup.sh` runs `npm ci` there) and needs only `node` (18+), no JVM or Docker.

Loopback only. kinesis-mock 0.6.2 hard-codes 0.0.0.0 as its listen address and has no setting for it
(its fs2 server calls `server.listen(port, callback)`, which Node binds to every interface). So we do
not run `main.js` directly but `kinesis/loopback.js`, ten lines of Node that wrap
`net.Server.prototype.listen` to pass host 127.0.0.1 and then `require` main.js; both its ports then
show as 127.0.0.1 in `ss -ltnp`. The same wrapper sets the server's environment from its argv:
`KINESIS_MOCK_CERT_PATH` (the package's own self-signed `server.json`, which it needs even though we
use only plain HTTP), `KINESIS_MOCK_PLAIN_PORT` (the endpoint: `http://127.0.0.1:<port>`, so no TLS
trust is needed), `KINESIS_MOCK_TLS_PORT` (another free port, unused), and `SHOULD_PERSIST_DATA` with
`PERSIST_PATH` under `.bootcamp/kinesis/data`: streams and records are written there every 5 s
(`PERSIST_INTERVAL`) and loaded at the next start, so a restart keeps what the last write saw.

Readiness is a real `ListStreams` through boto3. Measured here (Node 20, 2 cores shared with other
jobs): the first answer comes 3.5 s after launch on a quiet machine and 8-18 s under load; the server
holds 170-190 MB resident with a few small streams. It exits within 2 s of SIGTERM, writing its data
file as it goes (a stream and record put just before SIGTERM were there after the restart).

`AWS_ENDPOINT_URL_KINESIS` is the variable boto3 itself reads for the Kinesis endpoint (the
service-specific endpoint setting of the AWS SDKs), so every script reaches the local server through
it with no code change; set it yourself (to another server, or to
`https://kinesis.<region>.amazonaws.com` with real credentials) and the project starts nothing. The
server accepts any credentials; `env_for` adds dummy ones and a region only when the environment has
none, so real credentials are never overridden. Fidelity limits: it does not throttle (no
ProvisionedThroughputExceeded at 1 MB/s or 1000 records/s per shard); enhanced fan-out
(SubscribeToShard) is not a consumer you can rely on locally; and its 1 MiB record limit counts the
data blob only (a record of exactly 1 MiB of data plus its partition key is accepted, with
InvalidArgumentException from 1 MiB + 1 byte), where AWS counts data and partition key together.
"""

from __future__ import annotations

import os
import shutil
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from bootcamp.services.base import LOCALHOST, Requirement, Service, free_port

PACKAGE_DIR = Path(__file__).with_name("kinesis")
MAIN_JS = PACKAGE_DIR / "node_modules" / "kinesis-local" / "main.js"
LOOPBACK_JS = PACKAGE_DIR / "loopback.js"

# kinesis-mock accepts any signature; a 12-digit key id would select that account, "test" the default.
DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
DEFAULT_REGION = "us-east-1"


def node_binary() -> str | None:
    return shutil.which("node") or shutil.which("node", path="/usr/bin:/usr/local/bin")


@cache
def _probe_client(endpoint: str) -> Any:
    """A boto3 Kinesis client for health checks: short timeouts, no retries, its own credentials."""
    return boto3.session.Session().client(
        "kinesis", endpoint_url=endpoint, region_name=DEFAULT_REGION,
        aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        config=Config(connect_timeout=1, read_timeout=2, retries={"max_attempts": 1}),
    )


class KinesisService(Service):
    name: ClassVar[str] = "kinesis"
    description: ClassVar[str] = "Kinesis Data Streams (kinesis-mock for Node, npm kinesis-local 0.6.2)"
    endpoint_env: ClassVar[str] = "AWS_ENDPOINT_URL_KINESIS"
    default_port: ClassVar[int] = 4568  # kinesis-mock's own default plain-HTTP port
    port_env: ClassVar[str | None] = "BOOTCAMP_KINESIS_PORT"
    start_timeout_s: ClassVar[float] = 60.0

    def requirements(self) -> list[Requirement]:
        return [
            Requirement("Node.js 18+ (kinesis-local is a Node program)", node_binary() is not None,
                        "apt-get install -y nodejs npm (or bash scripts/setup.sh)"),
            Requirement("the npm package kinesis-local", MAIN_JS.is_file(),
                        f"bash scripts/setup.sh (it runs `npm ci` in {PACKAGE_DIR})"),
        ]

    def command(self, port: int, data_dir: Path) -> list[str]:
        node = node_binary()
        assert node is not None, "requirements() guards this"
        tls_port = free_port()
        while tls_port == port:
            tls_port = free_port()
        return [node, str(LOOPBACK_JS), str(MAIN_JS), str(port), str(tls_port), str(data_dir)]

    def endpoint_for(self, port: int) -> str:
        return f"http://{LOCALHOST}:{port}"

    def env_for(self, endpoint: str) -> dict[str, str]:
        """The endpoint, plus dummy credentials and a region only where the environment has none."""
        env = {self.endpoint_env: endpoint}
        if not (os.environ.get("AWS_ACCESS_KEY_ID") or os.environ.get("AWS_PROFILE")):
            env.update(DUMMY_CREDENTIALS)
        if not (os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")):
            env["AWS_DEFAULT_REGION"] = DEFAULT_REGION
        return env

    def is_healthy(self, endpoint: str) -> bool:
        """`ListStreams` answered: the server parses and serves Kinesis API calls."""
        try:
            response = _probe_client(endpoint).list_streams(Limit=1)
        except (BotoCoreError, ClientError, ValueError):
            return False
        return isinstance(response.get("StreamNames"), list)
