"""Seeded generator of customer profiles, purchases and promotions (Exercise 12, side inputs).

Why a generator and not a download: no package reachable offline ships a customer/purchase data set
with a licence that allows redistribution (the usual public retail sets, e.g. UCI "Online Retail", are
fetched from the web at run time, which this course must not depend on). A seeded generator gives the
same bytes on every machine, scales from a 1,000-row sample to millions of rows for benchmarks, and
can inject exactly the faults the exercise is about, at known rates:

- duplicate profiles (the same `user_id` twice: an update with a later `updated_at`, or a conflicting
  copy with the same `updated_at`),
- purchases whose user has no profile (missing join keys),
- unparseable lines (bad quantity, missing fields),
- skew: `hot_exponent > 1` concentrates purchases on a few users, as real traffic does.

`python -m bootcamp.datasets.customers --users 100000 --purchases 2000000 --out /tmp/ex12` writes
`profiles.csv`, `purchases.csv` and `promotions.csv` there. Output depends only on the arguments.
"""

from __future__ import annotations

import argparse
import csv
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

PROFILE_HEADER = ["user_id", "name", "email", "country", "tier", "signup_date", "updated_at"]
PURCHASE_HEADER = ["purchase_id", "user_id", "ts", "sku", "quantity", "unit_price"]
PROMOTION_HEADER = ["promo_id", "country", "tier", "start_date", "end_date", "discount_pct"]

# Countries weighted roughly by the size of a European/US e-commerce customer base.
COUNTRIES = ["DE", "FR", "GB", "NL", "ES", "IT", "US", "PL", "SE", "IE"]
COUNTRY_WEIGHTS = [18, 14, 16, 7, 9, 10, 15, 5, 3, 3]
FIRST = {
    "DE": ["Lukas", "Anna", "Jonas", "Lea", "Felix", "Mia"], "FR": ["Louis", "Chloé", "Hugo", "Léa", "Jules"],
    "GB": ["Oliver", "Amelia", "Harry", "Isla", "George"], "NL": ["Daan", "Emma", "Sem", "Julia", "Lucas"],
    "ES": ["Hugo", "Lucía", "Martín", "Sofía", "Pablo"], "IT": ["Leonardo", "Giulia", "Francesco", "Aurora"],
    "US": ["Liam", "Olivia", "Noah", "Emma", "James", "Ava"], "PL": ["Jan", "Zofia", "Jakub", "Hanna"],
    "SE": ["William", "Alice", "Hugo", "Maja"], "IE": ["Jack", "Grace", "Noah", "Emily"],
}
LAST = {
    "DE": ["Müller", "Schmidt", "Schneider", "Fischer", "Weber"], "FR": ["Martin", "Bernard", "Dubois"],
    "GB": ["Smith", "Jones", "Taylor", "Brown", "Williams"],
    "NL": ["de Jong", "Jansen", "de Vries", "Bakker"],
    "ES": ["García", "Fernández", "González", "Rodríguez"], "IT": ["Rossi", "Russo", "Ferrari", "Esposito"],
    "US": ["Smith", "Johnson", "Williams", "Brown", "Garcia"], "PL": ["Nowak", "Kowalski", "Wiśniewski"],
    "SE": ["Andersson", "Johansson", "Karlsson"], "IE": ["Murphy", "Kelly", "O'Sullivan", "Walsh"],
}
TIERS = ["bronze", "silver", "gold", "platinum"]
TIER_WEIGHTS = [60, 25, 12, 3]
SKUS = [f"SKU-{n:05d}" for n in range(1, 401)]
EPOCH = datetime(2025, 1, 1)
DAYS = 365


@dataclass(frozen=True)
class Faults:
    """Fault rates, each the fraction of rows of its kind."""

    duplicate_rate: float = 0.01     # profiles written twice (90% a later update, 10% a conflicting copy)
    missing_rate: float = 0.01       # purchases of users who have no profile
    bad_rate: float = 0.002          # unparseable lines, in both files


def user_id(index: int) -> str:
    return f"u{index:07d}"


def _email(first: str, last: str, index: int) -> str:
    local = f"{first}.{last}".lower().replace(" ", "").replace("'", "")
    return f"{local}.{index}@example.com"


def profile_rows(n_users: int, seed: int, faults: Faults = Faults()) -> Iterator[list[str]]:
    """Profiles u0000000…, some duplicated, some broken; in a shuffled-enough order (by user id)."""
    rng = random.Random(f"profiles:{seed}")
    for index in range(n_users):
        country = rng.choices(COUNTRIES, COUNTRY_WEIGHTS)[0]
        first, last = rng.choice(FIRST[country]), rng.choice(LAST[country])
        signup = EPOCH - timedelta(days=rng.randrange(1, 2000))
        updated = EPOCH + timedelta(seconds=rng.randrange(0, 86400 * 30))
        tier = rng.choices(TIERS, TIER_WEIGHTS)[0]
        row = [user_id(index), f"{first} {last}", _email(first, last, index), country, tier,
               signup.date().isoformat(), updated.isoformat()]
        if rng.random() < faults.bad_rate:
            yield _break(rng, row, numeric_field=None)
            continue
        yield row
        if rng.random() < faults.duplicate_rate:
            copy = list(row)
            if rng.random() < 0.9:   # a later update: tier upgrade, updated_at moves on
                copy[4] = TIERS[min(TIERS.index(tier) + 1, len(TIERS) - 1)]
                copy[6] = (updated + timedelta(days=rng.randrange(1, 60))).isoformat()
            else:                    # a conflicting copy with the same updated_at: no version can win
                copy[3] = rng.choice([c for c in COUNTRIES if c != country])
            yield copy


