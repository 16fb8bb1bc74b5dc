"""The reference dataset the function enriches orders with: a product catalogue (products.csv).

It ships inside the deployment package and is loaded once per execution environment (at the first
invocation, then kept by the warm runtime), the usual way to give a Lambda function a small, slowly
changing lookup table without a network call per record.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

PRODUCTS_CSV = Path(__file__).with_name("products.csv")


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    category: str
    unit_price: Decimal


@cache
def load_catalog(path: Path = PRODUCTS_CSV) -> dict[str, Product]:
    """SKU -> Product."""
    with path.open(newline="") as handle:
        return {row["sku"]: Product(row["sku"], row["name"], row["category"], Decimal(row["unit_price"]))
                for row in csv.DictReader(handle)}
