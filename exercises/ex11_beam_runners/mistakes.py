"""Realistic wrong answers to Exercise 11 that its check must reject (format: bootcamp/grading.py)."""

from __future__ import annotations

from bootcamp.grading import Mistake

MISTAKES: list[Mistake] = [
    Mistake(
        name="merge-sums-the-max",
        lesson="A combiner's merge must give what one pass gives: runners split a key's inputs into "
               "partial accumulators (combiner lifting) and merge them in any grouping; summing the "
               "partial maxima makes the answer depend on how the runner cut the bundles.",
        file="pipeline.py",
        old="total[2] + acc[2], max(total[3], acc[3]))",
        new="total[2] + acc[2], total[3] + acc[3])",
        expect="the combiner's merge must equal one pass",
        tests=("tests/test_runners.py::test_combiner_merge_equals_one_pass",),
    ),
    Mistake(
        name="partials-counted-as-requests",
        lesson="After pre-aggregation the combiner's inputs are partial aggregates, not requests: "
               "counting each as one request undercounts by the size of every block.",
        file="pipeline.py",
        old="return self.merge_accumulators([acc, partial])",
        new="return (acc[0] + 1, acc[1] + partial[1], acc[2] + partial[2], max(acc[3], partial[3]))",
        expect="MergeStats must merge partial Stats, not count them as requests",
        tests=("tests/test_runners.py::test_combiner_merge_equals_one_pass",),
    ),
    Mistake(
        name="header-dead-lettered",
        lesson="The vectorised path must apply the same rules as the per-line one: the CSV header is "
               "skipped, not dead-lettered as a bad timestamp, or the two graphs disagree.",
        file="pipeline.py",
        old="        table = table.filter(pc.invert(header))\n",
        new="",
        expect="the dead letters differ from parse_line's",
        tests=("tests/test_runners.py::test_block_partials_equal_the_per_line_rules",),
    ),
    Mistake(
        name="empty-lines-lost",
        lesson="pyarrow's CSV reader skips empty lines; the per-line pipeline dead-letters them. "
               "Dropping them silently loses input that the per-line graph accounts for.",
        file="pipeline.py",
        old='    out += [DeadLetter("field_count", "")] * count_empty_lines(data)\n',
        new="",
        expect="the dead letters differ from parse_line's",
        tests=("tests/test_runners.py::test_block_partials_equal_the_per_line_rules",),
    ),
    Mistake(
        name="health-check-with-query-counted",
        lesson="The per-line rule drops /healthz after cutting the query string; a vectorised "
               "equality test on the raw path counts /healthz?probe=1 as traffic.",
        file="pipeline.py",
        old='pc.or_(pc.equal(table["path"], "/healthz"), pc.starts_with(table["path"], "/healthz?"))',
        new='pc.equal(table["path"], "/healthz")',
        expect="the partial aggregates differ from the per-line rules",
        tests=("tests/test_runners.py::test_block_partials_equal_the_per_line_rules",),
    ),
    Mistake(
        name="bare-direct-runner",
        lesson="Since Beam 2.68 `--runner=DirectRunner` tries Prism first (a download) and falls back to "
               "the FnApiRunner only when that fails: the run depends on the network and the figures "
               "on which runner won. Name the runner you mean.",
        file="runners.py",
        old='return ["--runner=FnApiRunner", "--direct_running_mode=in_memory", "--direct_num_workers=1"]',
        new='return ["--runner=DirectRunner", "--direct_running_mode=in_memory", "--direct_num_workers=1"]',
        expect="name the runner you mean",
        tests=("tests/test_runners.py::test_runner_options_select_the_runner",),
    ),
    Mistake(
        name="prism-without-its-location",
        lesson="The PrismRunner without `--prism_location` downloads Beam's release zip from GitHub at "
               "first use (and every figure then depends on the network); point it at the binary set-up "
               "built from the pinned Beam Go module.",
        file="runners.py",
        old='"--runner=PrismRunner", f"--prism_location={prism_location()}", ',
        new='"--runner=PrismRunner", ',
        expect="the PrismRunner downloads one from GitHub",
        tests=("tests/test_runners.py::test_runner_options_select_the_runner",),
    ),
]
