"""The console that prints to standard output, for the CLI and the benches alike."""

from __future__ import annotations

import sys

from rich.console import Console

#: Piped (a log, CI), rich would wrap at 80 columns and cut every table cell to a few letters.
PIPED_WIDTH = 150


def stdout_console() -> Console:
    """A console on stdout: the terminal's width on a terminal, PIPED_WIDTH columns elsewhere."""
    return Console(width=None if sys.stdout.isatty() else PIPED_WIDTH)
