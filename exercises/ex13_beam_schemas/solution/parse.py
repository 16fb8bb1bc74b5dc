"""From a CSV line to a typed `Review`, or to a `DeadLetter` that says why not.

A schema is only worth something if the values in it are what the types say; this is where that is
enforced. Every rejected line keeps its original text so it can be fixed and replayed.
"""

from __future__ import annotations

import csv
from datetime import datetime

from apache_beam.utils.timestamp import Timestamp

from exercises.ex13_beam_schemas.records import REVIEW_FIELDS, DeadLetter, Review

MIN_AGE, MAX_AGE = 13, 120


def parse_review(line: str) -> Review | DeadLetter:  # noqa: PLR0911 - one return per reason
    """Parse one CSV line (fields in `REVIEW_FIELDS` order) into a Review.

    Reasons, the part before `:` being stable enough to count by:
    `missing_fields`, `empty_field`, `bad_age`, `bad_rating`, `bad_verified`, `bad_helpful_votes`,
    `bad_timestamp`.
    """
    try:
        fields = next(csv.reader([line]))
    except csv.Error as error:
        return DeadLetter(f"unparseable_csv: {error}", line)
    if len(fields) != len(REVIEW_FIELDS):
        return DeadLetter(f"missing_fields: expected {len(REVIEW_FIELDS)} fields, got {len(fields)}", line)
    values = dict(zip(REVIEW_FIELDS, fields, strict=True))
    for name in ("review_id", "user_id", "product_id", "category"):
        if not values[name].strip():
            return DeadLetter(f"empty_field: {name}", line)
    try:
        age = int(values["reviewer_age"])
    except ValueError:
        return DeadLetter(f"bad_age: {values['reviewer_age']!r} is not an integer", line)
    if not MIN_AGE <= age <= MAX_AGE:
        return DeadLetter(f"bad_age: {age} outside {MIN_AGE}..{MAX_AGE}", line)
    try:
        rating = int(values["rating"])
    except ValueError:
        return DeadLetter(f"bad_rating: {values['rating']!r} is not an integer", line)
    if not 1 <= rating <= 5:
        return DeadLetter(f"bad_rating: {rating} outside 1..5", line)
    if values["verified"] not in ("true", "false"):
        return DeadLetter(f"bad_verified: {values['verified']!r}", line)
    try:
        helpful = int(values["helpful_votes"])
    except ValueError:
        return DeadLetter(f"bad_helpful_votes: {values['helpful_votes']!r}", line)
    try:
        ts = Timestamp.from_utc_datetime(datetime.fromisoformat(values["review_ts"].replace("Z", "+00:00")))
    except ValueError as error:
        return DeadLetter(f"bad_timestamp: {error}", line)
    return Review(values["review_id"], values["user_id"], values["product_id"], values["category"], rating,
                  age, values["verified"] == "true", helpful, ts, values["review_text"])
