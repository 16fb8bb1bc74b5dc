"""Your part of the data generator: the message each sentence becomes.

The corpus, the rate-limited publishing and the heartbeats are provided (`../sentences.py`);
`python -m exercises.ex02_pubsub_beam_wordcount.solution.generator --count N --rate R` publishes
with this `make_message`. This module imports nothing but the standard library: the Cloud Function
(`deploy/function/`) ships it beside `sentences.py`.
"""

from __future__ import annotations


def make_message(sentence: str, event_time_ms: int, message_id: str) -> tuple[bytes, dict[str, str]]:
    """The payload (UTF-8 bytes of the sentence) and attributes {"ts": millis, "id": message_id}.

    Attribute values must be strings; milliseconds are what Beam's timestamp_attribute accepts besides
    RFC 3339. `ts` is when the event happened, so windows count it in its own minute however late it
    is published; `id` is the event's own identity, the same on every publish of it.
    """
    return sentence.encode("utf-8"), {"ts": str(event_time_ms), "id": message_id}


if __name__ == "__main__":
    from exercises.ex02_pubsub_beam_wordcount.sentences import main

    main(make_message)
