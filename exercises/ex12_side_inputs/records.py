"""The records of Exercise 12 and how one CSV line becomes one: plumbing shared by solution and starter.

Parsing is not the lesson here, so both implementations import it from this module. Every parser
returns either a record or a `DeadLetter` that carries the reason and the original line, so a bad
line is never lost and never stops the pipeline.
"""

from __future__ import annotations

import csv
import json
from datetime import date, datetime
from typing import Any, NamedTuple

import apache_beam as beam

NAMESPACE = "ex12"
"""The Beam metrics namespace of every counter (`enriched`, `unmatched.<reason>`, `dead.<reason>`)."""
UNMATCHED = "unmatched"
DEAD = "dead_letter"
"""The tags of a join's extra outputs."""


class Profile(NamedTuple):
    user_id: str
    name: str
    email: str
    country: str
    tier: str
    signup_date: date
    updated_at: datetime


class Purchase(NamedTuple):
    purchase_id: str
    user_id: str
    ts: datetime
    sku: str
    quantity: int
    unit_price: float

    @property
    def amount(self) -> float:
        return round(self.quantity * self.unit_price, 2)


class Promotion(NamedTuple):
    promo_id: str
    country: str          # "*" = any country
    tier: str             # "*" = any tier
    start_date: date
    end_date: date        # inclusive
    discount_pct: int


class Enriched(NamedTuple):
    purchase_id: str
    user_id: str
    ts: str
    amount: float
    country: str
    tier: str
    promo_id: str | None
    discount_pct: int
    net_amount: float
    above_average: bool


class Unmatched(NamedTuple):
    """A valid purchase that could not be joined: `reason` is `no_profile` or `ambiguous_profile`."""

    reason: str
    purchase_id: str
    user_id: str
    amount: float


class DeadLetter(NamedTuple):
    """A line or record rejected with a reason: bad input, or a profile the duplicate policy dropped."""

    source: str
    reason: str
    line: str


class Resolution(NamedTuple):
    """The outcome of the duplicate policy for one user id.

    `profile` is the winning version, or None when the versions conflict and none can win.
    `rejected` holds every version that did not win, as dead letters with the reason.
    """

    user_id: str
    profile: Profile | None
    rejected: tuple[DeadLetter, ...]


class JoinOutputs(NamedTuple):
    """What a join produces: joined purchases, valid purchases it could not join, rejected profiles."""

    enriched: beam.PCollection[Enriched]
    unmatched: beam.PCollection[Unmatched]
    rejected: beam.PCollection[DeadLetter]


PROFILE_FIELDS = len(Profile._fields)
PURCHASE_FIELDS = len(Purchase._fields)
PROMOTION_FIELDS = len(Promotion._fields)


def _fields(line: str, expected: int) -> list[str]:
    fields = next(csv.reader([line]))
    if len(fields) != expected:
        raise ValueError(f"expected {expected} fields, got {len(fields)}")
    if any(not value.strip() for value in fields):
        raise ValueError("empty field")
    return fields


def parse_profile(line: str) -> Profile | DeadLetter:
    try:
        f = _fields(line, PROFILE_FIELDS)
        return Profile(f[0], f[1], f[2], f[3], f[4], date.fromisoformat(f[5]), datetime.fromisoformat(f[6]))
    except ValueError as error:
        return DeadLetter("profiles", f"bad_profile: {error}", line)


def parse_purchase(line: str) -> Purchase | DeadLetter:
    try:
        f = _fields(line, PURCHASE_FIELDS)
        quantity, price = int(f[4]), float(f[5])
        if quantity <= 0 or price < 0:
            raise ValueError(f"quantity {quantity} / unit_price {price} out of range")
        return Purchase(f[0], f[1], datetime.fromisoformat(f[2]), f[3], quantity, price)
    except ValueError as error:
        return DeadLetter("purchases", f"bad_purchase: {error}", line)


def parse_promotion(line: str) -> Promotion | DeadLetter:
    try:
        f = _fields(line, PROMOTION_FIELDS)
        return Promotion(f[0], f[1], f[2], date.fromisoformat(f[3]), date.fromisoformat(f[4]), int(f[5]))
    except ValueError as error:
        return DeadLetter("promotions", f"bad_promotion: {error}", line)


def profile_line(profile: Profile) -> str:
    """A profile back as the CSV line it came from (for dead letters of profiles the policy dropped)."""
    values = [*profile[:5], profile.signup_date.isoformat(), profile.updated_at.isoformat()]
    return ",".join(f'"{v}"' if "," in v else v for v in values)


def to_json(record: NamedTuple) -> str:
    """One JSON line for any of the output records."""
    data: dict[str, Any] = record._asdict()
    return json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)
