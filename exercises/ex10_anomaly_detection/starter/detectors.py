"""Two anomaly detectors for one device's series: Tukey's IQR fences and Twitter's S-H-ESD.

Each takes the series' values in time order and returns one flag per value (a numpy bool array).
They run per device: devices differ in level and amplitude.

S-H-ESD, step by step (README, "How it works"): decompose into trend + seasonal + residual with
medians; measure the residuals with median and MAD (x 1.4826), not mean and standard deviation;
run the generalised ESD test (Rosner, 1983) on them.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import stats

MAD_TO_SD = 1.4826
__all__ = ["MAD_TO_SD", "stats"]


def iqr_flags(values: NDArray[np.float64], k: float = 1.5) -> NDArray[np.bool_]:
    """Tukey's fences: a value below Q1 - k*IQR or above Q3 + k*IQR is an anomaly."""
    raise NotImplementedError("iqr_flags: Tukey's fences over the device's values")


def seasonal_decompose(values: NDArray[np.float64], period: int
                       ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """(trend, seasonal, residual), with values == trend + seasonal + residual.

    A first trend, the rolling median over one period (the window clipped at the edges), removes
    the level; seasonal is, for each phase p of the period, the median of (values - first trend)
    over the indices whose phase i % period is within `period // 48` of p (around the cycle),
    repeated along the series; the trend is then the rolling median of (values - seasonal).
    """
    raise NotImplementedError("seasonal_decompose: trend, seasonal and residual by medians")


def generalized_esd(residual: NDArray[np.float64], max_anomalies: int, alpha: float = 0.05) -> list[int]:
    """Indices of the anomalies among `residual` by the generalised ESD test with median and MAD."""
    raise NotImplementedError("generalized_esd: Rosner's test, with median and MAD")


def shesd_flags(values: NDArray[np.float64], period: int, max_share: float = 0.05,
                alpha: float = 0.05) -> NDArray[np.bool_]:
    """Seasonal Hybrid ESD: decompose, then generalised ESD on the residuals (at most `max_share`
    of the values reported, at least one)."""
    raise NotImplementedError("shesd_flags: decompose, then the generalised ESD on the residuals")
