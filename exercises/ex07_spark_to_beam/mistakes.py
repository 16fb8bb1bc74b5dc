"""Realistic wrong answers to ex07, each one small edit to the solution that the check must reject.

Each is a translation that runs and looks right but differs from the Spark job on some input.
"""

from __future__ import annotations

from bootcamp.grading import Mistake

MISTAKES: list[Mistake] = [
    Mistake(
        name="convert-instead-of-validate",
        lesson="Letting int() decide what a number is accepts '-1200', ' 87', '1_200' and 16 digits, "
               "which Spark's rule (^[0-9]{1,15}$, then try_cast) dead-letters: the engines disagree.",
        file="beam_pipeline.py",
        old='''    if not (_NUMBER.fullmatch(size) and _NUMBER.fullmatch(latency)):
        return DeadLetter("bad_number", line)
    return LogRecord(timestamp, path, int(status), int(size), int(latency))''',
        new='''    try:
        return LogRecord(timestamp, path, int(status), int(size), int(latency))
    except ValueError:
        return DeadLetter("bad_number", line)''',
        expect="validate every field with Spark's rules before converting",
        tests=("tests/test_beam_units.py::test_parse_bad_lines_become_dead_letters",),
    ),
    Mistake(
        name="rules-in-another-order",
        lesson="A line with two faults gets the first failing rule's code; checking in another order than "
               "Spark gives other dead-letter codes for the same lines.",
        file="beam_pipeline.py",
        old='''    if method not in METHODS:
        return DeadLetter("bad_method", line)
    if not _STATUS.fullmatch(status):
        return DeadLetter("bad_status", line)''',
        new='''    if not _STATUS.fullmatch(status):
        return DeadLetter("bad_status", line)
    if method not in METHODS:
        return DeadLetter("bad_method", line)''',
        expect="apply the rules in Spark's order",
        tests=("tests/test_beam_units.py::test_parse_bad_lines_become_dead_letters",),
    ),
    Mistake(
        name="unicode-digit-regex",
        lesson="Regex dialects differ: Python's \\d matches every Unicode decimal digit, Spark's [0-9] (and "
               "Java's \\d) only ASCII, so some paths normalise differently.",
        file="beam_pipeline.py",
        old='_ID_SEGMENT = re.compile(r"/[0-9]+(?=/|$)")',
        new='_ID_SEGMENT = re.compile(r"/\\d+(?=/|$)")',
        expect="Python's \\d matches any Unicode digit",
        tests=("tests/test_beam_units.py::test_normalise_endpoint",),
    ),
    Mistake(
        name="no-lookahead",
        lesson="Dropping the look-ahead (as an RE2 rewrite might) turns '/42abc' into '/{id}abc': the "
               "translated regex must match exactly what Spark's matches.",
        file="beam_pipeline.py",
        old='_ID_SEGMENT = re.compile(r"/[0-9]+(?=/|$)")',
        new='_ID_SEGMENT = re.compile(r"/[0-9]+")',
        expect="translate the regex exactly",
        tests=("tests/test_beam_units.py::test_normalise_endpoint",),
    ),
    Mistake(
        name="group-by-timestamp",
        lesson="Keying by the raw timestamp instead of its hour makes one group per second: the grouping "
               "key must be Spark's groupBy columns, computed the same way.",
        file="beam_pipeline.py",
        old="lambda r: ((hour_of(r.timestamp), normalise_endpoint(r.path)), r))",
        new="lambda r: ((r.timestamp, normalise_endpoint(r.path)), r))",
        expect="key every record by (hour_of(timestamp), normalise_endpoint(path))",
        tests=("tests/test_spark_vs_beam.py::test_beam_output_on_handwritten_logs",),
    ),
    Mistake(
        name="dead-letters-dropped",
        lesson="A dead-letter output that is never written loses bad input silently; Spark writes it.",
        file="beam_pipeline.py",
        old='''    _ = (parsed[DEAD]
         | "FormatDead" >> beam.Map(format_dead_letter)
         | "WriteDead" >> beam.io.WriteToText(f"{deadletter_dir.rstrip('/')}/part",
                                              file_name_suffix=".jsonl"))
''',
        new="",
        expect="must reach the dead-letter output with its original text",
        tests=("tests/test_spark_vs_beam.py::test_beam_output_on_handwritten_logs",),
    ),
    Mistake(
        name="merge-not-associative",
        lesson="A merge that takes the max of the counts is right for one bundle and wrong once combiner "
               "lifting splits a key across bundles.",
        file="beam_pipeline.py",
        old="merged = (merged[0] + acc[0], merged[1] + acc[1],",
        new="merged = (max(merged[0], acc[0]), merged[1] + acc[1],",
        expect="merging partial accumulators gave",
        tests=("tests/test_beam_units.py::test_combiner_merges_partial_aggregates_like_one_pass",),
    ),
]
