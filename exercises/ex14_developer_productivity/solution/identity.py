"""The identity join: each tool's id for an actor -> one person and team, through a side input.

YOUR TASK (the learner's part). The table is small and every activity needs it, so it travels as a
side input (`beam.pvalue.AsDict`), not a shuffle join. It has gaps: an activity whose identity is not in
it is **kept** (attributed to `unmapped:<tool>:<identity>` in `UNMAPPED_TEAM`) and **reported** on a
second output, never dropped.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics

from exercises.ex14_developer_productivity.records import (
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
    """The side input's entries for one row: ((tool, that tool's id), person), one per id it has."""
    person = Person(identity.person_id, identity.name, identity.team)
    ids = (
        ("github", identity.github_login),
        ("jira", identity.jira_account_id),
        ("slack", identity.slack_user_id),
    )
    return [((tool, value), person) for tool, value in ids if value]


def attribute(activity: Activity, people: Mapping[tuple[str, str], Person]) -> tuple[Attributed, bool]:
    """The activity attributed to its person, and whether the table knew them."""
    person = people.get((activity.tool, activity.identity))
    if person is None:
        return Attributed(
            f"unmapped:{activity.tool}:{activity.identity}",
            "",
            UNMAPPED_TEAM,
            activity.metric,
            activity.at,
            activity.value,
        ), False
    return Attributed(
        person.person_id, person.name, person.team, activity.metric, activity.at, activity.value
    ), True


class Attribute(beam.DoFn):  # type: ignore[misc]
    """Main output: every activity, attributed; `UNMAPPED`: an `Unmapped` for each one the table lacks."""

    def __init__(self) -> None:
        self.unmapped = Metrics.counter("ex14", "unmapped_activities")

    def process(self, activity: Activity, people: Mapping[tuple[str, str], Person]) -> Iterator[Any]:
        attributed, known = attribute(activity, people)
        if not known:
            self.unmapped.inc()
            yield beam.pvalue.TaggedOutput(
                UNMAPPED, Unmapped(activity.tool, activity.identity, activity.metric)
            )
        yield attributed
