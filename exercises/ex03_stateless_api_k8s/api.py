"""Provided: the HTTP API around the learner's ETag rules and stores (routes, errors, health, limits).

`build_app` turns an implementation's pieces (`EtagRules`: the functions of its `app.py`; its
`make_store`) into the FastAPI app. Everything here is the same whichever way those are written:

- CRUD on /books; errors are RFC 9457 problem documents (`application/problem+json`), and the OpenAPI
  document says so exactly, because the fuzzing test holds the API to it.
- Request bodies over `MAX_BODY_BYTES` get 413 before they are parsed (`BodyLimit`): a too-large
  `Content-Length` at once, before the app runs; a body streamed without one as soon as its bytes pass
  the limit. (FastAPI's own `max_body_size` does the same but answers a declared length in text/plain,
  outside the problem documents this API promises.)
- `GET /books/{id}` is served by a plain Starlette route, off FastAPI's per-request dependency
  injection, because that machinery cost more than the read itself (README, "Tune it"); the FastAPI
  route of the same path stays declared, so the OpenAPI document describes it, and behaves the same.
- Health: `/healthz` (liveness) says only that the process serves HTTP, so Kubernetes restarts a
  wedged pod but never a healthy pod whose Redis blipped; `/readyz` (readiness) also pings the store
  and turns 503 once shutdown begins, so the pod leaves the Service's endpoints before it stops.
"""

# No `from __future__ import annotations` here: FastAPI reads the route signatures at runtime, and the
# closures below use local names (`settings`) that string annotations could not resolve.
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import FastAPI, Header, Path, Query, Request, Response, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from fastapi.telemetry import TelemetryConfig
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from exercises.ex03_stateless_api_k8s.config import ApiSettings
from exercises.ex03_stateless_api_k8s.models import Book, BookIn, Page, Problem
from exercises.ex03_stateless_api_k8s.storage import (
    BookStore,
    NotFoundError,
    StoreUnavailableError,
    VersionConflictError,
)

PROBLEM = "application/problem+json"
MAX_ID = 64
BookId = Annotated[str, Path(max_length=MAX_ID, description="the id the server assigned")]


class PreconditionRequiredError(Exception):
    """A write that must name the version it replaces came without If-Match: the API answers 428."""


class _UnusableIfMatchError(Exception):
    """If-Match is malformed or names no version this API issues: the API answers 412."""


class _BodyTooLargeError(StarletteHTTPException):
    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"the request body is larger than {max_bytes} bytes")


class BodyLimit:
    """ASGI middleware: 413 for a request body over `max_bytes`, before anything parses it.

    With a Content-Length the answer comes before the app runs and before any of the body is read
    (uvicorn delivers exactly that many bytes, so a declared length within the limit is safe). Without
    one (chunked), the bytes are counted as the app receives them and the read fails past the limit;
    FastAPI lets an HTTPException raised while it reads the body through to the exception handlers.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length":
                if int(value) > self.max_bytes:  # the server has already refused a non-numeric one
                    await _too_large(self.max_bytes)(scope, receive, send)
                else:
                    await self.app(scope, receive, send)
                return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _BodyTooLargeError(self.max_bytes)
            return message

        await self.app(scope, counted, send)


def _too_large(max_bytes: int) -> JSONResponse:
    return _problem(413, "content too large", f"the request body is larger than {max_bytes} bytes",
                    headers={"Connection": "close"})


@dataclass(frozen=True)
class EtagRules:
    """The learner's HTTP concurrency rules (`app.py`), which the routes below apply."""

    etag_for: Callable[[int], str]
    """The ETag of a version."""
    expected_version: Callable[[str | None, bool], int | None]
    """(If-Match header or None, required) -> the version the write requires, None for any; raises
    PreconditionRequiredError (428) or ValueError (412)."""
    not_modified: Callable[[str | None, int], bool]
    """(If-None-Match header or None, current version) -> answer 304?"""


def _problem(status_code: int, title: str, detail: str | None = None,
             headers: Mapping[str, str] | None = None, errors: list[dict[str, Any]] | None = None,
             ) -> JSONResponse:
    body = Problem(title=title, status=status_code, detail=detail, errors=errors)
    body_json = body.model_dump(exclude_none=True)
    return JSONResponse(body_json, status_code=status_code, media_type=PROBLEM, headers=headers)


