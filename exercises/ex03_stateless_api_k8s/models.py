"""The one resource, a book, as the API accepts it, stores it and returns it.

Validation lives here, in the schema, so FastAPI answers 422 for bad input before any handler runs,
and the same constraints appear in the OpenAPI document that clients and fuzzers read.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

# C0 and C1 control characters (Unicode category Cc): NUL truncates strings in C libraries downstream,
# and newlines or escapes in a title forge log lines and break terminals and CSV exports.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_PRINTABLE = {"pattern": r"^[^\x00-\x1f\x7f-\x9f]*$"}  # the same rule, for the OpenAPI document


def _no_control_characters(value: str) -> str:
    if found := _CONTROL.search(value):
        raise ValueError(f"must not contain control characters: U+{ord(found.group()):04X} at "
                         f"position {found.start()}")
    return value


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
                 AfterValidator(_no_control_characters), Field(json_schema_extra=_PRINTABLE)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40),
                AfterValidator(_no_control_characters), Field(json_schema_extra=_PRINTABLE)]


class BookIn(BaseModel):
    """What a client sends to create or replace a book. Unknown fields are refused, not ignored."""

    model_config = ConfigDict(extra="forbid")

    title: Text
    author: Text
    year: int = Field(ge=-3000, le=2100, description="year of publication (negative: BCE)")
    tags: list[Tag] = Field(default_factory=list, max_length=20)


class Book(BookIn):
    """A stored book: the client's fields plus the server's id and version.

    `version` starts at 1 and grows by one on every replace; the ETag is derived from it, so a client
    that read version 3 can say "replace only if it is still version 3" (If-Match).
    """

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="server-assigned, opaque")
    version: int = Field(ge=1)


class Page(BaseModel):
    """One page of books in creation order; pass `next_cursor` as `after` to get the next page."""

    items: list[Book]
    next_cursor: int | None = Field(description="null on the last page")


class Problem(BaseModel):
    """An RFC 9457 problem document: the body of every 4xx/5xx this API returns by itself."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    errors: list[dict[str, Any]] | None = Field(default=None, description="422 only: what was wrong, where")
