"""Errors a user can cause and fix.

The CLI prints a `BootcampError` as one line and exits non-zero; anything else is a bug and keeps its
traceback. Raise it for user mistakes (unknown exercise, port taken, missing Java), never for bugs.
"""

from __future__ import annotations


class BootcampError(Exception):
    """A problem the user can fix; `hint` says how."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint

    def __str__(self) -> str:
        base = super().__str__()
        return f"{base} ({self.hint})" if self.hint else base
