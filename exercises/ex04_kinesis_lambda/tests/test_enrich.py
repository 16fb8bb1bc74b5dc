"""One record: validated, and enriched from the product catalogue."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from bootcamp.testing.plugin import Implementation
from exercises.ex04_kinesis_lambda.catalog import load_catalog
from exercises.ex04_kinesis_lambda.tests.support import BAD_INPUTS


def test_an_order_gets_its_product_and_amount(impl: Implementation) -> None:
    order = {"order_id": "o-1", "customer_id": "c-001", "sku": "SKU-0002", "quantity": 3, "seq": 1,
             "ts": "2026-01-01T00:00:00.000+00:00"}
    enriched = impl.enrich.enrich(json.dumps(order).encode(), load_catalog())
    assert enriched == {**order, "product": {"name": "Pro Field Guide", "category": "books",
                                             "unit_price": "121.28"}, "amount": "363.84"}
    assert Decimal(enriched["amount"]) == Decimal("121.28") * 3, "money in Decimal, not float"


@pytest.mark.parametrize(("data", "reason"), BAD_INPUTS, ids=[r for _, r in BAD_INPUTS])
def test_bad_input_is_refused_with_its_reason(impl: Implementation, data: bytes, reason: str) -> None:
    with pytest.raises(impl.enrich.BadRecord) as refused:
        impl.enrich.enrich(data, load_catalog())
    assert reason in refused.value.reason


@pytest.mark.parametrize("quantity", [True, "2", 1.5, -1])
def test_a_quantity_must_be_a_positive_integer(impl: Implementation, quantity: object) -> None:
    data = json.dumps({"order_id": "o", "customer_id": "c", "sku": "SKU-0001", "quantity": quantity}).encode()
    with pytest.raises(impl.enrich.BadRecord, match="bad quantity"):
        impl.enrich.enrich(data, load_catalog())
