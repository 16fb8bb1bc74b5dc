"""Realistic wrong answers to Exercise 12 that its check must reject (format: bootcamp/grading.py)."""

from __future__ import annotations

from bootcamp.grading import Mistake

MISTAKES: list[Mistake] = [
    Mistake(
        name="aslist-for-a-lookup",
        lesson="A per-element key lookup needs AsDict (or AsMultiMap); AsList hands every worker a list "
               "of pairs, so `user_id in profiles` is never true and every purchase is unmatched.",
        file="pipeline.py",
        old="profiles=AsDict(table),",
        new="profiles=AsList(table),",
        expect="purchases whose user has one profile must be enriched",
        tests=("tests/test_pipeline.py::test_pipeline_joins_and_routes_every_input",),
    ),
    Mistake(
        name="duplicate-policy-ignored",
        lesson="AsDict over duplicate keys keeps one of them, whichever the runner saw last: feeding the "
               "raw profiles to it joins conflicting versions to a guess.",
        file="pipeline.py",
        old="profiles=AsDict(table),",
        new='profiles=AsDict(profiles | "RawTable" >> beam.Map(lambda p: (p.user_id, p))),',
        expect="must leave its purchases unmatched",
        tests=("tests/test_pipeline.py::test_pipeline_joins_and_routes_every_input",),
    ),
    Mistake(
        name="unmatched-dropped",
        lesson="A purchase with no profile is data, not an error: dropping it silently loses it; it goes "
               "to the unmatched output with its reason, counted.",
        file="pipeline.py",
        old="""        result = enrich(purchase, profiles, promotions, mean_amount)
        yield TaggedOutput(UNMATCHED, result) if isinstance(result, Unmatched) else result""",
        new="""        result = enrich(purchase, profiles, promotions, mean_amount)
        if not isinstance(result, Unmatched):
            yield result""",
        expect="must come out unmatched as no_profile",
        tests=("tests/test_pipeline.py::test_pipeline_joins_and_routes_every_input",),
    ),
    Mistake(
        name="oldest-version-wins",
        lesson="The duplicate policy must pick the version that supersedes the others (the latest "
               "updated_at), whatever order the runner delivers them in.",
        file="join.py",
        old="latest = ordered[-1].updated_at",
        new="latest = ordered[0].updated_at",
        expect="the version with the latest updated_at must win",
        tests=("tests/test_join.py::test_latest_updated_at_wins_and_older_versions_are_dead_lettered",),
    ),
    Mistake(
        name="end-date-exclusive",
        lesson="A range join must respect the range's own convention: the promotions' end date is "
               "inclusive, so a purchase on the last day gets the discount.",
        file="join.py",
        old="promo.start_date <= day <= promo.end_date",
        new="promo.start_date <= day < promo.end_date",
        expect="the end date is inclusive",
        tests=("tests/test_join.py::test_best_promotion_ties_go_to_lowest_id_and_end_date_is_inclusive",),
    ),
]
