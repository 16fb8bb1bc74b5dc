"""The identity join: each tool's id for an actor -> one person and team, through a side input.

YOUR TASK. The table is small and every activity needs it, so it travels as a side input
(`beam.pvalue.AsDict`), not a shuffle join. It has gaps: an activity whose identity is not in it is
**kept** (attributed to `unmapped:<tool>:<identity>` in `UNMAPPED_TEAM`) and **reported** on a
second output, never dropped.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics

from exercises.ex14_developer_productivity.records import (  # noqa: F401 - you need these
    UNMAPPED_TEAM,
    Activity,
    Attributed,
    Identity,
    Person,
    Unmapped,
)

UNMAPPED = "unmapped"
"""The tag of the output that reports activities whose identity the table does not know."""


def identity_keys(identity: Identity) -> list[tuple[tuple[str, str], Person]]:
    """The side input's entries for one row: ((tool, that tool's id), person) for github, jira and
    slack, in that order, skipping the ids the row lacks ("")."""
    raise NotImplementedError("identity_keys: one ((tool, id), Person) per non-empty id")


def attribute(activity: Activity, people: Mapping[tuple[str, str], Person]) -> tuple[Attributed, bool]:
    """The activity attributed to its person, and whether the table knew them (an unknown one is
    attributed to person "unmapped:<tool>:<identity>", name "", team UNMAPPED_TEAM)."""
    raise NotImplementedError("attribute: look up (activity.tool, activity.identity) in people")


class Attribute(beam.DoFn):  # type: ignore[misc]
    """Main output: every activity, attributed; `UNMAPPED`: an `Unmapped` for each one the table lacks."""

    def __init__(self) -> None:
        self.unmapped = Metrics.counter("ex14", "unmapped_activities")

    def process(self, activity: Activity, people: Mapping[tuple[str, str], Person]) -> Iterator[Any]:
        raise NotImplementedError("Attribute.process: yield the attributed activity, and a TaggedOutput "
                                  "(UNMAPPED, Unmapped(...)) when unknown")
