"""Validate one order event and enrich it from the product catalogue. YOUR TASK: `enrich`.

Bad input is permanent: retrying a record that is not JSON can only fail again, and on a Kinesis
shard it would hold back every record behind it until it expires. So each rule raises BadRecord with
a reason, and the handler dead-letters the record with that reason instead of failing it.
"""

from __future__ import annotations

import json  # noqa: F401  # yours to use
from decimal import Decimal  # noqa: F401  # yours to use
from typing import Any

from exercises.ex04_kinesis_lambda.catalog import Product
from exercises.ex04_kinesis_lambda.config import MAX_ORDER_BYTES  # noqa: F401  # yours to use

REQUIRED = ("order_id", "customer_id", "sku", "quantity")


class BadRecord(ValueError):
    """The record can never be processed; `reason` says why (it goes to the dead-letter stream)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def enrich(data: bytes, catalog: dict[str, Product]) -> dict[str, Any]:
    """The order in `data` with its product's name, category and unit price, and the amount.

    Refuse, with BadRecord and a reason containing these words: more than MAX_ORDER_BYTES
    ("too large"), "not UTF-8", "not JSON", "not a JSON object", a REQUIRED field absent or empty
    ("missing field: <names>"), a quantity that is not a positive int ("bad quantity"), a SKU not in
    the catalogue ("unknown sku"). Return the order's own fields plus
    `product: {name, category, unit_price}` and `amount` (unit price times quantity), money as
    strings of Decimals.
    """
    raise NotImplementedError("enrich.enrich: validate the order and add its product")
