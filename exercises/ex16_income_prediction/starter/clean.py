"""Learner's part 1: the cleaning rules, one raw line of adult.data / adult.test -> Person or DeadLetter."""

from __future__ import annotations

from exercises.ex16_income_prediction.census import DeadLetter, Person

MISSING = "?"


def clean_line(line: str, split: str) -> Person | DeadLetter:
    """Parse one comma-separated census line (see README, "Part 1"): strip the padding, 15 fields,
    `?` -> dead letter naming the fields, integer numeric fields, the label without adult.test's
    trailing dot; blank and comment (`|...`) lines are dead letters too."""
    raise NotImplementedError("not implemented yet: clean_line (part 1, the cleaning rules)")
