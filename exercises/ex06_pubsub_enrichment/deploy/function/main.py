"""The raw-event generator as a Google Cloud Function (2nd gen, HTTP), fired by Cloud Scheduler.

Each call publishes `count` shop events for books drawn with skewed popularity from the catalog, and
returns once Pub/Sub accepted them all. Deployed from the tree `deploy/stage.sh` builds (which puts
the generator and the catalog beside this file, in their package); run locally with functions-framework.
Configuration: RAW_TOPIC, PUBSUB_PROJECT_ID (or GOOGLE_CLOUD_PROJECT), BATCH_COUNT, BATCH_RATE.
"""

from __future__ import annotations

import functools
import importlib
import os
import random
from types import ModuleType
from typing import Any

import functions_framework
from flask import Request
from google.cloud import pubsub_v1

from exercises.ex06_pubsub_enrichment.catalog import build_catalog

MAX_COUNT = 5000


def _generator() -> ModuleType:
    impl = os.environ.get("BOOTCAMP_IMPL", "solution")  # the staged tree always has it as `solution`
    return importlib.import_module(f"exercises.ex06_pubsub_enrichment.{impl}.generator")


@functools.cache
def _publisher() -> pubsub_v1.PublisherClient:
    """One client per instance: it holds the gRPC channel and the batching threads."""
    return pubsub_v1.PublisherClient()


@functions_framework.http  # type: ignore[untyped-decorator]  # the framework is untyped
def publish_events(request: Request) -> tuple[dict[str, Any], int]:
    """POST {"count": N, "rate": R} (both optional) -> {"published": N, "topic": ...}."""
    body = request.get_json(silent=True) or {}
    try:
        count = int(body.get("count", os.environ.get("BATCH_COUNT", "100")))
        rate = float(body.get("rate", os.environ.get("BATCH_RATE", "0")))
    except (TypeError, ValueError):
        return {"error": "count must be an integer and rate a number"}, 400
    if not 1 <= count <= MAX_COUNT or rate < 0:
        return {"error": f"count must be 1..{MAX_COUNT} and rate >= 0"}, 400
    project = os.environ.get("PUBSUB_PROJECT_ID") or os.environ.get("GOOGLE_CLOUD_PROJECT")
    if not project:
        return {"error": "set PUBSUB_PROJECT_ID or GOOGLE_CLOUD_PROJECT"}, 500
    generator = _generator()
    publisher = _publisher()
    topic_path = publisher.topic_path(project, os.environ.get("RAW_TOPIC", "ex06-raw"))
    books = generator.pick_books(sorted(build_catalog()), count, random.Random())
    sent = generator.publish_events(publisher, topic_path, books, rate)
    return {"published": len(sent), "topic": topic_path}, 200
