"""Two anomaly detectors for one device's series: Tukey's IQR fences and Twitter's S-H-ESD.

Each takes the series' values in time order and returns one flag per value. They run per device:
devices differ in level and amplitude, so quartiles or medians of the whole fleet would call a
normal reading of a hot device an anomaly and miss a spike on a cold one.

S-H-ESD (Seasonal Hybrid ESD; Hochenbaum, Vallis and Kejariwal, 2017), step by step:

1. Decompose: trend = a centred rolling median over one period (a spike does not move a median),
   seasonal = the median of the detrended values at each phase of the period, residual = the rest.
   Without this step the daily cycle's peaks and troughs are the most extreme values, and the test
   flags them instead of the anomalies hidden inside the cycle's range.
2. Robust scale: the residuals' median and MAD (median absolute deviation, x 1.4826 to estimate a
   standard deviation), not their mean and standard deviation, which the anomalies themselves inflate.
3. Generalised ESD (Rosner, 1983): up to k times, take the residual farthest from the median
   (R_i = max |x - median| / MAD), remove it, and compare R_i with the critical value
   lambda_i = (n-i) t_{p, n-i-1} / sqrt((n-i-1 + t^2)(n-i+1)), p = 1 - alpha / (2(n-i+1)).
   The anomalies are the first r removed, r being the largest i with R_i > lambda_i: a test that
   needs no threshold, only the share of anomalies it may report (k) and a significance level.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import stats

MAD_TO_SD = 1.4826


def iqr_flags(values: NDArray[np.float64], k: float = 1.5) -> NDArray[np.bool_]:
    """Tukey's fences: a value below Q1 - k*IQR or above Q3 + k*IQR is an anomaly."""
    q1, q3 = np.percentile(values, [25.0, 75.0])
    spread = q3 - q1
    return np.asarray((values < q1 - k * spread) | (values > q3 + k * spread))


def seasonal_decompose(values: NDArray[np.float64], period: int
                       ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """(trend, seasonal, residual), with values == trend + seasonal + residual.

    A first trend, the rolling median over one period, removes the level; seasonal is, for each
    phase p of the period, the median of (values - first trend) over the indices i whose phase
    i % period is within `period // 48` of p (pooling neighbouring phases, as STL smooths its
    cycle-subseries: a median of three cycles alone would be one of the three noisy values),
    repeated along the series; the trend is then the rolling median of the
    deseasonalised values (values - seasonal), which has no cycle left to bend it at the series'
    edges, where the window is clipped. One pass of the idea of STL's inner loop, with medians.
    """
    first_trend = _rolling_median(values, period)
    detrended = values - first_trend
    phases = np.arange(len(values)) % period
    spread = max(1, period // 48)  # neighbouring phases pooled: a median of few cycles is noisy
    def near(p: int) -> NDArray[np.bool_]:  # phases within `spread` of p, around the cycle
        return np.asarray(np.abs((phases - p + period // 2) % period - period // 2) <= spread)

    by_phase = np.array([np.median(detrended[near(p)]) for p in range(period)])
    seasonal = by_phase[phases]
    trend = _rolling_median(values - seasonal, period)
    return trend, seasonal, values - trend - seasonal


def _rolling_median(values: NDArray[np.float64], window: int) -> NDArray[np.float64]:
    """The median of the `window` values centred on each one (clipped at the series' edges)."""
    n = len(values)
    half = window // 2
    return np.array([np.median(values[max(0, i - half):min(n, i + half + 1)]) for i in range(n)])


def generalized_esd(residual: NDArray[np.float64], max_anomalies: int, alpha: float = 0.05) -> list[int]:
    """Indices of the anomalies among `residual` by the generalised ESD test with median and MAD."""
    remaining = np.arange(len(residual))
    removed: list[int] = []
    found = 0
    n = len(residual)
    for i in range(1, max_anomalies + 1):
        rest = residual[remaining]
        median = np.median(rest)
        mad = MAD_TO_SD * np.median(np.abs(rest - median))
        if mad == 0:
            break
        deviation = np.abs(rest - median) / mad
        worst = int(np.argmax(deviation))
        r_i = float(deviation[worst])
        removed.append(int(remaining[worst]))
        remaining = np.delete(remaining, worst)
        p = 1 - alpha / (2 * (n - i + 1))
        t = float(stats.t.ppf(p, n - i - 1))
        lambda_i = (n - i) * t / np.sqrt((n - i - 1 + t * t) * (n - i + 1))
        if r_i > lambda_i:
            found = i
    return removed[:found]


def shesd_flags(values: NDArray[np.float64], period: int, max_share: float = 0.05,
                alpha: float = 0.05) -> NDArray[np.bool_]:
    """Seasonal Hybrid ESD: decompose, then generalised ESD on the residuals (at most `max_share`
    of the values reported)."""
    _, _, residual = seasonal_decompose(values, period)
    flags = np.zeros(len(values), dtype=bool)
    flags[generalized_esd(residual, max(1, int(max_share * len(values))), alpha)] = True
    return flags
