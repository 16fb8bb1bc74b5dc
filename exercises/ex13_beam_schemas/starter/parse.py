"""From a CSV line to a typed `Review`, or to a `DeadLetter` that says why not.

A schema is only worth something if the values in it are what the types say; this is where that is
enforced. Every rejected line keeps its original text so it can be fixed and replayed.
"""

from __future__ import annotations

import csv  # noqa: F401 - you will need these
from datetime import datetime  # noqa: F401

from apache_beam.utils.timestamp import Timestamp  # noqa: F401

from exercises.ex13_beam_schemas.records import REVIEW_FIELDS, DeadLetter, Review  # noqa: F401

MIN_AGE, MAX_AGE = 13, 120


def parse_review(line: str) -> Review | DeadLetter:
    """Parse one CSV line (fields in `REVIEW_FIELDS` order) into a Review.

    Reasons, the part before `:` being stable enough to count by:
    `missing_fields`, `empty_field`, `bad_age`, `bad_rating`, `bad_verified`, `bad_helpful_votes`,
    `bad_timestamp`.
    """
    raise NotImplementedError(
        "parse_review: csv-split the line; wrong field count -> DeadLetter('missing_fields: ...', "
        "line); then check each field and return DeadLetter('<reason>: ...', line) on the first "
        "bad one; else Review(...) with int/bool/Timestamp values"
    )
