"""Unit tests of the join logic: the duplicate-key policy, the promotion range join, one enrichment."""

from __future__ import annotations

import itertools
from datetime import date, datetime

import pytest

from bootcamp.testing.plugin import Implementation
from exercises.ex12_side_inputs.records import Enriched, Profile, Promotion, Purchase, Unmatched


def profile(user_id: str = "u1", tier: str = "gold", country: str = "DE",
            updated: str = "2025-01-01T00:00:00") -> Profile:
    return Profile(user_id, "Anna Weber", "anna@example.com", country, tier, date(2022, 1, 1),
                   datetime.fromisoformat(updated))


def purchase(user_id: str = "u1", ts: str = "2025-03-10T12:00:00", quantity: int = 2,
             price: float = 10.0) -> Purchase:
    return Purchase("p1", user_id, datetime.fromisoformat(ts), "SKU-00001", quantity, price)


PROMOS = [
    Promotion("promo-a", "DE", "*", date(2025, 3, 1), date(2025, 3, 10), 10),
    Promotion("promo-b", "*", "silver", date(2025, 3, 1), date(2025, 3, 31), 20),
    Promotion("promo-c", "*", "*", date(2025, 3, 10), date(2025, 3, 10), 10),
]


# -- duplicate-key policy ---------------------------------------------------------------------------
def test_single_version_wins_with_no_rejects(impl: Implementation) -> None:
    only = profile()
    result = impl.join.resolve_profiles("u1", [only])
    assert result.profile == only
    assert result.rejected == ()


def test_latest_updated_at_wins_and_older_versions_are_dead_lettered(impl: Implementation) -> None:
    old = profile(tier="silver", updated="2025-01-01T00:00:00")
    new = profile(tier="gold", updated="2025-02-01T00:00:00")
    result = impl.join.resolve_profiles("u1", [new, old])
    assert result.profile == new, "the version with the latest updated_at must win"
    assert [r.reason.split(":")[0] for r in result.rejected] == ["superseded_duplicate"]
    assert "silver" in result.rejected[0].line, "the dead letter carries the rejected version"


def test_identical_copies_collapse_to_one_and_are_counted(impl: Implementation) -> None:
    same = profile()
    result = impl.join.resolve_profiles("u1", [same, same, same])
    assert result.profile == same
    assert [r.reason for r in result.rejected] == ["identical_duplicate", "identical_duplicate"]


def test_different_versions_with_the_same_updated_at_conflict(impl: Implementation) -> None:
    de, ie = profile(country="DE"), profile(country="IE")
    older = profile(country="FR", updated="2024-12-01T00:00:00")
    result = impl.join.resolve_profiles("u1", [de, older, ie])
    assert result.profile is None, "a conflict must not be settled by a guess"
    reasons = sorted(r.reason.split(":")[0] for r in result.rejected)
    assert reasons == ["conflicting_duplicate", "conflicting_duplicate", "superseded_duplicate"]


def test_policy_does_not_depend_on_arrival_order(impl: Implementation) -> None:
    versions = [profile(tier="bronze", updated="2025-01-01T00:00:00"),
                profile(tier="silver", updated="2025-01-05T00:00:00"),
                profile(tier="gold", updated="2025-01-03T00:00:00"),
                profile(tier="silver", updated="2025-01-05T00:00:00")]
    outcomes = {impl.join.resolve_profiles("u1", list(order)) for order in itertools.permutations(versions)}
    assert len(outcomes) == 1
    (only,) = outcomes
    assert only.profile is not None
    assert only.profile.tier == "silver"


# -- promotions (AsList: a range join with wildcards) ------------------------------------------------
def test_best_promotion_picks_highest_discount_in_range(impl: Implementation) -> None:
    best = impl.join.best_promotion(profile(tier="silver"), purchase(ts="2025-03-10T23:59:59"), PROMOS)
    assert best is not None
    assert best.promo_id == "promo-b"


def test_best_promotion_ties_go_to_lowest_id_and_end_date_is_inclusive(impl: Implementation) -> None:
    best = impl.join.best_promotion(profile(tier="gold"), purchase(ts="2025-03-10T08:00:00"), PROMOS)
    assert best is not None, "the end date is inclusive: a promotion that ends today still applies"
    assert best.promo_id == "promo-a"       # promo-a and promo-c both give 10 %


def test_best_promotion_none_outside_every_range(impl: Implementation) -> None:
    assert impl.join.best_promotion(profile(country="FR"), purchase(ts="2025-03-11T00:00:00"), PROMOS) is None


# -- enrich ---------------------------------------------------------------------------------------
def test_enrich_joins_profile_promotion_and_mean(impl: Implementation) -> None:
    result = impl.join.enrich(purchase(), {"u1": profile()}, PROMOS, mean_amount=15.0)
    assert isinstance(result, Enriched)
    assert (result.country, result.tier, result.promo_id) == ("DE", "gold", "promo-a")
    assert result.discount_pct == 10
    assert result.amount == pytest.approx(20.0)
    assert result.net_amount == pytest.approx(18.0)
    assert result.above_average is True
    assert impl.join.enrich(purchase(), {"u1": profile()}, PROMOS, mean_amount=25.0).above_average is False


def test_enrich_missing_key_is_unmatched_not_an_error(impl: Implementation) -> None:
    result = impl.join.enrich(purchase(user_id="u404"), {"u1": profile()}, PROMOS, mean_amount=1.0)
    assert result == Unmatched("no_profile", "p1", "u404", 20.0)


def test_enrich_ambiguous_profile_is_unmatched(impl: Implementation) -> None:
    result = impl.join.enrich(purchase(), {"u1": None}, PROMOS, mean_amount=1.0)
    assert isinstance(result, Unmatched)
    assert result.reason == "ambiguous_profile"
