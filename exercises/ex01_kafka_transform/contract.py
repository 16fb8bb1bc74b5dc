"""What the transform and the readers of the dead-letter topic agree on: the error, its stable
reason codes (they travel in the `dlq.reason` header) and where a record came from."""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True)
class Source:
    """Where a record came from: enough to find it again, and to say so in the dead-letter topic."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int | None = None
