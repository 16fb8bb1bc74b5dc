"""A fault-injecting proxy in front of kinesis-local: what a throttled or slow Kinesis looks like.

kinesis-local never throttles, so a PutRecords there never fails in part; on AWS it does, per entry
(ProvisionedThroughputExceededException past 1 MiB/s or 1000 records/s per shard). This proxy
forwards every Kinesis API call unchanged, except PutRecords entries whose data contains a marker
the test chose: those are answered as AWS answers a throttled entry (an ErrorCode and ErrorMessage in
their slot of `Records`, counted in `FailedRecordCount`) and not written, for the next N calls or for
ever; or the call is held for a while before it is forwarded (a slow dependency, to make a function
time out or to kill the mapping while an invocation is in flight). It also records which entries
each PutRecords carried, so a test can see that a retry resent only the refused ones.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

PUT_RECORDS = "Kinesis_20131202.PutRecords"
THROTTLED = {"ErrorCode": "ProvisionedThroughputExceededException",
             "ErrorMessage": "Rate exceeded for shard shardId-000000000000 (injected by the test proxy)"}


@dataclass
class Rule:
    marker: bytes
    times: int  # calls that refuse a matching entry; -1: every call
    refused: int = 0


@dataclass
class Delay:
    marker: bytes
    seconds: float
    times: int
    started: threading.Event = field(default_factory=threading.Event)


class FaultyKinesis:
    """The proxy: `url` is the endpoint to give clients; `stop()` when done."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.rules: list[Rule] = []
        self.delays: list[Delay] = []
        self.puts: list[list[bytes]] = []  # the data of each PutRecords's entries, as received
        self._lock = threading.Lock()
        self._client = httpx.Client(timeout=30)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status, headers, payload = proxy.handle(self.headers.get("X-Amz-Target", ""), body,
                                                        dict(self.headers.items()))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def refuse(self, marker: bytes, times: int = -1) -> Rule:
        """Refuse entries containing `marker` in the next `times` PutRecords calls (-1: always)."""
        rule = Rule(marker, times)
        with self._lock:
            self.rules.append(rule)
        return rule

    def delay(self, marker: bytes, seconds: float, times: int = 1) -> Delay:
        """Hold the next `times` PutRecords calls carrying `marker` for `seconds` before forwarding."""
        held = Delay(marker, seconds, times)
        with self._lock:
            self.delays.append(held)
        return held

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()
            self.delays.clear()

    def _forward(self, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        keep = {k: v for k, v in headers.items() if k.lower() in ("content-type", "x-amz-target",
                                                                   "authorization", "x-amz-date")}
        response = self._client.post(self.upstream + "/", content=body, headers=keep)
        return response.status_code, {"Content-Type": response.headers.get(
            "content-type", "application/x-amz-json-1.1")}, response.content

    def handle(self, target: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        if target != PUT_RECORDS:
            return self._forward(body, headers)
        request = json.loads(body)
        datas = [base64.b64decode(e["Data"]) for e in request["Records"]]
        with self._lock:
            self.puts.append(datas)
            delay = next((d for d in self.delays if d.times and any(d.marker in x for x in datas)), None)
            if delay is not None:
                delay.times -= 1
            refused: set[int] = set()
            for rule in self.rules:
                if rule.times == 0:
                    continue
                hits = {i for i, x in enumerate(datas) if rule.marker in x}
                if hits:
                    refused |= hits
                    rule.refused += len(hits)
                    rule.times -= 1 if rule.times > 0 else 0
        if delay is not None:
            delay.started.set()
            time.sleep(delay.seconds)
        if not refused:
            return self._forward(body, headers)
        kept = [e for i, e in enumerate(request["Records"]) if i not in refused]
        results: list[dict[str, Any]] = []
        if kept:
            status, out_headers, payload = self._forward(json.dumps({**request, "Records": kept}).encode(),
                                                         headers)
            if status != 200:
                return status, out_headers, payload
            results = json.loads(payload)["Records"]
        merged, upstream = [], iter(results)
        for i in range(len(datas)):
            merged.append(dict(THROTTLED) if i in refused else next(upstream))
        failed = sum(1 for r in merged if "ErrorCode" in r)
        return 200, {"Content-Type": "application/x-amz-json-1.1"}, json.dumps(
            {"FailedRecordCount": failed, "Records": merged, "EncryptionType": "NONE"}).encode()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._client.close()
