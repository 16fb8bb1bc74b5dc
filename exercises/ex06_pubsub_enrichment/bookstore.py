"""The Bookstore API's provided parts: response models, the catalog in memory, pagination, the app
factory with `/health`, and `main`. The learner's `bookstore_api.py` adds the three book routes.

Offset pagination over a stable order (the ISBN) is enough for an immutable catalog; a catalog that
changes under the reader would want keyset pagination (`after=<isbn>`) instead. FastAPI generates
`/openapi.json` from the route signatures, which the fuzz test feeds to schemathesis.
Configuration: BOOKSTORE_CATALOG_SIZE (default 5000).
"""

from __future__ import annotations

import os
from typing import Annotated

from fastapi import FastAPI, Path, Query
from pydantic import BaseModel

from exercises.ex06_pubsub_enrichment.catalog import Book, build_catalog

ISBN_PATTERN = r"^97[89][0-9]{10}$"
MAX_PAGE = 100


class BookOut(BaseModel):
    isbn: str
    title: str
    authors: list[str]
    publisher: str
    year: int
    pages: int
    genre: str
    price_eur: float
    rating: float


class Page(BaseModel):
    items: list[BookOut]
    total: int
    limit: int
    offset: int
    next_offset: int | None


class Health(BaseModel):
    status: str
    books: int


CATALOG = build_catalog(int(os.environ.get("BOOKSTORE_CATALOG_SIZE", "5000")))
ORDERED: list[Book] = [CATALOG[isbn] for isbn in sorted(CATALOG)]
SEARCH_KEYS = [(book, book.title.lower(), " | ".join(book.authors).lower()) for book in ORDERED]
"""(book, lower-cased title, lower-cased authors joined by " | "), in ISBN order."""

Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="page size")]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="items to skip")]
Isbn = Annotated[str, Path(pattern=ISBN_PATTERN, description="ISBN-13, digits only")]


def out(book: Book) -> BookOut:
    return BookOut(**book.to_dict())


def paginate(books: list[Book], limit: int, offset: int) -> Page:
    """One page of `books`, with the offset of the next page (None on the last)."""
    items = books[offset:offset + limit]
    next_offset = offset + limit if offset + limit < len(books) else None
    return Page(items=[out(b) for b in items], total=len(books), limit=limit, offset=offset,
                next_offset=next_offset)


def make_app() -> FastAPI:
    """A fresh app with `/health`; the book routes are added by the implementation's module."""
    app = FastAPI(title="Bookstore API", version="1.0.0",
                  description="A read-only book catalog: lookup by ISBN-13, listing and search.")

    @app.get("/health")
    async def health() -> Health:
        return Health(status="ok", books=len(CATALOG))

    return app


def serve_app(app: FastAPI) -> None:
    """`python -m ...bookstore_api [--port N]`: serve on 127.0.0.1 (0.0.0.0 with --host in a container)."""
    import argparse

    import uvicorn

    parser = argparse.ArgumentParser(description="the Bookstore API")
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8090")))
    args = parser.parse_args()
    uvicorn.run(app, host=args.host, port=args.port, access_log=False)
