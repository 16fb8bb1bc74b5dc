"""The detectors the exercise provides: a z-score baseline and scikit-learn's Local Outlier Factor.

z-score: |x - mean| / sd > 3 over the device's raw values, the rule of thumb every dashboard has;
the bench measures the learner's detectors against it.

LOF (Breunig et al., 2000): a point whose local density is much lower than its neighbours' is an
outlier. Each reading becomes a point (value, phase of the day as a point on a circle), scaled, so
a reading is compared with readings at the same time of day: a value normal at noon but not at
midnight stands out. scikit-learn's `LocalOutlierFactor` does the work; `contamination` is the share
of points it reports.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def zscore_flags(values: NDArray[np.float64], threshold: float = 3.0) -> NDArray[np.bool_]:
    sd = float(np.std(values))
    if sd == 0:
        return np.zeros(len(values), dtype=bool)
    return np.asarray(np.abs(values - np.mean(values)) / sd > threshold)


def lof_flags(values: NDArray[np.float64], period: int, contamination: float = 0.02,
              neighbours: int = 20) -> NDArray[np.bool_]:
    from sklearn.neighbors import LocalOutlierFactor
    from sklearn.preprocessing import StandardScaler

    phase = 2 * np.pi * (np.arange(len(values)) % period) / period
    features = np.column_stack([values, np.sin(phase), np.cos(phase)])
    scaled = StandardScaler().fit_transform(features)
    scaled[:, 0] *= 2.0  # the value matters more than the exact minute
    lof = LocalOutlierFactor(n_neighbors=min(neighbours, len(values) - 1), contamination=contamination)
    return np.asarray(lof.fit_predict(scaled) == -1)
