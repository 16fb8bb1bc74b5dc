"""Your part of the data generator: the message each sentence becomes.

The corpus, the rate-limited publishing and the heartbeats are provided (`../sentences.py`);
`python -m exercises.ex02_pubsub_beam_wordcount.starter.generator --count N --rate R` publishes
with your `make_message`.
"""

from __future__ import annotations


def make_message(sentence: str, event_time_ms: int, message_id: str) -> tuple[bytes, dict[str, str]]:
    """The payload (UTF-8 bytes of the sentence) and attributes {"ts": millis, "id": message_id}.

    Attribute values must be strings; milliseconds are what Beam's timestamp_attribute accepts besides
    RFC 3339. `ts` is when the event happened, so windows count it in its own minute however late it
    is published; `id` is the event's own identity, the same on every publish of it.
    """
    raise NotImplementedError(
        "make_message: return the sentence as UTF-8 bytes and the attributes "
        '{"ts": str(event_time_ms), "id": message_id}')


if __name__ == "__main__":
    from exercises.ex02_pubsub_beam_wordcount.sentences import main

    main(make_message)
