"""The join logic, free of Beam: the duplicate-key policy and the enrichment of one purchase.

Both joins in `pipeline.py` (side inputs and CoGroupByKey) call these functions, so they cannot
disagree on what a match, a miss or a duplicate means; only the data movement differs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from exercises.ex12_side_inputs.records import (  # noqa: F401 - you need these
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
    raise NotImplementedError(
        "resolve_profiles: apply the duplicate policy in the docstring: latest updated_at "
        "wins, older versions -> superseded_duplicate, copies of the winner -> "
        "identical_duplicate, different versions tied on the latest updated_at -> "
        "conflicting_duplicate and profile=None"
    )


def best_promotion(profile: Profile, purchase: Purchase, promotions: Iterable[Promotion]) -> Promotion | None:
    """The promotion with the highest discount that covers this purchase (country, tier, date range).

    This is a range join on dates with wildcards, not a key lookup, which is why the promotions
    arrive as an iterable side input (AsIter/AsList) and not as a dict.
    Ties on the discount go to the lowest promo_id, so the result is deterministic.
    """
    raise NotImplementedError(
        "best_promotion: filter promotions by country/tier (\"*\" matches any) and the "
        "purchase date within [start_date, end_date]; pick the highest discount, ties to the "
        "lowest promo_id"
    )


def enrich(purchase: Purchase, profiles: Mapping[str, Profile | None], promotions: Iterable[Promotion],
           mean_amount: float) -> Enriched | Unmatched:
    """Join one purchase to its user's profile, the best promotion and the global mean amount.

    `profiles` maps user id -> winning profile, or -> None for a conflicting duplicate.
    A user id absent from the map is a missing key (`no_profile`); one mapped to None is
    `ambiguous_profile`. Neither is an error: both come out as `Unmatched`, counted.
    """
    raise NotImplementedError(
        "enrich: user id not in profiles -> Unmatched('no_profile', ...); mapped to None -> "
        "Unmatched('ambiguous_profile', ...); otherwise build Enriched with best_promotion and "
        "above_average"
    )
