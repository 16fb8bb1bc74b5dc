"""Small, hand-made inputs whose every outcome can be worked out by reading them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

PROFILES = """user_id,name,email,country,tier,signup_date,updated_at
u1,Anna Weber,anna@example.com,DE,gold,2022-03-01,2025-01-02T10:00:00
u2,Hugo Martin,hugo@example.com,FR,bronze,2023-05-09,2025-01-03T08:00:00
u2,Hugo Martin,hugo@example.com,FR,silver,2023-05-09,2025-02-01T08:00:00
u3,Emma Smith,emma@example.com,GB,bronze,2021-11-30,2025-01-05T12:00:00
u3,Emma Smith,emma@example.com,IE,bronze,2021-11-30,2025-01-05T12:00:00
u4,Jan Nowak,jan@example.com,PL,platinum,2020-01-15,2025-01-06T09:30:00
u4,Jan Nowak,jan@example.com,PL,platinum,2020-01-15,2025-01-06T09:30:00
u5,Broken Row,broken@example.com,SE,gold,not-a-date,2025-01-01T00:00:00
"""

PURCHASES = """purchase_id,user_id,ts,sku,quantity,unit_price
p1,u1,2025-03-10T12:00:00,SKU-00001,2,10.00
p2,u2,2025-03-15T09:00:00,SKU-00002,1,100.00
p3,u3,2025-03-20T18:30:00,SKU-00003,1,30.00
p4,u9,2025-03-21T07:00:00,SKU-00004,3,5.00
p5,u4,2025-04-01T00:00:00,SKU-00005,1,400.00
p6,u1,2025-03-10T13:00:00,SKU-00006,two,9.99
p7,u1,2025-06-01T10:00:00
"""

PROMOTIONS = """promo_id,country,tier,start_date,end_date,discount_pct
promo-a,DE,*,2025-03-01,2025-03-10,10
promo-b,*,silver,2025-03-15,2025-03-31,20
promo-c,*,*,2025-04-01,2025-04-01,5
promo-d,PL,platinum,2025-04-01,2025-04-30,5
"""


@dataclass(frozen=True)
class Files:
    profiles: Path
    purchases: Path
    promotions: Path


def write_files(folder: Path, profiles: str = PROFILES, purchases: str = PURCHASES,
                promotions: str = PROMOTIONS) -> Files:
    folder.mkdir(parents=True, exist_ok=True)
    files = Files(folder / "profiles.csv", folder / "purchases.csv", folder / "promotions.csv")
    files.profiles.write_text(profiles, encoding="utf-8")
    files.purchases.write_text(purchases, encoding="utf-8")
    files.promotions.write_text(promotions, encoding="utf-8")
    return files


@pytest.fixture
def small_files(tmp_path: Path) -> Files:
    return write_files(tmp_path / "in")
