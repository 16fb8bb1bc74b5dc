"""The generator as a Google Cloud Function (2nd gen, HTTP), fired by Cloud Scheduler every minute.

Each call publishes a batch of sentences at a steady rate, then returns how many the broker accepted
(every publish future resolved). Deployed from this folder after `deploy/function/build.sh` copies
the provided `sentences.py` and the solution's `generator.py` in beside it; run locally with
functions-framework (the tests do, over HTTP).

Configuration comes from the environment: INPUT_TOPIC, PUBSUB_PROJECT_ID (defaults to the function's
own project), and PUBSUB_EMULATOR_HOST only when pointed at the emulator.
"""

from __future__ import annotations

import functools
import importlib
import os
from types import ModuleType
from typing import Any

import functions_framework
from flask import Request
from google.cloud import pubsub_v1


def _modules() -> tuple[ModuleType, ModuleType]:
    """(the provided `sentences`, the `generator` with make_message)."""
    try:  # deployed: build.sh put both beside this file
        return importlib.import_module("sentences"), importlib.import_module("generator")
    except ImportError:  # in the repository: the solution, or the learner's starter when graded
        impl = os.environ.get("BOOTCAMP_IMPL", "solution")
        return (importlib.import_module("exercises.ex02_pubsub_beam_wordcount.sentences"),
                importlib.import_module(f"exercises.ex02_pubsub_beam_wordcount.{impl}.generator"))


@functools.cache
def _publisher() -> pubsub_v1.PublisherClient:
    """One client per instance: it holds the gRPC channel and the batching threads."""
    return pubsub_v1.PublisherClient()

MAX_COUNT = 5000


@functions_framework.http  # type: ignore[untyped-decorator]  # the framework is untyped
def publish_batch(request: Request) -> tuple[dict[str, Any], int]:
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
    topic = os.environ.get("INPUT_TOPIC", "ex02-input")
    if not project:
        return {"error": "set PUBSUB_PROJECT_ID or GOOGLE_CLOUD_PROJECT"}, 500
    publisher = _publisher()
    topic_path = publisher.topic_path(project, topic)
    sentences, generator = _modules()
    sent = sentences.publish_sentences(publisher, topic_path, count, rate,
                                       make_message=generator.make_message)
    return {"published": len(sent), "topic": topic_path}, 200
