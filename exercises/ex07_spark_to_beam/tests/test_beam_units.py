"""Unit tests of the Beam translation's pieces: parsing, endpoint mapping, the combiner."""

from __future__ import annotations

import pytest

from bootcamp.testing.plugin import Implementation

GOOD = "2026-03-02T13:45:10Z,ab12,10.0.0.1,GET,/api/orders/42?expand=1,503,1200,87,eu-west"


def test_parse_valid_line(impl: Implementation) -> None:
    record = impl.beam_pipeline.parse_line(GOOD)
    assert isinstance(record, impl.beam_pipeline.LogRecord)
    assert (record.timestamp, record.path, record.status, record.bytes_sent, record.latency_ms) == (
        "2026-03-02T13:45:10Z", "/api/orders/42?expand=1", 503, 1200, 87)


@pytest.mark.parametrize(("line", "error"), [
    ("", "field_count"),
    ("2026-03-02T13:45:10Z,ab12,10.0.0.1,GET", "field_count"),
    (GOOD + ",extra", "field_count"),
    (GOOD.replace("2026-03-02T13:45:10Z", "2026-03-02 13:45"), "bad_timestamp"),
    (GOOD.replace(",GET,", ",FETCH,"), "bad_method"),
    (GOOD.replace(",503,", ",5O3,"), "bad_status"),
    (GOOD.replace(",503,", ",700,"), "bad_status"),
    (GOOD.replace(",1200,", ",-1200,"), "bad_number"),
    (GOOD.replace(",87,", ",8.7,"), "bad_number"),
    (GOOD.replace(",87,", ", 87,"), "bad_number"),
    (GOOD.replace(",1200,", ",1_200,"), "bad_number"),
    (GOOD.replace(",1200,", ",1234567890123456,"), "bad_number"),
    # Two faults: the first rule in Spark's order names it.
    (GOOD.replace(",GET,", ",FETCH,").replace(",503,", ",5O3,"), "bad_method"),
    (GOOD.replace("2026-03-02T13:45:10Z", "yesterday").replace(",503,", ",700,"), "bad_timestamp"),
])
def test_parse_bad_lines_become_dead_letters(impl: Implementation, line: str, error: str) -> None:
    dead = impl.beam_pipeline.parse_line(line)
    assert isinstance(dead, impl.beam_pipeline.DeadLetter), (
        f"parse_line accepted {line!r}, which the Spark job dead-letters as {error}: validate every field "
        "with Spark's rules before converting (int() also takes '-1200', ' 87', '1_200' and 16 digits)")
    assert dead.error == error, (
        f"{line!r} was dead-lettered as {dead.error}, Spark says {error}: apply the rules in Spark's order "
        "(field_count, bad_timestamp, bad_method, bad_status, bad_number); the first failure wins")
    assert dead.line == line  # the original text, unchanged


@pytest.mark.parametrize(("path", "endpoint"), [
    ("/api/orders/42", "/api/orders/{id}"),
    ("/api/orders/42/items/7?x=1", "/api/orders/{id}/items/{id}"),
    ("/api/v2/search?q=7", "/api/v2/search"),
    ("/", "/"),
    ("/healthz", "/healthz"),
    ("/api/orders/42abc", "/api/orders/42abc"),
    ("/api/orders/\u0664\u0662", "/api/orders/\u0664\u0662"),  # Arabic-Indic digits are not [0-9]
])
def test_normalise_endpoint(impl: Implementation, path: str, endpoint: str) -> None:
    got = impl.beam_pipeline.normalise_endpoint(path)
    assert got == endpoint, (
        f"normalise_endpoint({path!r}) gave {got!r}, Spark's job gives {endpoint!r}: translate the regex "
        "exactly: Python's \\d matches any Unicode digit where Spark's [0-9] matches ASCII only, and the "
        "look-ahead (?=/|$) leaves a segment such as '42abc' whole")


def test_combiner_merges_partial_aggregates_like_one_pass(impl: Implementation) -> None:
    """Combiner lifting splits a key's records across bundles; merging must not change the answer."""
    bp = impl.beam_pipeline
    records = [bp.LogRecord("2026-03-02T13:00:00Z", "/", status, size, latency)
               for status, size, latency in [(200, 10, 5), (500, 0, 90), (404, 3, 7), (502, 1, 40)]]
    fn = bp.EndpointStats()
    whole = fn.create_accumulator()
    for rec in records:
        whole = fn.add_input(whole, rec)
    left, right = fn.create_accumulator(), fn.create_accumulator()
    for rec in records[:1]:
        left = fn.add_input(left, rec)
    for rec in records[1:]:
        right = fn.add_input(right, rec)
    merged = fn.merge_accumulators([left, right, fn.create_accumulator()])
    one_pass = fn.extract_output(whole)
    assert one_pass == (4, 2, 14, 142, 90), (
        f"one pass over the records gave {one_pass}: (requests, 5xx, bytes, latency sum, latency max)")
    assert fn.extract_output(merged) == one_pass, (
        f"merging partial accumulators gave {fn.extract_output(merged)}, one pass {one_pass}: "
        "merge_accumulators must add the counts and sums and take the max, so that any split of a key's "
        "records across bundles (combiner lifting) gives the same answer")
