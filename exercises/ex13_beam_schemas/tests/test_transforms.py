"""The schema-aware transforms on in-memory input, checked against plain Python over the same rows."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from statistics import mean

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline as BeamTestPipeline
from apache_beam.testing.util import assert_that, equal_to

from bootcamp.testing.plugin import Implementation
from exercises.ex13_beam_schemas.records import Review, age_band

from .conftest import data_lines


@pytest.fixture
def reviews(impl: Implementation, reviews_csv: Path) -> list[Review]:
    parsed = [impl.parse.parse_review(line) for line in data_lines(reviews_csv)]
    return [r for r in parsed if isinstance(r, Review)]


def test_product_stats_with_groupby_aggregate_field(impl: Implementation, reviews: list[Review]) -> None:
    by_product: dict[tuple[str, str], list[Review]] = defaultdict(list)
    for r in reviews:
        by_product[(r.product_id, r.category)].append(r)
    expected = [(pid, cat, len(rs), round(mean(r.rating for r in rs), 9), sum(r.helpful_votes for r in rs))
                for (pid, cat), rs in by_product.items()]
    with BeamTestPipeline(runner="FnApiRunner") as p:
        stats = impl.transforms.product_stats(p | beam.Create(reviews).with_output_types(Review))
        assert_that(stats | beam.Map(lambda s: (s.product_id, s.category, s.n_reviews, round(s.avg_rating, 9),
                                                s.helpful_votes)), equal_to(expected))


def test_category_stats_with_beam_dataframe(impl: Implementation, reviews: list[Review]) -> None:
    by_category: dict[str, list[Review]] = defaultdict(list)
    for r in reviews:
        by_category[r.category].append(r)
    expected = [(cat, len(rs), round(mean(r.rating for r in rs), 9),
                 round(mean(r.reviewer_age for r in rs), 9)) for cat, rs in by_category.items()]
    with BeamTestPipeline(runner="FnApiRunner") as p:
        stats = impl.transforms.category_stats(p | beam.Create(reviews).with_output_types(Review))
        assert_that(stats | beam.Map(lambda s: (s.category, s.n_reviews, round(s.avg_rating, 9),
                                                round(s.avg_reviewer_age, 9))), equal_to(expected))


def test_analytics_view_selects_and_computes_fields(impl: Implementation, reviews: list[Review]) -> None:
    expected = [(r.product_id, r.category, r.rating, r.verified, len(r.review_text),
                 age_band(r.reviewer_age)) for r in reviews]
    with BeamTestPipeline(runner="FnApiRunner") as p:
        view = impl.transforms.analytics_view(p | beam.Create(reviews).with_output_types(Review))
        fields = sorted(["product_id", "category", "rating", "verified", "text_length", "age_band"])
        assert_that(view | beam.Map(lambda v: sorted(v._asdict())), equal_to([fields] * len(reviews)),
                    label="fields")
        assert_that(view | beam.Map(lambda v: (v.product_id, v.category, v.rating, v.verified, v.text_length,
                                               v.age_band)), equal_to(expected), label="values")


def test_trusted_reviews_filters_on_typed_fields(impl: Implementation, reviews: list[Review]) -> None:
    expected = [r.review_id for r in reviews if r.verified and r.helpful_votes >= 2]
    assert 0 < len(expected) < len(reviews)
    with BeamTestPipeline(runner="FnApiRunner") as p:
        kept = impl.transforms.trusted_reviews(p | beam.Create(reviews).with_output_types(Review), 2)
        assert_that(kept | beam.Map(lambda r: r.review_id), equal_to(expected))
