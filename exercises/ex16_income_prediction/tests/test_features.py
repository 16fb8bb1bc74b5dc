"""Preprocessing: one-hot + standardised features, fitted on the training split ONLY (no leakage)."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import apache_beam as beam
import numpy as np
from apache_beam.options.pipeline_options import PipelineOptions

from exercises.ex16_income_prediction.census import NUMERIC, Person
from exercises.ex16_income_prediction.tests.conftest import sample_lines


def people(split: str, n: int, impl: Any) -> list[Person]:
    parsed = [impl.clean.clean_line(line, split) for line in sample_lines(split, n)]
    return [p for p in parsed if isinstance(p, Person)]


def numeric_means(rows: list[Person]) -> np.ndarray:
    means: np.ndarray = np.array([[getattr(p, c) for c in NUMERIC] for p in rows], dtype=float).mean(axis=0)
    return means


def test_fit_preprocessor_scales_with_the_rows_it_is_given(impl: Any) -> None:
    train = people("train", 200, impl)
    prep = impl.features.fit_preprocessor(train)
    scaler = prep.named_transformers_["scale"]
    assert np.allclose(scaler.mean_, numeric_means(train))
    width = prep.transform(np.array([p[:-1] for p in train[:3]], dtype=object)).shape[1]
    assert width > len(NUMERIC), "categorical features must be one-hot encoded"


def test_the_pipeline_fits_the_scaler_on_the_training_split_only(impl: Any, tmp_path: Path) -> None:
    """Test rows shifted by 40 years: a scaler that saw them has a mean 10+ years higher."""
    train = people("train", 150, impl)
    test = [p._replace(age=p.age + 40) for p in people("test", 150, impl)]
    out = tmp_path / "prep.pkl"

    def keep(prep: Any) -> None:
        out.write_bytes(pickle.dumps(prep))

    with beam.Pipeline(options=PipelineOptions(["--runner=FnApiRunner"])) as p:
        splits = {"train": p | "Train" >> beam.Create(train), "test": p | "Test" >> beam.Create(test)}
        result = splits | impl.features.Preprocess()
        _ = result["preprocessor"] | beam.Map(keep)
        _ = result["test"] | "Count" >> beam.combiners.Count.Globally()
    scaler = pickle.loads(out.read_bytes()).named_transformers_["scale"]
    assert np.allclose(scaler.mean_, numeric_means(train)), (
        "leakage: the scaler's statistics are not the training split's (it saw test rows): "
        f"mean age {scaler.mean_[0]:.1f}, training split {numeric_means(train)[0]:.1f}")
