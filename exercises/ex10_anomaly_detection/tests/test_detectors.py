"""Each detector on a small series whose anomalies are known: found, and nothing else."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from bootcamp.testing.plugin import Implementation
from exercises.ex10_anomaly_detection import baselines

PERIOD = 96


def seasonal_series(seed: int = 3) -> tuple[NDArray[np.float64], set[int]]:
    """Four days of a strong daily cycle (amplitude 8, noise 0.3) with four anomalies of 3 to 4
    units, each placed where the cycle is low or high: inside the series' overall range."""
    rng = np.random.default_rng(seed)
    t = np.arange(4 * PERIOD)
    values = 50 + 8 * np.sin(2 * np.pi * t / PERIOD) + rng.normal(0, 0.3, len(t))
    trough, peak = 3 * PERIOD // 4, PERIOD // 4
    injected = {PERIOD + trough: 4.0, 2 * PERIOD + trough - 3: -3.5, 2 * PERIOD + peak: -4.0,
                3 * PERIOD + trough + 5: 3.5}
    for i, delta in injected.items():
        values[i] += delta
    return values, set(injected)


def flat_series() -> tuple[NDArray[np.float64], set[int]]:
    rng = np.random.default_rng(5)
    values = 50 + rng.uniform(-1.0, 1.0, 300)  # bounded noise: no natural outliers
    injected = {40: 12.0, 150: -11.0, 260: 10.0}
    for i, delta in injected.items():
        values[i] += delta
    return values, set(injected)


def found(flags: NDArray[np.bool_]) -> set[int]:
    return {int(i) for i in np.flatnonzero(flags)}


def test_iqr_finds_the_outliers_of_a_flat_series(impl: Implementation) -> None:
    values, injected = flat_series()
    assert found(impl.detectors.iqr_flags(values)) == injected


def test_seasonal_decompose_separates_the_cycle(impl: Implementation) -> None:
    values, _ = seasonal_series()
    trend, seasonal, residual = impl.detectors.seasonal_decompose(values, PERIOD)
    np.testing.assert_allclose(trend + seasonal + residual, values, atol=1e-9)
    expected = 8 * np.sin(2 * np.pi * np.arange(len(values)) / PERIOD)
    error = np.max(np.abs(seasonal - np.median(seasonal) - expected))
    assert error < 1.0, f"the seasonal part is not the cycle (off by up to {error:.2f})"
    assert np.median(np.abs(residual)) < 0.5


def test_generalized_esd_finds_exactly_the_planted_outliers(impl: Implementation) -> None:
    rng = np.random.default_rng(12)
    residual = rng.normal(0, 1, 400)
    residual[[17, 230, 311]] = [7.0, -6.5, 8.0]
    assert sorted(impl.detectors.generalized_esd(residual, 20, 0.05)) == [17, 230, 311]


def test_shesd_finds_the_anomalies_hidden_in_the_daily_cycle(impl: Implementation) -> None:
    values, injected = seasonal_series()
    flagged = found(impl.detectors.shesd_flags(values, PERIOD))
    assert injected <= flagged, (
        f"S-H-ESD missed {sorted(injected - flagged)}: these anomalies lie inside the daily cycle's range; "
        "was the seasonality removed before the ESD test?")
    assert flagged == injected, f"S-H-ESD flagged normal readings too: {sorted(flagged - injected)}"


def test_a_z_score_on_raw_values_misses_what_shesd_finds() -> None:
    """Why the decomposition matters: a threshold on raw values sees only the cycle."""
    values, injected = seasonal_series()
    assert not found(baselines.zscore_flags(values)) & injected


def test_lof_finds_the_anomalies_by_time_of_day() -> None:
    values, injected = seasonal_series()
    contamination = len(injected) / len(values)
    assert found(baselines.lof_flags(values, PERIOD, contamination=contamination)) == injected