_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "the body is not even text (e.g. not UTF-8)"},
    404: {"model": Problem, "description": "no such book"},
    412: {"model": Problem, "description": "If-Match does not name the current version"},
    413: {"model": Problem, "description": "the body is larger than the API accepts (MAX_BODY_BYTES)"},
    422: {"model": Problem, "description": "invalid input"},
    428: {"model": Problem, "description": "If-Match is required"},
    503: {"model": Problem, "description": "the store is unreachable; retry after Retry-After seconds"},
}


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: _ERRORS[code] for code in codes}


def _problem_media_types(schema: dict[str, Any]) -> dict[str, Any]:
    """Document every 4xx/5xx body as what it is, application/problem+json with the Problem schema.

    FastAPI documents error bodies as application/json, and its automatic 422 as its own
    HTTPValidationError; the fuzzing test holds the API to its document, so the document must be exact.
    """
    problem = {"schema": {"$ref": "#/components/schemas/Problem"}}
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            for code, response in operation.get("responses", {}).items():
                if code[0] in "45":
                    response["content"] = {PROBLEM: problem}
    schema.get("components", {}).get("schemas", {}).pop("HTTPValidationError", None)
    schema.get("components", {}).get("schemas", {}).pop("ValidationError", None)
    return schema


def build_app(  # noqa: PLR0915  # one closure per route reads better than a router split in files
    rules: EtagRules, make_store: Callable[[ApiSettings], BookStore],
    store: BookStore | None = None, settings: ApiSettings | None = None,
) -> FastAPI:
    """The ASGI app. Pass `store` to inject one (tests); otherwise `make_store(settings)` at startup."""
    settings = settings or ApiSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.store = store or make_store(settings)
        app.state.shutting_down = False
        try:
            yield
        finally:
            app.state.shutting_down = True
            await app.state.store.close()

    # FastAPI's native OpenTelemetry looks up the global providers on every request even when none is
    # configured; that cost a third of a read here (README, "Tune it"). TELEMETRY=true turns it on.
    off: TelemetryConfig | None = (None if settings.telemetry
                                   else {"tracing": False, "metrics": False, "logs": False})
    app = FastAPI(title="Books: a stateless CRUD API", version="1.0.0", lifespan=lifespan, telemetry=off,
                  description="Exercise 3 of the streaming-data bootcamp. Optimistic concurrency by "
                              "ETag and If-Match; storage in memory or Redis.")

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _problem_media_types(get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    if store is not None:  # usable without the lifespan too (e.g. a bare TestClient)
        app.state.store = store
        app.state.shutting_down = False

    def books(request: Request) -> BookStore:
        found: BookStore = request.app.state.store
        return found

    def book_response(book: Book, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
        # model_dump_json: pydantic-core writes the JSON bytes in one step (no dict, no json.dumps).
        return Response(book.model_dump_json(), status_code=status_code, media_type="application/json",
                        headers={"ETag": rules.etag_for(book.version), **(headers or {})})

    def expected(if_match: str | None, required: bool) -> int | None:
        try:
            return rules.expected_version(if_match, required)
        except ValueError as exc:
            raise _UnusableIfMatchError(str(exc)) from exc

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return _problem(422, "invalid input",
                        errors=jsonable_encoder(exc.errors(), exclude={"input", "ctx", "url"}))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _problem(exc.status_code, str(exc.detail), headers=exc.headers)

    @app.exception_handler(_BodyTooLargeError)
    async def too_large(_request: Request, _exc: _BodyTooLargeError) -> JSONResponse:
        return _too_large(settings.max_body_bytes)

    @app.exception_handler(PreconditionRequiredError)
    async def precondition_required(_request: Request, exc: PreconditionRequiredError) -> JSONResponse:
        return _problem(428, "precondition required", str(exc) or None)

    @app.exception_handler(_UnusableIfMatchError)
    async def unusable_if_match(_request: Request, exc: _UnusableIfMatchError) -> JSONResponse:
        return _problem(412, "precondition failed", str(exc))

    @app.exception_handler(NotFoundError)
    async def not_found(_request: Request, exc: NotFoundError) -> JSONResponse:
        return _problem(404, "no such book", f"book {exc.args[0]!s} does not exist")

    @app.exception_handler(StoreUnavailableError)
    async def unavailable(_request: Request, _exc: StoreUnavailableError) -> JSONResponse:
        return _problem(503, "store unavailable", "the store did not answer; retry shortly",
                        headers={"Retry-After": "1"})

    @app.exception_handler(VersionConflictError)
    async def conflict(_request: Request, exc: VersionConflictError) -> JSONResponse:
        tag = rules.etag_for(exc.current_version)
        return _problem(412, "precondition failed",
                        f"the book changed: its current ETag is {tag}; GET it again, then retry with it",
                        headers={"ETag": tag})

    @app.post("/books", status_code=201, response_model=Book, tags=["books"],
              responses=_errors(400, 413, 422, 503))
    async def create_book(data: BookIn, request: Request) -> Response:
        """Create a book; the response has its id, its ETag and a Location header."""
        book = await books(request).create(data)
        return book_response(book, 201, {"Location": f"/books/{book.id}"})

    @app.get("/books", response_model=Page, tags=["books"], responses=_errors(422, 503))
    async def list_books(
        request: Request,
        limit: Annotated[int, Query(ge=1, le=settings.page_max)] = 20,
        after: Annotated[int | None, Query(ge=0, le=2**53, description="the last page's next_cursor")] = None,
    ) -> Response:
        """Books in creation order, a page at a time (keyset pagination: stable under inserts)."""
        items, next_cursor = await books(request).list(limit, after)
        return Response(Page(items=items, next_cursor=next_cursor).model_dump_json(),
                        media_type="application/json")

    async def read(request: Request) -> Response:
        """The hot path, a plain Starlette endpoint: it validates its one parameter itself."""
        book_id: str = request.path_params["book_id"]
        if len(book_id) > MAX_ID:
            return _problem(422, "invalid input", errors=[
                {"type": "string_too_long", "loc": ["path", "book_id"],
                 "msg": f"String should have at most {MAX_ID} characters"}])
        book = await books(request).get(book_id)
        if rules.not_modified(request.headers.get("if-none-match"), book.version):
            return Response(status_code=304, headers={"ETag": rules.etag_for(book.version)})
        return book_response(book)

    if settings.read_path == "starlette":
        # First in the routing table, so it answers GET /books/{id}; the declared route below documents
        # it (and serves it with READ_PATH=fastapi, the "before" of the README's "Tune it").
        app.router.routes.insert(0, Route("/books/{book_id}", read, methods=["GET"],
                                          include_in_schema=False))

    @app.get("/books/{book_id}", response_model=Book, tags=["books"],
             responses={304: {"description": "If-None-Match names the current version"},
                        **_errors(404, 422, 503)})
    async def read_book(book_id: BookId, request: Request,
                        if_none_match: Annotated[str | None, Header()] = None) -> Response:
        """One book, with its ETag. `If-None-Match: <etag>` answers 304 when it has not changed."""
        return await read(request)

    @app.put("/books/{book_id}", response_model=Book, tags=["books"],
             responses=_errors(400, 404, 412, 413, 422, 428, 503))
    async def replace_book(
        book_id: BookId, data: BookIn, request: Request,
        if_match: Annotated[str | None, Header(description='the ETag you read, or "*"')] = None,
    ) -> Response:
        """Replace a book, only if `If-Match` still names its current version (else 412; none: 428)."""
        book = await books(request).replace(book_id, data, expected(if_match, True))
        return book_response(book)

    @app.delete("/books/{book_id}", status_code=204, tags=["books"], responses=_errors(404, 412, 422, 503))
    async def delete_book(
        book_id: BookId, request: Request,
        if_match: Annotated[str | None, Header(description="optional: delete only this version")] = None,
    ) -> Response:
        """Delete a book; with If-Match, only if it is still that version."""
        await books(request).delete(book_id, expected(if_match, False))
        return Response(status_code=204)

    @app.get("/healthz", tags=["health"])
    async def liveness() -> dict[str, str]:
        """Liveness: the process serves HTTP. Never checks dependencies (that would restart-loop pods)."""
        return {"status": "alive"}

    @app.get("/readyz", tags=["health"], responses={503: {"model": Problem, "description": "not ready"}})
    async def readiness(request: Request) -> Response:
        """Readiness: the store answers and shutdown has not begun; else 503 and no traffic."""
        if request.app.state.shutting_down:
            return _problem(status.HTTP_503_SERVICE_UNAVAILABLE, "shutting down")
        if not await books(request).ping():
            return _problem(status.HTTP_503_SERVICE_UNAVAILABLE, "store unavailable")
        return JSONResponse({"status": "ready", "store": settings.store if store is None
                             else type(store).__name__})

    return app
