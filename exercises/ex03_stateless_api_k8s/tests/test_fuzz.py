"""Property-based fuzzing of the API from its own OpenAPI document (schemathesis), over real HTTP.

Schemathesis reads /openapi.json from a running replica (uvicorn, Redis store) and, for every operation,
generates valid and invalid requests: odd Unicode, huge numbers, missing and extra fields, strange
headers. Whatever it sends, the API must never answer 5xx, and every answer must match the schema the
API itself published (status codes, content types, bodies).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from exercises.ex03_stateless_api_k8s.local import ServerProcess

NO_INPUTS = {"GET /healthz", "GET /readyz"}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[schemathesis.BaseSchema]:
    log: Path = tmp_path_factory.mktemp("fuzz") / "api.log"
    server = ServerProcess(env={"STORE": "redis", "REDIS_URL": redis_url,
                                "REDIS_NAMESPACE": f"fuzz-{uuid.uuid4().hex[:8]}", "LOG_LEVEL": "warning"},
                           log=log).launch()
    try:
        server.wait_ready()
        yield schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    finally:
        server.stop()


def _operations(schema: schemathesis.BaseSchema) -> list[Any]:
    """Every operation; an operation schemathesis cannot read raises here (Err has no .ok)."""
    return [cast(Any, result).ok() for result in schema.get_all_operations()]


@pytest.mark.slow
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_fuzzing_finds_no_5xx_and_no_answer_outside_the_schema(
        api_schema: schemathesis.BaseSchema, mode: GenerationMode, implemented: None) -> None:
    operations = _operations(api_schema)
    assert {op.label for op in operations} >= {"POST /books", "GET /books", "GET /books/{book_id}",
                                                "PUT /books/{book_id}", "DELETE /books/{book_id}"}
    for operation in operations:
        if mode is GenerationMode.NEGATIVE and operation.label in NO_INPUTS:
            continue  # nothing to make invalid: hypothesis would report Unsatisfiable

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def fuzz(case: Any) -> None:
            case.call_and_validate(checks=CHECKS)

        fuzz()
