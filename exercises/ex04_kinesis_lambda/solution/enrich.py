"""Validate one order event and enrich it from the product catalogue.

Bad input is permanent: retrying a record that is not JSON can only fail again, and on a Kinesis
shard it would hold back every record behind it until it expires. So each rule raises BadRecord with
a reason, and the handler dead-letters the record with that reason instead of failing it.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from exercises.ex04_kinesis_lambda.catalog import Product
from exercises.ex04_kinesis_lambda.config import MAX_ORDER_BYTES

REQUIRED = ("order_id", "customer_id", "sku", "quantity")


class BadRecord(ValueError):
    """The record can never be processed; `reason` says why (it goes to the dead-letter stream)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def enrich(data: bytes, catalog: dict[str, Product]) -> dict[str, Any]:
    """The order in `data` with its product's name, category and unit price, and the amount."""
    if len(data) > MAX_ORDER_BYTES:
        raise BadRecord(f"too large: {len(data)} bytes, at most {MAX_ORDER_BYTES}")
    try:
        order = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadRecord("not UTF-8") from None
    except json.JSONDecodeError as exc:
        raise BadRecord(f"not JSON: {exc.msg}") from None
    if not isinstance(order, dict):
        raise BadRecord("not a JSON object")
    missing = [name for name in REQUIRED if order.get(name) in (None, "")]
    if missing:
        raise BadRecord(f"missing field: {', '.join(missing)}")
    quantity = order["quantity"]
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        raise BadRecord(f"bad quantity: {quantity!r}")
    product = catalog.get(str(order["sku"]))
    if product is None:
        raise BadRecord(f"unknown sku: {order['sku']!r}")
    return {**order, "product": {"name": product.name, "category": product.category,
                                 "unit_price": str(product.unit_price)},
            "amount": str(product.unit_price * Decimal(quantity))}
