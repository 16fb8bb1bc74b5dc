"""The join logic, free of Beam: the duplicate-key policy and the enrichment of one purchase.

Both joins in `pipeline.py` (side inputs and CoGroupByKey) call these functions, so they cannot
disagree on what a match, a miss or a duplicate means; only the data movement differs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from exercises.ex12_side_inputs.records import (
    DeadLetter,
    Enriched,
    Profile,
    Promotion,
    Purchase,
    Resolution,
    Unmatched,
    profile_line,
)


def resolve_profiles(user_id: str, versions: Iterable[Profile]) -> Resolution:
    """Apply the duplicate-key policy to every profile version seen for one user id.

    Policy (explicit, because Beam's AsDict would otherwise keep an arbitrary one):
    - the version with the latest `updated_at` wins (an update supersedes what it replaced);
      each older version goes to the dead letters as `superseded_duplicate`;
    - exact copies of the winner are collapsed and reported as `identical_duplicate`;
    - two *different* versions sharing the latest `updated_at` are a conflict no rule can settle:
      nothing wins (profile=None), every version goes out as `conflicting_duplicate`, and the
      purchases of that user come out unmatched as `ambiguous_profile`, never joined to a guess.
    Versions are sorted first, so the outcome does not depend on the order Beam delivers them in.
    """
    counts = Counter(versions)
    if not counts:
        return Resolution(user_id, None, ())
    ordered = sorted(counts, key=lambda p: (p.updated_at, p))
    latest = ordered[-1].updated_at
    top = [p for p in ordered if p.updated_at == latest]
    rejected: list[DeadLetter] = [
        DeadLetter("profiles", f"superseded_duplicate: updated_at {p.updated_at.isoformat()} "
                   f"< {latest.isoformat()}", profile_line(p))
        for p in ordered if p.updated_at != latest for _ in range(counts[p])
    ]
    if len(top) > 1:
        rejected += [DeadLetter("profiles", "conflicting_duplicate: different versions share the latest "
                                f"updated_at {latest.isoformat()}", profile_line(p))
                     for p in top for _ in range(counts[p])]
        return Resolution(user_id, None, tuple(rejected))
    winner = top[0]
    rejected += [DeadLetter("profiles", "identical_duplicate", profile_line(winner))] * (counts[winner] - 1)
    return Resolution(user_id, winner, tuple(rejected))


def best_promotion(profile: Profile, purchase: Purchase, promotions: Iterable[Promotion]) -> Promotion | None:
    """The promotion with the highest discount that covers this purchase (country, tier, date range).

    This is a range join on dates with wildcards, not a key lookup, which is why the promotions
    arrive as an iterable side input (AsIter/AsList) and not as a dict.
    Ties on the discount go to the lowest promo_id, so the result is deterministic.
    """
    day = purchase.ts.date()
    candidates = [
        promo for promo in promotions
        if promo.country in ("*", profile.country)
        and promo.tier in ("*", profile.tier)
        and promo.start_date <= day <= promo.end_date
    ]
    if not candidates:
        return None
    return min(candidates, key=lambda promo: (-promo.discount_pct, promo.promo_id))


def enrich(purchase: Purchase, profiles: Mapping[str, Profile | None], promotions: Iterable[Promotion],
           mean_amount: float) -> Enriched | Unmatched:
    """Join one purchase to its user's profile, the best promotion and the global mean amount.

    `profiles` maps user id -> winning profile, or -> None for a conflicting duplicate.
    A user id absent from the map is a missing key (`no_profile`); one mapped to None is
    `ambiguous_profile`. Neither is an error: both come out as `Unmatched`, counted.
    """
    amount = purchase.amount
    if purchase.user_id not in profiles:
        return Unmatched("no_profile", purchase.purchase_id, purchase.user_id, amount)
    profile = profiles[purchase.user_id]
    if profile is None:
        return Unmatched("ambiguous_profile", purchase.purchase_id, purchase.user_id, amount)
    promo = best_promotion(profile, purchase, promotions)
    discount = promo.discount_pct if promo else 0
    return Enriched(
        purchase_id=purchase.purchase_id,
        user_id=purchase.user_id,
        ts=purchase.ts.isoformat(),
        amount=amount,
        country=profile.country,
        tier=profile.tier,
        promo_id=promo.promo_id if promo else None,
        discount_pct=discount,
        net_amount=round(amount * (100 - discount) / 100, 2),
        above_average=amount > mean_amount,
    )
