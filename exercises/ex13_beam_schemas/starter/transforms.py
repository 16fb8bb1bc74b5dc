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
from apache_beam.dataframe.convert import to_dataframe, to_pcollection  # noqa: F401 - you need these
from apache_beam.transforms.combiners import CountCombineFn, MeanCombineFn  # noqa: F401

from exercises.ex13_beam_schemas.records import CategoryStats, ProductStats, Review, age_band  # noqa: F401


def analytics_view(reviews: beam.PCollection[Review]) -> beam.PCollection[beam.Row]:
    """Project to the fields analytics needs and add computed ones, with `beam.Select`.

    Output fields: product_id, category, rating, verified, text_length (chars), age_band.
    The reviewer's user_id and the text itself are dropped: a view that leaves out what the
    consumer does not need (and should not see).
    """
    raise NotImplementedError(
        "analytics_view: reviews | beam.Select('product_id', 'category', 'rating', 'verified', "
        "text_length=lambda r: ..., age_band=lambda r: age_band(r.reviewer_age))"
    )


def trusted_reviews(reviews: beam.PCollection[Review], min_helpful_votes: int) -> beam.PCollection[Review]:
    """Keep verified-purchase reviews with at least `min_helpful_votes` helpful votes."""
    raise NotImplementedError(
        "trusted_reviews: beam.Filter on r.verified and r.helpful_votes >= min_helpful_votes, "
        "with_output_types(Review) so the schema is kept"
    )


def product_stats(reviews: beam.PCollection[Review]) -> beam.PCollection[ProductStats]:
    """Per (product_id, category): review count, mean rating, helpful votes, by `GroupBy.aggregate_field`.

    In the Python SDK, GroupBy's output is a `beam.Row` whose type Beam does not infer; converting it
    to the `ProductStats` NamedTuple pins the schema, so the Parquet writer downstream knows it.
    """
    raise NotImplementedError(
        "product_stats: beam.GroupBy('product_id', 'category').aggregate_field('rating', "
        "CountCombineFn(), 'n_reviews') ... MeanCombineFn() 'avg_rating', sum 'helpful_votes'; "
        "then Map each Row to ProductStats with_output_types(ProductStats)"
    )


def category_stats(reviews: beam.PCollection[Review]) -> beam.PCollection[CategoryStats]:
    """Per category: count, mean rating and mean reviewer age, with `beam.dataframe`.

    `to_dataframe` needs a schema'd PCollection; the pandas-style expressions are deferred and run
    by Beam in parallel; `to_pcollection(..., include_indexes=True)` turns the result back into rows.
    Beam's DataFrame API does not support every pandas call (`groupby().agg({...})` with a dict is
    not), so each aggregate is its own expression, aligned on the group index.
    """
    raise NotImplementedError(
        "category_stats: to_dataframe(reviews), groupby('category'), count/mean of rating, mean "
        "of reviewer_age as columns of one frame; to_pcollection(include_indexes=True); Map to "
        "CategoryStats"
    )
