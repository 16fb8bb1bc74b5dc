"""Exercise 12: enrich purchases with user profiles, promotions and a global mean, two ways.

- `join_with_side_inputs`: profiles as `AsDict`, promotions as `AsList`, the mean as `AsSingleton`.
  The big input (purchases) never moves; every worker gets a full copy of the small ones.
- `join_with_cogroupbykey`: purchases and profiles are both shuffled by user id and met per key.

Both use the same `join.py` functions, so they produce the same records; the bench measures which
moves data more cheaply. Everything around them (reading, parsing, the mean, counting, writing, the
CLI) is provided, in `../run.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import apache_beam as beam
from apache_beam.pvalue import AsDict, AsIter, AsList, AsSingleton, TaggedOutput

from exercises.ex12_side_inputs.records import (
    DEAD,
    UNMATCHED,
    JoinOutputs,
    Profile,
    Promotion,
    Purchase,
    Unmatched,
)

from .join import enrich, resolve_profiles


# -- the two joins ----------------------------------------------------------------------------------
class _EnrichWithSideInputs(beam.DoFn):  # type: ignore[misc]
    """Per purchase: look the user up in the AsDict side input; misses go to the `unmatched` output."""

    def process(self, purchase: Purchase, profiles: dict[str, Profile | None], promotions: list[Promotion],
                mean_amount: float) -> Iterator[Any]:
        result = enrich(purchase, profiles, promotions, mean_amount)
        yield TaggedOutput(UNMATCHED, result) if isinstance(result, Unmatched) else result


def join_with_side_inputs(purchases: beam.PCollection[Purchase], profiles: beam.PCollection[Profile],
                          promotions: beam.PCollection[Promotion],
                          mean_amount: beam.PCollection[float]) -> JoinOutputs:
    """The side-input join.

    Profiles are first grouped by user id and put through the duplicate policy, because `AsDict`
    on duplicate keys silently keeps one of them, whichever the runner saw last. The resolved table
    (user id -> profile, or None for a conflict) becomes the AsDict; the purchases stay where they are.
    """
    resolved = (
        profiles
        | "KeyProfiles" >> beam.Map(lambda p: (p.user_id, p))
        | "GroupProfileVersions" >> beam.GroupByKey()
        | "ApplyDuplicatePolicy" >> beam.MapTuple(resolve_profiles)
    )
    rejected = resolved | "RejectedVersions" >> beam.FlatMap(lambda r: r.rejected)
    table = resolved | "ProfileTable" >> beam.Map(lambda r: (r.user_id, r.profile))
    joined = purchases | "EnrichWithSideInputs" >> beam.ParDo(
        _EnrichWithSideInputs(),
        profiles=AsDict(table),
        promotions=AsList(promotions),
        mean_amount=AsSingleton(mean_amount),
    ).with_outputs(UNMATCHED, main="enriched")
    return JoinOutputs(joined.enriched, joined[UNMATCHED], rejected)


class _JoinPerUser(beam.DoFn):  # type: ignore[misc]
    """Per user id after the CoGroupByKey: resolve that user's profile versions, enrich their purchases."""

    def process(self, element: tuple[str, dict[str, list[Any]]], promotions: Iterable[Promotion],
                mean_amount: float) -> Iterator[Any]:
        user_id, groups = element
        versions: list[Profile] = list(groups["profiles"])
        resolution = resolve_profiles(user_id, versions)
        for letter in resolution.rejected:
            yield TaggedOutput(DEAD, letter)
        table: dict[str, Profile | None] = {user_id: resolution.profile} if versions else {}
        for purchase in groups["purchases"]:
            result = enrich(purchase, table, promotions, mean_amount)
            yield TaggedOutput(UNMATCHED, result) if isinstance(result, Unmatched) else result


def join_with_cogroupbykey(purchases: beam.PCollection[Purchase], profiles: beam.PCollection[Profile],
                           promotions: beam.PCollection[Promotion],
                           mean_amount: beam.PCollection[float]) -> JoinOutputs:
    """The shuffle join: both sides keyed by user id and grouped together.

    Promotions (a range join, tiny) and the mean (one value) stay side inputs: only the
    profile/purchase join is the one being compared.
    """
    joined = (
        {
            "profiles": profiles | "KeyProfiles" >> beam.Map(lambda p: (p.user_id, p)),
            "purchases": purchases | "KeyPurchases" >> beam.Map(lambda p: (p.user_id, p)),
        }
        | "CoGroupByUser" >> beam.CoGroupByKey()
        | "JoinPerUser" >> beam.ParDo(
            # AsIter here (AsList in the side-input join): a re-iterable view that the runner may
            # stream instead of materialising; for 24 promotions either is fine.
            _JoinPerUser(), promotions=AsIter(promotions), mean_amount=AsSingleton(mean_amount),
        ).with_outputs(UNMATCHED, DEAD, main="enriched")
    )
    return JoinOutputs(joined.enriched, joined[UNMATCHED], joined[DEAD])


JOINS: dict[str, Callable[..., JoinOutputs]] = {
    "side_input": join_with_side_inputs,
    "cogroupbykey": join_with_cogroupbykey,
}
