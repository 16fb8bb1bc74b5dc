"""The function's settings, read from its environment (the template's `Environment: Variables`).

Plain `os.environ` and a frozen dataclass rather than pydantic-settings: this module is packaged into
the Lambda zip, and every dependency there costs cold-start time and package size.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

MAX_ORDER_BYTES = 16 * 1024
"""An order event is a few hundred bytes; one larger than this is refused as bad input, well before
Kinesis's own 1 MiB record limit, so that its enriched copy always fits the output stream."""

MAX_PUT_RECORDS = 500
"""PutRecords takes at most 500 entries per request (and 5 MiB in all, 1 MiB per entry)."""


class ConfigError(ValueError):
    """A setting is missing or malformed: the function cannot start."""


@dataclass(frozen=True)
class FunctionSettings:
    output_stream: str
    dead_letter_stream: str
    report_failures: bool = True
    """True when the event source mapping has `FunctionResponseTypes: [ReportBatchItemFailures]`
    (the template sets both): the function returns the records it could not deliver. When False it
    must fail the whole invocation instead, because AWS then ignores a returned list and would
    checkpoint past the undelivered records."""
    put_attempts: int = 5
    put_base_delay_s: float = 0.05

    @classmethod
    def from_env(cls) -> FunctionSettings:
        try:
            return cls(
                output_stream=os.environ["EX04_OUTPUT_STREAM"],
                dead_letter_stream=os.environ["EX04_DEAD_LETTER_STREAM"],
                report_failures=os.environ.get("EX04_REPORT_FAILURES", "true").lower() == "true",
                put_attempts=int(os.environ.get("EX04_PUT_ATTEMPTS", "5")),
                put_base_delay_s=float(os.environ.get("EX04_PUT_BASE_DELAY_S", "0.05")),
            )
        except KeyError as exc:
            raise ConfigError(f"the function needs the environment variable {exc.args[0]}") from None
        except ValueError as exc:
            raise ConfigError(f"a malformed EX04_* setting: {exc}") from None
