"""The Bookstore API: a read-only catalog service with OpenAPI, the enricher's lookup dependency.

    GET /health                          liveness plus the catalog size
    GET /books/{isbn}                    one book; 404 unknown, 422 malformed (pattern or check digit)
    GET /books?genre=&limit=&offset=     a page of books in ISBN order
    GET /books/search?q=&author=&...     title/author search, paginated the same way

Offset pagination over a stable order (the ISBN) is enough for an immutable catalog; a catalog that
changes under the reader would want keyset pagination (`after=<isbn>`) instead. FastAPI generates
`/openapi.json` from these signatures, which the fuzz test feeds to schemathesis.

Run: `uvicorn exercises.ex06_pubsub_enrichment.solution.bookstore_api:app --port 8090`, or as the
platform service `bootcamp up bookstore`. Configuration: BOOKSTORE_CATALOG_SIZE (default 5000).
"""

from __future__ import annotations

import os
from typing import Annotated

from fastapi import FastAPI, HTTPException, Path, Query
from pydantic import BaseModel

from exercises.ex06_pubsub_enrichment.catalog import Book, build_catalog, is_valid_isbn13

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


app = FastAPI(title="Bookstore API", version="1.0.0",
              description="A read-only book catalog: lookup by ISBN-13, listing and search.")
_catalog = build_catalog(int(os.environ.get("BOOKSTORE_CATALOG_SIZE", "5000")))
_ordered: list[Book] = [_catalog[isbn] for isbn in sorted(_catalog)]
_search_keys = [(book, book.title.lower(), " | ".join(book.authors).lower()) for book in _ordered]

Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="page size")]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="items to skip")]
Isbn = Annotated[str, Path(pattern=ISBN_PATTERN, description="ISBN-13, digits only")]


def _out(book: Book) -> BookOut:
    return BookOut(**book.to_dict())


def paginate(books: list[Book], limit: int, offset: int) -> Page:
    """One page of `books`, with the offset of the next page (None on the last)."""
    items = books[offset:offset + limit]
    next_offset = offset + limit if offset + limit < len(books) else None
    return Page(items=[_out(b) for b in items], total=len(books), limit=limit, offset=offset,
                next_offset=next_offset)


@app.get("/health")
async def health() -> Health:
    return Health(status="ok", books=len(_catalog))


@app.get("/books/search", responses={422: {"description": "a bad parameter"}})
def search_books(
    limit: Limit = 20, offset: Offset = 0,
    q: Annotated[str | None, Query(max_length=200, description="words in the title")] = None,
    author: Annotated[str | None, Query(max_length=200, description="part of an author's name")] = None,
) -> Page:
    """Books whose title contains every word of `q` and whose authors contain `author` (case-insensitive).

    No criterion matches every book (the fuzz test found that refusing it contradicted the schema).
    """
    words = (q or "").lower().split()
    needle = (author or "").strip().lower()
    found = [book for book, title, authors in _search_keys
             if all(w in title for w in words) and (not needle or needle in authors)]
    return paginate(found, limit, offset)


@app.get("/books", responses={422: {"description": "a bad parameter"}})
def list_books(
    limit: Limit = 20, offset: Offset = 0,
    genre: Annotated[str | None, Query(max_length=40, description="only this genre")] = None,
) -> Page:
    """A page of the catalog in ISBN order, optionally of one genre."""
    books = _ordered if genre is None else [b for b in _ordered if b.genre == genre]
    return paginate(books, limit, offset)


@app.get("/books/{isbn}", responses={404: {"description": "no such book"},
                                     422: {"description": "not a valid ISBN-13"}})
async def get_book(isbn: Isbn) -> BookOut:
    """One book by ISBN-13: 422 when the check digit is wrong, 404 when the catalog has no such book."""
    if not is_valid_isbn13(isbn):
        raise HTTPException(status_code=422, detail=f"{isbn} has a wrong ISBN-13 check digit")
    book = _catalog.get(isbn)
    if book is None:
        raise HTTPException(status_code=404, detail=f"no book with ISBN {isbn}")
    return _out(book)


def main() -> None:
    """`python -m ...bookstore_api [--port N]`: serve on 127.0.0.1 (0.0.0.0 with --host in a container)."""
    import argparse

    import uvicorn

    parser = argparse.ArgumentParser(description="the Bookstore API")
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8090")))
    args = parser.parse_args()
    uvicorn.run(app, host=args.host, port=args.port, access_log=False)


if __name__ == "__main__":
    main()
