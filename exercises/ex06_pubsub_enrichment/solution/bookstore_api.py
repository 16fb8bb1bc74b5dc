"""The Bookstore API: a read-only catalog service with OpenAPI, the enricher's lookup dependency.

    GET /health                          liveness plus the catalog size (provided, `bookstore.py`)
    GET /books/{isbn}                    one book; 404 unknown, 422 malformed (pattern or check digit)
    GET /books?genre=&limit=&offset=     a page of books in ISBN order
    GET /books/search?q=&author=&...     title/author search, paginated the same way

Run: `uvicorn exercises.ex06_pubsub_enrichment.solution.bookstore_api:app --port 8090`, or as the
platform service `bootcamp up bookstore`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import HTTPException, Query

from exercises.ex06_pubsub_enrichment.bookstore import (
    CATALOG,
    ORDERED,
    SEARCH_KEYS,
    BookOut,
    Isbn,
    Limit,
    Offset,
    Page,
    make_app,
    out,
    paginate,
    serve_app,
)
from exercises.ex06_pubsub_enrichment.catalog import is_valid_isbn13

app = make_app()


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
    found = [book for book, title, authors in SEARCH_KEYS
             if all(w in title for w in words) and (not needle or needle in authors)]
    return paginate(found, limit, offset)


@app.get("/books", responses={422: {"description": "a bad parameter"}})
def list_books(
    limit: Limit = 20, offset: Offset = 0,
    genre: Annotated[str | None, Query(max_length=40, description="only this genre")] = None,
) -> Page:
    """A page of the catalog in ISBN order, optionally of one genre."""
    books = ORDERED if genre is None else [b for b in ORDERED if b.genre == genre]
    return paginate(books, limit, offset)


@app.get("/books/{isbn}", responses={404: {"description": "no such book"},
                                     422: {"description": "not a valid ISBN-13"}})
async def get_book(isbn: Isbn) -> BookOut:
    """One book by ISBN-13: 422 when the check digit is wrong, 404 when the catalog has no such book."""
    if not is_valid_isbn13(isbn):
        raise HTTPException(status_code=422, detail=f"{isbn} has a wrong ISBN-13 check digit")
    book = CATALOG.get(isbn)
    if book is None:
        raise HTTPException(status_code=404, detail=f"no book with ISBN {isbn}")
    return out(book)


def main() -> None:
    """`python -m ...bookstore_api [--port N]`: serve this app."""
    serve_app(app)


if __name__ == "__main__":
    main()
