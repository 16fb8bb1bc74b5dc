"""Learner's part 1: the cleaning rules, one raw line of adult.data / adult.test -> Person or DeadLetter."""

from __future__ import annotations

from exercises.ex16_income_prediction.census import COLUMNS, LABELS, NUMERIC, DeadLetter, Person

MISSING = "?"


def clean_line(line: str, split: str) -> Person | DeadLetter:  # noqa: PLR0911  (a return per rule)
    """Parse one comma-separated census line.

    Rules: fields are separated by `,` and padded with spaces (strip them); exactly 15 fields; `?`
    marks a missing value, and a row with one is a dead letter naming the field (not a category
    called "?"); numeric fields are integers; the label is `<=50K` or `>50K`, and adult.test writes it
    with a trailing dot (`<=50K.`), which must go or no test label ever matches. The test file's first
    line (`|1x3 Cross validator`) and blank lines are not rows: dead letters too, so every input line
    is accounted for.
    """
    text = line.strip()
    if not text:
        return DeadLetter("blank line", split, line)
    if text.startswith("|"):
        return DeadLetter("comment line", split, line)
    values = [v.strip() for v in text.split(",")]
    if len(values) != len(COLUMNS):
        return DeadLetter(f"expected {len(COLUMNS)} fields, got {len(values)}", split, line)
    record: dict[str, object] = dict(zip(COLUMNS, values, strict=True))
    missing = [name for name, value in record.items() if value in (MISSING, "")]
    if missing:
        return DeadLetter(f"missing value in {', '.join(missing)}", split, line)
    label = str(record["income"]).rstrip(".")
    if label not in LABELS:
        return DeadLetter(f"unknown income label {record['income']!r}", split, line)
    for name in NUMERIC:
        try:
            record[name] = int(str(record[name]))
        except ValueError:
            return DeadLetter(f"{name} is not an integer: {record[name]!r}", split, line)
    record["income"] = LABELS[label]
    return Person(**record)  # type: ignore[arg-type]
