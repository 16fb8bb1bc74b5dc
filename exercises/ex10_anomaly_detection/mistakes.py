"""Realistic wrong answers to ex10 that its tests must reject (format: `bootcamp.grading.Mistake`)."""

from __future__ import annotations

from bootcamp.grading import Mistake

MISTAKES: list[Mistake] = [
    Mistake(
        name="inclusive-range-start",
        lesson="`token >= start AND token <= end` reads the partition sitting exactly on a boundary twice "
               "(once in each neighbouring range): ranges are (start, end], start excluded.",
        file="token_ranges.py",
        old='''f"WHERE {token} > ? AND {token} <= ?")''',
        new='''f"WHERE {token} >= ? AND {token} <= ?")''',
        expect="rows read more than once",
        tests=("tests/test_token_ranges.py::test_range_read_returns_every_row_exactly_once",),
    ),
    Mistake(
        name="exclusive-range-end",
        lesson="`token > start AND token < end` loses every partition whose token is a boundary: a gap "
               "between each pair of ranges.",
        file="token_ranges.py",
        old='''f"WHERE {token} > ? AND {token} <= ?")''',
        new='''f"WHERE {token} > ? AND {token} < ?")''',
        expect="rows never read",
        tests=("tests/test_token_ranges.py::test_range_read_returns_every_row_exactly_once",),
    ),
    Mistake(
        name="no-wrap-around-range",
        lesson="The ring is a circle: the partitions above the last node token and below the first belong "
               "to the wrap-around range, which a plain walk over consecutive tokens leaves out.",
        file="token_ranges.py",
        old='''    ranges = [TokenRange(MIN_TOKEN, ordered[0])] if ordered[0] > MIN_TOKEN else []''',
        new='''    ranges = []''',
        expect="the wrap-around range",
        tests=("tests/test_token_ranges.py::test_ring_ranges_include_the_wrap_around_range",
               "tests/test_token_ranges.py::test_range_read_returns_every_row_exactly_once"),
    ),
    Mistake(
        name="sub-range-off-by-one",
        lesson="Starting each sub-range one token after the previous end (as if ranges were inclusive at "
               "both ends) leaves a one-token gap at every split: the partitions there are never read.",
        file="token_ranges.py",
        old='''    return [TokenRange(a, b) for a, b in itertools.pairwise(bounds)]''',
        new=("    return [TokenRange(a + (1 if i else 0), b)\n"
             "            for i, (a, b) in enumerate(itertools.pairwise(bounds))]"),
        expect="ranges overlap or gap at their bounds",
        tests=("tests/test_token_ranges.py::test_split_range_tiles_the_range",),
    ),
    Mistake(
        name="esd-without-deseasonalising",
        lesson="Running the ESD test on the raw values (minus their median) instead of the residuals: the "
               "daily cycle's peaks are the extremes, and anomalies inside the cycle's range are missed.",
        file="detectors.py",
        old='''    _, _, residual = seasonal_decompose(values, period)''',
        new='''    residual = values - np.median(values)''',
        expect="was the seasonality removed before the ESD test",
        tests=("tests/test_detectors.py::test_shesd_finds_the_anomalies_hidden_in_the_daily_cycle",),
    ),
    Mistake(
        name="fleet-wide-grouping",
        lesson="Grouping by site (or the whole fleet) instead of by device mixes series of different levels: "
               "quartiles and medians of the mixture describe no device.",
        file="mapping.py",
        old='''    return reading.device_id''',
        new='''    return reading.location''',
        expect="detection must run per device",
        tests=("tests/test_mapping.py::test_readings_are_grouped_per_device",),
    ),
    Mistake(
        name="point-stamped-now",
        lesson="Stamping the point with the time of the run makes every re-run write new points: InfluxDB "
               "overwrites only a point with the same measurement, tags and timestamp.",
        file="mapping.py",
        old='''        "time": (anomaly.ts - EPOCH) // timedelta(milliseconds=1),''',
        new='''        "time": (datetime.now(UTC) - EPOCH) // timedelta(microseconds=1) // 1000,''',
        expect="not the reading's own timestamp",
        tests=("tests/test_mapping.py::test_the_point_is_the_same_for_the_same_anomaly",),
    ),
    Mistake(
        name="run-time-tag",
        lesson="A tag that names the run (its start time, a run id, anything random) makes a new series at "
               "every run, so a re-run doubles the points instead of overwriting them.",
        file="mapping.py",
        old='''"location": anomaly.location},''',
        new='''"location": anomaly.location,
                 "run": datetime.now(UTC).isoformat()},''',
        expect="a re-run would add points",
        tests=("tests/test_mapping.py::test_the_point_is_the_same_for_the_same_anomaly",),
    ),
    Mistake(
        name="nan-dropped-silently",
        lesson="Skipping NaN readings without a word hides a broken sensor: a bad row goes to the dead "
               "letter output with its reason, and is counted.",
        file="mapping.py",
        old='''        elif not math.isfinite(row.value):
            reason = f"non-finite value {row.value!r}"''',
        new='''        elif not math.isfinite(row.value):
            return''',
        expect="never be dropped silently",
        tests=("tests/test_mapping.py::test_bad_rows_go_to_the_dead_letter_output_with_their_reason",),
    ),
]
