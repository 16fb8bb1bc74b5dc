"""Schema-aware transforms: fields by name, not positions or lambdas over dicts.

- `analytics_view`: `beam.Select` projects fields and computes new ones; the result is a
  schema'd `beam.Row`.
- `trusted_reviews`: a filter on typed fields.
- `product_stats`: `beam.GroupBy(...).aggregate_field(...)`: a keyed aggregation described by field
  names and CombineFns, which a runner can plan (and the SQL/DataFrame layers translate to).
- `category_stats`: the same kind of question asked with `beam.dataframe` (pandas API, deferred,
  run by Beam in parallel).
"""

from __future__ import annotations

import apache_beam as beam
from apache_beam.dataframe.convert import to_dataframe, to_pcollection
from apache_beam.transforms.combiners import CountCombineFn, MeanCombineFn

from exercises.ex13_beam_schemas.records import CategoryStats, ProductStats, Review, age_band


def analytics_view(reviews: beam.PCollection[Review]) -> beam.PCollection[beam.Row]:
    """Project to the fields analytics needs and add computed ones, with `beam.Select`.

    Output fields: product_id, category, rating, verified, text_length (chars), age_band.
    The reviewer's user_id and the text itself are dropped: a view that leaves out what the
    consumer does not need (and should not see).
    """
    return reviews | "AnalyticsView" >> beam.Select(
        "product_id",
        "category",
        "rating",
        "verified",
        text_length=lambda r: len(r.review_text),
        age_band=lambda r: age_band(r.reviewer_age),
    )


def trusted_reviews(reviews: beam.PCollection[Review], min_helpful_votes: int) -> beam.PCollection[Review]:
    """Keep verified-purchase reviews with at least `min_helpful_votes` helpful votes."""
    return reviews | "TrustedReviews" >> beam.Filter(
        lambda r: r.verified and r.helpful_votes >= min_helpful_votes
    ).with_output_types(Review)


def product_stats(reviews: beam.PCollection[Review]) -> beam.PCollection[ProductStats]:
    """Per (product_id, category): review count, mean rating, helpful votes, by `GroupBy.aggregate_field`.

    In the Python SDK, GroupBy's output is a `beam.Row` whose type Beam does not infer; converting it
    to the `ProductStats` NamedTuple pins the schema, so the Parquet writer downstream knows it.
    """
    return (
        reviews
        | "GroupByProduct" >> beam.GroupBy("product_id", "category")
        .aggregate_field("rating", CountCombineFn(), "n_reviews")
        .aggregate_field("rating", MeanCombineFn(), "avg_rating")
        .aggregate_field("helpful_votes", sum, "helpful_votes")
        | "ToProductStats" >> beam.Map(
            lambda row: ProductStats(row.product_id, row.category, int(row.n_reviews),
                                     float(row.avg_rating), int(row.helpful_votes))
        ).with_output_types(ProductStats)
    )


def category_stats(reviews: beam.PCollection[Review]) -> beam.PCollection[CategoryStats]:
    """Per category: count, mean rating and mean reviewer age, with `beam.dataframe`.

    `to_dataframe` needs a schema'd PCollection; the pandas-style expressions are deferred and run
    by Beam in parallel; `to_pcollection(..., include_indexes=True)` turns the result back into rows.
    Beam's DataFrame API does not support every pandas call (`groupby().agg({...})` with a dict is
    not), so each aggregate is its own expression, aligned on the group index.
    """
    frame = to_dataframe(reviews, label="ReviewsFrame")
    groups = frame.groupby("category")
    result = groups.rating.count().to_frame(name="n_reviews")
    result["avg_rating"] = groups.rating.mean()
    result["avg_reviewer_age"] = groups.reviewer_age.mean()
    return (
        to_pcollection(result, include_indexes=True, label="CategoryRows")
        | "ToCategoryStats" >> beam.Map(
            lambda row: CategoryStats(str(row.category), int(row.n_reviews), float(row.avg_rating),
                                      float(row.avg_reviewer_age))
        ).with_output_types(CategoryStats)
    )
