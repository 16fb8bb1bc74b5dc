"""The generator's messages: real sentences, an event-time attribute and a unique id."""

from __future__ import annotations

import time
from typing import Any

import pytest
from google.cloud import pubsub_v1

from bootcamp.pubsub.admin import pull_all
from exercises.ex02_pubsub_beam_wordcount.harness import Resources
from exercises.ex02_pubsub_beam_wordcount.sentences import load_sentences, publish_sentences


def test_message_carries_event_time_and_id(impl: Any) -> None:
    data, attributes = impl.generator.make_message("Some words here.", 1_700_000_000_123, "abc")
    assert data == b"Some words here."
    assert attributes == {"ts": "1700000000123", "id": "abc"}, (
        f"attributes {attributes}: `ts` must carry the event time in milliseconds (a string) and `id` the "
        "event's own id; without `ts` the pipeline windows by publish time")


@pytest.mark.integration
def test_published_sentences_arrive_with_attributes(impl: Any, resources: Resources) -> None:
    corpus = load_sentences()
    assert len(corpus) > 400
    assert len(set(corpus)) == len(corpus)
    before = time.time_ns() // 1_000_000
    sent = publish_sentences(pubsub_v1.PublisherClient(), resources.input_topic, count=25, rate_per_s=500,
                             make_message=impl.generator.make_message)
    messages = pull_all(resources.input_subscription, timeout_s=5)
    assert sorted(m.data.decode() for m in messages) == sorted(p.sentence for p in sent)
    ids = {m.attributes["id"] for m in messages}
    assert len(ids) == 25
    for message in messages:
        assert before <= int(message.attributes["ts"]) <= time.time_ns() // 1_000_000
