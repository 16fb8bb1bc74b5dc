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
])
def test_parse_bad_lines_become_dead_letters(impl: Implementation, line: str, error: str) -> None:
    dead = impl.beam_pipeline.parse_line(line)
    assert isinstance(dead, impl.beam_pipeline.DeadLetter)
    assert dead.error == error
    assert dead.line == line  # the original text, unchanged


@pytest.mark.parametrize(("path", "endpoint"), [
    ("/api/orders/42", "/api/orders/{id}"),
    ("/api/orders/42/items/7?x=1", "/api/orders/{id}/items/{id}"),
    ("/api/v2/search?q=7", "/api/v2/search"),
    ("/", "/"),
    ("/healthz", "/healthz"),
])
def test_normalise_endpoint(impl: Implementation, path: str, endpoint: str) -> None:
    assert impl.beam_pipeline.normalise_endpoint(path) == endpoint


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
    assert fn.extract_output(merged) == fn.extract_output(whole)
    assert fn.extract_output(whole) == (4, 2, 14, 142, 90)
