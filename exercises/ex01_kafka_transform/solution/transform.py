"""The transformation itself, pure and separately testable: upper-case a UTF-8 value.

Kept apart from any Kafka code so the same function serves the long-running transformer and the Lambda
handler, and so its rules (what is valid, what is rejected and why) are unit-tested without a broker.
"""

from __future__ import annotations

from collections.abc import Sequence

from bootcamp.kafka.messages import Headers
from exercises.ex01_kafka_transform.contract import (
    NOT_UTF8,
    TOO_LARGE,
    TRANSFORM_FAILED,
    Source,
    TransformError,
)

__all__ = ["NOT_UTF8", "TOO_LARGE", "TRANSFORM_FAILED", "Source", "TransformError", "dead_letter_headers",
           "uppercase"]


def uppercase(value: bytes | None, max_bytes: int = 64 * 1024) -> bytes | None:
    """Upper-case a UTF-8 value.

    A `None` value is a tombstone (a delete marker in a compacted topic): it passes through unchanged,
    because turning it into anything else would resurrect a deleted key downstream. The size limit is
    checked before decoding, so an oversized value costs nothing to reject. Upper-casing is Unicode
    aware and may change the length (`ß` becomes `SS`).
    """
    if value is None:
        return None
    if len(value) > max_bytes:
        raise TransformError(TOO_LARGE, f"{len(value)} bytes is over the {max_bytes}-byte limit")
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TransformError(NOT_UTF8, f"invalid byte at position {exc.start}") from None
    return text.upper().encode("utf-8")


def dead_letter_headers(
    original: Sequence[tuple[str, str | bytes | None]] | None, source: Source, error: TransformError
) -> Headers:
    """Headers for a dead-lettered record: the original ones, then why and where it failed.

    The key and value are forwarded byte for byte, so a fixed transformer can replay the dead-letter
    topic into the input topic and lose nothing.
    """
    headers: Headers = list(original or [])
    headers += [
        ("dlq.reason", error.reason.encode()),
        ("dlq.error", error.detail.encode("utf-8", errors="replace")[:1024]),
        ("dlq.source.topic", source.topic.encode()),
        ("dlq.source.partition", str(source.partition).encode()),
        ("dlq.source.offset", str(source.offset).encode()),
    ]
    if source.timestamp_ms is not None:
        headers.append(("dlq.source.timestamp", str(source.timestamp_ms).encode()))
    return headers
