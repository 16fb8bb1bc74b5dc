"""The transformation itself, pure and separately testable: upper-case a UTF-8 value.

YOUR TASK: implement `uppercase` and `dead_letter_headers`. Run `bootcamp check ex01` to grade them.
Keep the reason codes and the names below: the tests and the dead-letter topic's readers rely on them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bootcamp.kafka.messages import Headers

# Reasons a record is dead-lettered; they go into the `dlq.reason` header, so keep them stable.
NOT_UTF8 = "not-utf8"
TOO_LARGE = "too-large"
TRANSFORM_FAILED = "transform-failed"


class TransformError(Exception):
    """A record that cannot be transformed; `reason` is one of the stable codes above."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def uppercase(value: bytes | None, max_bytes: int = 64 * 1024) -> bytes | None:
    """Upper-case a UTF-8 value.

    - `None` is a tombstone (a delete marker in a compacted topic): return it unchanged.
    - A value longer than `max_bytes` raises `TransformError(TOO_LARGE, ...)`; check this before
      decoding, so oversized records cost nothing.
    - A value that is not valid UTF-8 raises `TransformError(NOT_UTF8, ...)`.
    - Otherwise decode, `str.upper()`, encode (the length may change: `ß` becomes `SS`).
    """
    raise NotImplementedError("transform.uppercase: decode, upper-case and encode, rejecting bad values")


@dataclass(frozen=True)
class Source:
    """Where a record came from: enough to find it again, and to say so in the dead-letter topic."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int | None = None


def dead_letter_headers(
    original: Sequence[tuple[str, str | bytes | None]] | None, source: Source, error: TransformError
) -> Headers:
    """Headers for a dead-lettered record: the original ones first (in order), then
    `dlq.reason` (the code), `dlq.error` (the detail), `dlq.source.topic`, `dlq.source.partition`,
    `dlq.source.offset` and, when known, `dlq.source.timestamp` — all as bytes."""
    raise NotImplementedError("transform.dead_letter_headers: keep the originals, add why and where")
