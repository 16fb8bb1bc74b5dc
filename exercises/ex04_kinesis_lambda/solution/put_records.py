"""PutRecords with partial-failure handling: resend only the entries Kinesis refused, with backoff.

PutRecords is not all-or-nothing. A 200 answer can still carry `FailedRecordCount > 0`, with an
`ErrorCode` (ProvisionedThroughputExceededException, InternalFailure, ...) on the refused entries
and a `SequenceNumber` on the others, in request order. Resending the whole request duplicates every
accepted entry; ignoring the count loses the refused ones. So: resend exactly the refused entries,
after an exponentially growing, jittered pause (a throttled shard needs time, and clients that retry
in step throttle it again).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from typing import Any

from exercises.ex04_kinesis_lambda.config import MAX_PUT_RECORDS


def backoff_s(attempt: int, base_delay_s: float, max_delay_s: float) -> float:
    """The pause before retry number `attempt` (1, 2, ...): exponential, capped, with full jitter."""
    return random.uniform(0, min(max_delay_s, base_delay_s * 2 ** (attempt - 1)))


def put_records(client: Any, stream_name: str, entries: Sequence[dict[str, Any]], *, attempts: int = 5,
                base_delay_s: float = 0.05, max_delay_s: float = 2.0,
                sleep: Callable[[float], None] = time.sleep) -> list[int]:
    """Write `entries` ({"Data", "PartitionKey"}) to `stream_name`; the indexes of those still refused
    after `attempts` tries (empty: all written). An error of the whole call is raised, not counted."""
    pending = list(range(len(entries)))
    for attempt in range(attempts):
        if attempt:
            sleep(backoff_s(attempt, base_delay_s, max_delay_s))
        refused: list[int] = []
        for start in range(0, len(pending), MAX_PUT_RECORDS):
            chunk = pending[start:start + MAX_PUT_RECORDS]
            response = client.put_records(StreamName=stream_name, Records=[entries[i] for i in chunk])
            if response.get("FailedRecordCount", 0):
                refused += [i for i, result in zip(chunk, response["Records"], strict=True)
                            if result.get("ErrorCode")]
        pending = refused
        if not pending:
            break
    return pending
