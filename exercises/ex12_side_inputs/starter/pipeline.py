"""Exercise 12: enrich purchases with user profiles, promotions and a global mean, two ways.

YOUR TASK: `join_with_side_inputs` and `join_with_cogroupbykey` (and the functions of `join.py`
they call). Reading, parsing, the mean, counting, writing and the CLI are provided, in `../run.py`.

- `join_with_side_inputs`: profiles as `AsDict`, promotions as `AsList`, the mean as `AsSingleton`.
  The big input (purchases) never moves; every worker gets a full copy of the small ones.
- `join_with_cogroupbykey`: purchases and profiles are both shuffled by user id and met per key.
"""

from __future__ import annotations

from collections.abc import Callable

import apache_beam as beam
from apache_beam.pvalue import AsDict, AsIter, AsList, AsMultiMap, AsSingleton, TaggedOutput  # noqa: F401

from exercises.ex12_side_inputs.records import (  # noqa: F401 - you need these
    DEAD,
    UNMATCHED,
    JoinOutputs,
    Profile,
    Promotion,
    Purchase,
    Unmatched,
)

from .join import enrich, resolve_profiles  # noqa: F401 - your joins call these


def join_with_side_inputs(purchases: beam.PCollection[Purchase], profiles: beam.PCollection[Profile],
                          promotions: beam.PCollection[Promotion],
                          mean_amount: beam.PCollection[float]) -> JoinOutputs:
    """The side-input join.

    Profiles are first grouped by user id and put through the duplicate policy, because `AsDict`
    on duplicate keys silently keeps one of them, whichever the runner saw last. The resolved table
    (user id -> profile, or None for a conflict) becomes the AsDict; the purchases stay where they are.
    """
    raise NotImplementedError(
        "join_with_side_inputs: key profiles by user_id, GroupByKey, MapTuple(resolve_profiles); "
        "then ParDo over purchases with AsDict(table), AsList(promotions), AsSingleton(mean_amount) and "
        "with_outputs(UNMATCHED); return JoinOutputs(enriched, unmatched, rejected)"
    )


def join_with_cogroupbykey(purchases: beam.PCollection[Purchase], profiles: beam.PCollection[Profile],
                           promotions: beam.PCollection[Promotion],
                           mean_amount: beam.PCollection[float]) -> JoinOutputs:
    """The shuffle join: both sides keyed by user id and grouped together.

    Promotions (a range join, tiny) and the mean (one value) stay side inputs: only the
    profile/purchase join is the one being compared.
    """
    raise NotImplementedError(
        "join_with_cogroupbykey: CoGroupByKey {'profiles': ..., 'purchases': ...} keyed by user_id; "
        "per key: resolve_profiles, emit its rejected to DEAD, enrich each purchase; "
        "promotions (AsIter) and the mean stay side inputs; return JoinOutputs(enriched, unmatched, rejected)"
    )


JOINS: dict[str, Callable[..., JoinOutputs]] = {
    "side_input": join_with_side_inputs,
    "cogroupbykey": join_with_cogroupbykey,
}
