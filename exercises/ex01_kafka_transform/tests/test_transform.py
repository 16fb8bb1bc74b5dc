"""Unit tests of the transform: what is valid, what is rejected, and why."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bootcamp.testing.plugin import Implementation


def test_uppercases_ascii(impl: Implementation) -> None:
    assert impl.transform.uppercase(b"hello kafka 42") == b"HELLO KAFKA 42"


def test_uppercases_unicode_even_when_length_changes(impl: Implementation) -> None:
    assert impl.transform.uppercase("straße café".encode()) == "STRASSE CAFÉ".encode()


def test_tombstone_passes_through(impl: Implementation) -> None:
    assert impl.transform.uppercase(None) is None


def test_empty_value_stays_empty(impl: Implementation) -> None:
    assert impl.transform.uppercase(b"") == b""


def test_rejects_invalid_utf8_with_reason(impl: Implementation) -> None:
    with pytest.raises(impl.transform.TransformError) as caught:
        impl.transform.uppercase(b"ok \xff\xfe")
    assert caught.value.reason == impl.transform.NOT_UTF8


def test_rejects_oversized_value_before_decoding(impl: Implementation) -> None:
    with pytest.raises(impl.transform.TransformError) as caught:
        impl.transform.uppercase(b"\xff" * 11, max_bytes=10)  # not UTF-8 either: size is checked first
    assert caught.value.reason == impl.transform.TOO_LARGE
    assert impl.transform.uppercase(b"a" * 10, max_bytes=10) == b"A" * 10


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])  # `impl` is stateless
@given(st.text())
def test_matches_python_upper_for_any_text(impl: Implementation, text: str) -> None:
    assert impl.transform.uppercase(text.encode(), max_bytes=10**9) == text.upper().encode()


def test_dead_letter_headers_keep_originals_and_say_where_and_why(impl: Implementation) -> None:
    t = impl.transform
    error = t.TransformError(t.NOT_UTF8, "invalid byte at position 3")
    headers = t.dead_letter_headers([("trace-id", b"abc"), ("trace-id", b"def")],
                                    t.Source("orders", 2, 41, 1700000000000), error)
    assert headers[:2] == [("trace-id", b"abc"), ("trace-id", b"def")]
    named = dict(headers[2:])
    assert named["dlq.reason"] == b"not-utf8"
    assert named["dlq.error"] == b"invalid byte at position 3"
    assert (named["dlq.source.topic"], named["dlq.source.partition"], named["dlq.source.offset"]) == (
        b"orders", b"2", b"41")
    assert named["dlq.source.timestamp"] == b"1700000000000"
