"""A catalogue of wrong answers for ex13, kept here only to prove the grader's own test end to end.

The exercise's own `exercises/ex13_beam_schemas/mistakes.py` (written by the helper who owns ex13)
replaces it; until then `test_mistakes.py` runs this one against a copy of ex13. Its `expect` texts are
what ex13's tests print today (pytest's assertion rewriting shows the failing comparison).
"""

from __future__ import annotations

from bootcamp.grading import Mistake

MISTAKES: list[Mistake] = [
    Mistake(
        name="trusted-ignores-verified",
        lesson="Filtering on helpful votes alone lets unverified purchases into the trusted set: "
               "the typed `verified` field is the point of the filter.",
        file="transforms.py",
        old="lambda r: r.verified and r.helpful_votes >= min_helpful_votes",
        new="lambda r: r.helpful_votes >= min_helpful_votes",
        expect="unexpected elements",
        tests=("tests/test_transforms.py::test_trusted_reviews_filters_on_typed_fields",),
    ),
    Mistake(
        name="age-range-unchecked",
        lesson="An integer is not a valid age: without the range check, 200 lands in the schema "
               "as if it were a fact.",
        file="parse.py",
        old="    if not MIN_AGE <= age <= MAX_AGE:\n",
        new="    if age < 0:\n",
        expect="isinstance(letter, DeadLetter)",
        tests=("tests/test_parse_and_formats.py::test_unparseable_or_impossible_ages_are_rejected",),
    ),
    Mistake(
        name="rating-range-unchecked",
        lesson="A rating of 7 on a 1..5 scale parses as an int but is not a rating; it must be "
               "dead-lettered with its reason, not averaged.",
        file="parse.py",
        old="    if not 1 <= rating <= 5:\n",
        new="    if rating < 0:\n",
        expect="isinstance(letter, DeadLetter)",
        tests=("tests/test_parse_and_formats.py::test_bad_rows_become_dead_letters_with_reason_and_original_line",),
    ),
    Mistake(
        name="mean-rating-rounded",
        lesson="Casting the mean rating through int() throws away the precision the schema's float "
               "field promises.",
        file="transforms.py",
        old="float(row.avg_rating), int(row.helpful_votes))",
        new="float(int(row.avg_rating)), int(row.helpful_votes))",
        expect="unexpected elements",
        tests=("tests/test_transforms.py::test_product_stats_with_groupby_aggregate_field",),
    ),
]