def purchase_rows(n_purchases: int, n_users: int, seed: int, faults: Faults = Faults(),
                  hot_exponent: float = 1.0) -> Iterator[list[str]]:
    """Purchases over one year; `hot_exponent` > 1 skews them towards low user ids (hot keys)."""
    rng = random.Random(f"purchases:{seed}")
    for index in range(n_purchases):
        if rng.random() < faults.missing_rate:
            uid = user_id(n_users + rng.randrange(0, max(1, n_users)))     # a user with no profile
        else:
            uid = user_id(min(n_users - 1, int(n_users * rng.random() ** hot_exponent)))
        ts = EPOCH + timedelta(seconds=rng.randrange(0, 86400 * DAYS))
        quantity = 1 + int(rng.expovariate(1.2))
        price = round(min(2000.0, rng.lognormvariate(3.2, 0.9)), 2)
        row = [f"p{seed:02d}{index:09d}", uid, ts.isoformat(), rng.choice(SKUS), str(quantity),
               f"{price:.2f}"]
        if rng.random() < faults.bad_rate:
            yield _break(rng, row, numeric_field=4)
            continue
        yield row


def promotion_rows(seed: int, count: int = 24) -> Iterator[list[str]]:
    """A small promotions calendar: country (or `*`), tier (or `*`), a date range, a discount."""
    rng = random.Random(f"promotions:{seed}")
    for index in range(count):
        start = EPOCH.date() + timedelta(days=rng.randrange(0, DAYS - 30))
        end = start + timedelta(days=rng.randrange(3, 30))
        country = rng.choice([*COUNTRIES, "*"])
        tier = rng.choice([*TIERS, "*", "*"])
        yield [f"promo-{index:03d}", country, tier, start.isoformat(), end.isoformat(),
               str(rng.choice([5, 10, 15, 20, 25]))]


def _break(rng: random.Random, row: list[str], numeric_field: int | None) -> list[str]:
    """One realistic way a line goes bad: a field missing, a number that is not, a truncated line."""
    kind = rng.randrange(3)
    if kind == 0 and numeric_field is not None:
        return [*row[:numeric_field], rng.choice(["two", "", "1.5.0", "-"]), *row[numeric_field + 1:]]
    if kind == 1:
        return row[: len(row) - 2]
    return [*row[:-1], "not-a-value" if numeric_field is not None else "yesterday"]


def write_csv(path: Path, header: list[str], rows: Iterator[list[str]]) -> int:
    """Write a header and the rows; return the number of data rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


@dataclass(frozen=True)
class Dataset:
    profiles: Path
    purchases: Path
    promotions: Path
    profile_rows: int
    purchase_rows: int


def write_dataset(out_dir: Path, n_users: int, n_purchases: int, *, seed: int = 7,
                  faults: Faults = Faults(), hot_exponent: float = 1.0) -> Dataset:
    """Write profiles.csv, purchases.csv and promotions.csv into `out_dir`."""
    profiles, purchases = out_dir / "profiles.csv", out_dir / "purchases.csv"
    promotions = out_dir / "promotions.csv"
    n_profiles = write_csv(profiles, PROFILE_HEADER, profile_rows(n_users, seed, faults))
    n_purchases_written = write_csv(purchases, PURCHASE_HEADER,
                                    purchase_rows(n_purchases, n_users, seed, faults, hot_exponent))
    write_csv(promotions, PROMOTION_HEADER, promotion_rows(seed))
    return Dataset(profiles, purchases, promotions, n_profiles, n_purchases_written)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--purchases", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--hot-exponent", type=float, default=1.0)
    parser.add_argument("--duplicate-rate", type=float, default=Faults.duplicate_rate)
    parser.add_argument("--missing-rate", type=float, default=Faults.missing_rate)
    parser.add_argument("--bad-rate", type=float, default=Faults.bad_rate)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    faults = Faults(args.duplicate_rate, args.missing_rate, args.bad_rate)
    data = write_dataset(args.out, args.users, args.purchases, seed=args.seed, faults=faults,
                         hot_exponent=args.hot_exponent)
    print(f"wrote {data.profile_rows} profiles, {data.purchase_rows} purchases to {args.out}")


if __name__ == "__main__":
    main()
