"""The transformation itself, pure and separately testable: upper-case a UTF-8 value.

YOUR TASK: implement `uppercase` and `dead_letter_headers`. Run `bootcamp check ex01` to grade them.
The error type and its reason codes are provided, in `contract.py`: tests and the dead-letter
topic's readers rely on them.
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

    - `None` is a tombstone (a delete marker in a compacted topic): return it unchanged.
    - A value longer than `max_bytes` raises `TransformError(TOO_LARGE, ...)`; check this before
      decoding, so oversized records cost nothing.
    - A value that is not valid UTF-8 raises `TransformError(NOT_UTF8, ...)`.
    - Otherwise decode, `str.upper()`, encode (the length may change: `ß` becomes `SS`).
    """
    raise NotImplementedError("transform.uppercase: decode, upper-case and encode, rejecting bad values")


def dead_letter_headers(
    original: Sequence[tuple[str, str | bytes | None]] | None, source: Source, error: TransformError
) -> Headers:
    """Headers for a dead-lettered record: the original ones first (in order), then
    `dlq.reason` (the code), `dlq.error` (the detail), `dlq.source.topic`, `dlq.source.partition`,
    `dlq.source.offset` and, when known, `dlq.source.timestamp` — all as bytes."""
    raise NotImplementedError("transform.dead_letter_headers: keep the originals, add why and where")
