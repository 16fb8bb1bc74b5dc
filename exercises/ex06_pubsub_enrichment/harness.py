"""Plumbing shared by `bootcamp run`, `bootcamp bench` and the tests: topics and subscriptions, the
API and the enricher as processes, reading results back. Not part of what the learner writes.

Resources, and why two topics: the seed asks for "two subscriptions, one for raw and one for
enriched data". A subscription belongs to exactly one topic and receives everything published to it,
so raw and enriched data on one topic would reach both subscriptions, and the enricher would consume
its own output. The sound reading is two topics, each with its subscription:

    <p>-raw       ── <p>-raw-enricher     (the enricher; dead-letter policy + retry backoff)
    <p>-enriched  ── <p>-enriched-reader  (downstream consumers; one subscription per consumer)
    <p>-dead-letter ── <p>-dead-letter-reader (operators: inspect, fix, replay)
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from google.cloud import pubsub_v1

from bootcamp.pubsub.admin import (
    DeadLetter,
    Retry,
    delete_subscription,
    delete_topic,
    ensure_subscription,
    ensure_topic,
)
from bootcamp.pubsub.config import PubSubSettings
from bootcamp.services.base import free_port

PACKAGE = "exercises.ex06_pubsub_enrichment"
REPO_ROOT = Path(__file__).resolve().parents[2]
MAX_DELIVERY_ATTEMPTS = 10


@dataclass
class Resources:
    prefix: str
    project: str = field(default_factory=lambda: PubSubSettings().project())
    max_delivery_attempts: int = MAX_DELIVERY_ATTEMPTS

    def topic(self, what: str) -> str:
        return f"projects/{self.project}/topics/{self.prefix}-{what}"

    def subscription(self, what: str) -> str:
        return f"projects/{self.project}/subscriptions/{self.prefix}-{what}"

    def create(self, retry: Retry | None = None, ack_deadline_s: int = 30) -> Resources:
        """Create the topics and subscriptions (idempotent).

        Locally the raw subscription gets no retry policy unless asked: the emulator's delayed
        redelivery (the retry policy's backoff) breaks for good once two leases of redelivered
        messages expire together (see the README's Known limits), and from then on nacked and expired
        messages are never redelivered. The enricher spaces its redeliveries itself instead
        (`NACK_DELAY_S`); in the cloud the subscription's retry policy does it.
        """
        for what in ("raw", "enriched", "dead-letter"):
            ensure_topic(f"{self.prefix}-{what}", self.project)
        ensure_subscription(f"{self.prefix}-raw-enricher", self.topic("raw"), self.project,
                            ack_deadline_s=ack_deadline_s,
                            dead_letter=DeadLetter(self.topic("dead-letter"), self.max_delivery_attempts),
                            retry=retry)
        ensure_subscription(f"{self.prefix}-enriched-reader", self.topic("enriched"), self.project)
        ensure_subscription(f"{self.prefix}-dead-letter-reader", self.topic("dead-letter"), self.project)
        return self

    def delete(self) -> None:
        for what in ("raw-enricher", "enriched-reader", "dead-letter-reader"):
            delete_subscription(self.subscription(what))
        for what in ("raw", "enriched", "dead-letter"):
            delete_topic(self.topic(what))

    def enricher_env(self, bookstore_url: str, **extra: str) -> dict[str, str]:
        return {"PUBSUB_PROJECT_ID": self.project, "RAW_SUBSCRIPTION": f"{self.prefix}-raw-enricher",
                "ENRICHED_TOPIC": f"{self.prefix}-enriched",
                "DEAD_LETTER_TOPIC": f"{self.prefix}-dead-letter",
                "BOOKSTORE_URL": bookstore_url, "MAX_DELIVERY_ATTEMPTS": str(self.max_delivery_attempts),
                # No retry policy on the local subscription (see `create`): the enricher spaces its
                # redeliveries itself, 1 s doubling per attempt, so an outage is not burnt through
                # ten deliveries in a second.
                "NACK_DELAY_S": "1",
                **extra}


def unique_resources(label: str = "ex06") -> Resources:
    return Resources(f"{label}-{uuid.uuid4().hex[:8]}").create()


def _impl(impl: str | None) -> str:
    return impl or os.environ.get("BOOTCAMP_IMPL", "solution")


class PortTakenError(Exception):
    """uvicorn could not bind."""


class ApiProcess:
    """The impl's Bookstore API under uvicorn on a fixed port, so it can be killed and brought back."""

    def __init__(self, impl: str | None = None, port: int | None = None, log: Path | None = None) -> None:
        self.impl = _impl(impl)
        self.fixed_port = port is not None
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 30.0) -> ApiProcess:
        """Start it; on a port lost to another process meanwhile (uvicorn exits 3), try a fresh one."""
        for _ in range(3):
            try:
                return self._start(timeout_s)
            except PortTakenError:
                if self.fixed_port and self.process is not None:
                    time.sleep(1)  # the same port is needed (a restart): wait for it
                else:
                    self.port = free_port()
                    self.url = f"http://127.0.0.1:{self.port}"
        raise RuntimeError(f"bookstore API could not bind a port (last {self.port})")

    def _start(self, timeout_s: float) -> ApiProcess:
        argv = [sys.executable, "-m", "uvicorn", f"{PACKAGE}.{self.impl}.bookstore_api:app",
                "--host", "127.0.0.1", "--port", str(self.port), "--no-access-log"]
        out = self.log.open("ab") if self.log else subprocess.DEVNULL
        self.process = subprocess.Popen(argv, cwd=REPO_ROOT, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                if self.process.returncode == 3:  # uvicorn: startup failure, here a taken port
                    raise PortTakenError(self.port)
                raise RuntimeError(f"bookstore API exited with {self.process.returncode}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("bookstore API did not become healthy")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.fixed_port = True  # a restart must come back on the same address


def start_enricher(resources: Resources, bookstore_url: str, impl: str | None = None,
                   log: Path | None = None, **extra: str) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", f"{PACKAGE}.{_impl(impl)}.enricher"]
    out = log.open("wb") if log else subprocess.DEVNULL
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **resources.enricher_env(bookstore_url, **extra)}
    return subprocess.Popen(argv, cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def start_baseline(resources: Resources, log: Path | None = None, **extra: str) -> subprocess.Popen[bytes]:
    """The bench's baseline (`baseline.py`): republish raw to enriched without enriching."""
    out = log.open("wb") if log else subprocess.DEVNULL
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **resources.enricher_env("http://unused", **extra)}
    return subprocess.Popen([sys.executable, "-m", f"{PACKAGE}.baseline"], cwd=REPO_ROOT, env=env,
                            stdout=out, stderr=subprocess.STDOUT)


def wait_ready(process: subprocess.Popen[bytes], log: Path, timeout_s: float = 30.0,
               word: str = "enricher ready") -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if word in log.read_text(errors="replace"):
            return
        if process.poll() is not None:
            raise RuntimeError(f"enricher exited with {process.returncode}: {log.read_text()[-2000:]}")
        time.sleep(0.1)
    raise RuntimeError("enricher did not get ready")


def stop(process: subprocess.Popen[bytes], timeout_s: float = 30.0) -> int | None:
    if process.poll() is not None:
        return process.returncode
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return None


def collect(subscription: str, until: int, timeout_s: float,
            subscriber: pubsub_v1.SubscriberClient | None = None) -> list[Any]:
    """Pull (and ack) until `until` distinct messages arrived or time is up; returns every message.

    Distinct by the `event_id` attribute when there is one (at-least-once delivery means an enriched
    event may arrive twice), else by payload.
    """
    subscriber = subscriber or pubsub_v1.SubscriberClient()
    got: list[Any] = []
    distinct: set[Any] = set()
    deadline = time.monotonic() + timeout_s
    while len(distinct) < until and time.monotonic() < deadline:
        try:
            response = subscriber.pull(request={"subscription": subscription, "max_messages": 1000},
                                       timeout=2)
        except Exception:  # DEADLINE_EXCEEDED on an idle subscription: pull again
            time.sleep(0.1)
            continue
        if response.received_messages:
            subscriber.acknowledge(request={"subscription": subscription,
                                            "ack_ids": [m.ack_id for m in response.received_messages]})
            got.extend(m.message for m in response.received_messages)
            distinct.update(m.message.attributes.get("event_id") or m.message.data
                            for m in response.received_messages)
    return got


def enriched_ids(messages: list[Any]) -> dict[str, dict[str, Any]]:
    """event_id -> enriched record (duplicates, which at-least-once allows, collapse)."""
    return {json.loads(m.data)["event"]["event_id"]: json.loads(m.data) for m in messages}


def bookstore_url() -> str:
    """BOOKSTORE_URL, else the platform's running Bookstore service; a clear error otherwise."""
    explicit = os.environ.get("BOOKSTORE_URL")
    if explicit:
        return explicit
    from bootcamp.errors import BootcampError
    from bootcamp.services.bookstore import BookstoreService

    endpoint = BookstoreService().running_endpoint()
    if endpoint is None:
        raise BootcampError("the Bookstore API is not running",
                            hint="run `bootcamp up bookstore`, or export BOOKSTORE_URL")
    return endpoint
