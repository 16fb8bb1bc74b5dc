"""PutRecords with partial-failure handling. YOUR TASK: `backoff_s` and `put_records`.

PutRecords is not all-or-nothing. A 200 answer can still carry `FailedRecordCount > 0`, with an
`ErrorCode` (ProvisionedThroughputExceededException, InternalFailure, ...) on the refused entries
and a `SequenceNumber` on the others, in request order. Resending the whole request duplicates every
accepted entry; ignoring the count loses the refused ones.
"""

from __future__ import annotations

import random  # noqa: F401  # yours to use
import time
from collections.abc import Callable, Sequence
from typing import Any

from exercises.ex04_kinesis_lambda.config import MAX_PUT_RECORDS  # noqa: F401  # yours to use


def backoff_s(attempt: int, base_delay_s: float, max_delay_s: float) -> float:
    """The pause before retry number `attempt` (1, 2, ...): exponential from `base_delay_s`, capped
    at `max_delay_s`, with full jitter (a random fraction of it)."""
    raise NotImplementedError("put_records.backoff_s: exponential, capped, jittered")


def put_records(client: Any, stream_name: str, entries: Sequence[dict[str, Any]], *, attempts: int = 5,
                base_delay_s: float = 0.05, max_delay_s: float = 2.0,
                sleep: Callable[[float], None] = time.sleep) -> list[int]:
    """Write `entries` ({"Data", "PartitionKey"}) to `stream_name`; the indexes of those still refused
    after `attempts` tries (empty: all written). An error of the whole call is raised, not counted.

    At most MAX_PUT_RECORDS entries per call; before each retry, `sleep(backoff_s(...))`; each retry
    sends only the entries refused by the previous try.
    """
    raise NotImplementedError("put_records.put_records: retry only the refused entries")
