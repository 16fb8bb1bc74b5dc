"""Seeded generator of product reviews (Exercise 13, Beam schemas).

Each row: review_id, user_id, product_id, category, rating (1-5), reviewer_age, verified,
helpful_votes, review_ts, review_text. Ratings follow the J-shaped distribution real review sites
show (many 5s, some 1s, few 2-3s); the text is assembled from phrases that agree with the rating, so a
sentiment model or a keyword filter has something real to find; some products are far more
reviewed than others.

Faults, at `bad_rate`: an unparseable age ("thirty", "", "-4"), a rating out of range, a missing
field, a bad timestamp: the rows Exercise 13's parser must send to its dead-letter output.

`python -m bootcamp.datasets.reviews --rows 1000000 --out /tmp/reviews.csv` writes one CSV file;
the output depends only on the arguments.
"""

from __future__ import annotations

import argparse
import csv
import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

HEADER = ["review_id", "user_id", "product_id", "category", "rating", "reviewer_age", "verified",
          "helpful_votes", "review_ts", "review_text"]

CATEGORIES = {
    "books": ["novel", "cookbook", "biography", "guide"],
    "electronics": ["headphones", "charger", "keyboard", "webcam", "speaker"],
    "home": ["kettle", "lamp", "blender", "pan"],
    "toys": ["puzzle", "board game", "building set"],
    "sports": ["yoga mat", "water bottle", "running belt"],
}
OPENERS = {
    5: ["Absolutely love this {item}.", "Best {item} I have owned.", "Exceeded my expectations."],
    4: ["Very good {item}.", "Solid {item}, would buy again.", "Does the job well."],
    3: ["It's an okay {item}.", "Average {item}, nothing special.", "Mixed feelings about this {item}."],
    2: ["Disappointed with this {item}.", "Not great, the {item} feels cheap.", "Below expectations."],
    1: ["Terrible {item}.", "Broke after two days.", "Do not buy this {item}."],
}
DETAILS = {
    "good": ["Delivery was fast.", "Great value for money.", "Quality feels premium.", "Easy to set up."],
    "mid": ["Packaging was damaged.", "Instructions could be clearer.", "A bit pricey."],
    "bad": ["Customer service never replied.", "Stopped working quickly.", "Returned it for a refund."],
}
RATING_WEIGHTS = [10, 5, 8, 22, 55]          # 1..5 stars: the J-shape of real review sites
EPOCH = datetime(2024, 1, 1)


def product_ids(n_products: int) -> list[tuple[str, str, str]]:
    """(product_id, category, item) for each product, fixed by index."""
    rng = random.Random("products")
    out = []
    for index in range(n_products):
        category = rng.choice(sorted(CATEGORIES))
        out.append((f"B{index:07d}", category, rng.choice(CATEGORIES[category])))
    return out


def _text(rng: random.Random, rating: int, item: str) -> str:
    mood = "good" if rating >= 4 else "mid" if rating == 3 else "bad"
    parts = [rng.choice(OPENERS[rating]).format(item=item)]
    parts += rng.sample(DETAILS[mood], k=rng.randrange(0, 3))
    return " ".join(parts)


def review_rows(n_rows: int, seed: int = 13, n_products: int = 500, n_users: int = 5000,
                bad_rate: float = 0.01) -> Iterator[list[str]]:
    """Reviews in time order; product popularity is skewed (a few products get most reviews)."""
    rng = random.Random(f"reviews:{seed}")
    products = product_ids(n_products)
    step = 86400 * 365 * 2 / max(1, n_rows)
    for index in range(n_rows):
        product_id, category, item = products[min(n_products - 1, int(n_products * rng.random() ** 2.5))]
        rating = rng.choices(range(1, 6), RATING_WEIGHTS)[0]
        ts = EPOCH + timedelta(seconds=int(index * step + rng.random() * step))
        verified = rng.random() < 0.8
        helpful = int(rng.expovariate(0.4)) if rng.random() < 0.5 else 0
        row = [f"R{seed:02d}{index:09d}", f"U{rng.randrange(n_users):06d}", product_id, category, str(rating),
               str(max(16, min(90, int(rng.gauss(38, 13))))), "true" if verified else "false", str(helpful),
               ts.isoformat() + "Z", _text(rng, rating, item)]
        if rng.random() < bad_rate:
            row = _break(rng, row)
        yield row


def _break(rng: random.Random, row: list[str]) -> list[str]:
    kind = rng.randrange(4)
    if kind == 0:
        return [*row[:5], rng.choice(["thirty", "", "-4", "41.5"]), *row[6:]]
    if kind == 1:
        return [*row[:4], rng.choice(["0", "6", "five"]), *row[5:]]
    if kind == 2:
        return row[:-2]                                   # missing fields
    return [*row[:8], "yesterday", row[9]]


def write_reviews(path: Path, n_rows: int, *, seed: int = 13, n_products: int = 500, n_users: int = 5000,
                  bad_rate: float = 0.01) -> int:
    """Write the header and `n_rows` reviews; return the number of rows written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER)
        for row in review_rows(n_rows, seed, n_products, n_users, bad_rate):
            writer.writerow(row)
            count += 1
    return count


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="seeded product-review generator")
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--products", type=int, default=500)
    parser.add_argument("--users", type=int, default=5000)
    parser.add_argument("--bad-rate", type=float, default=0.01)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    count = write_reviews(args.out, args.rows, seed=args.seed, n_products=args.products, n_users=args.users,
                          bad_rate=args.bad_rate)
    print(f"wrote {count} reviews to {args.out}")


if __name__ == "__main__":
    main()
