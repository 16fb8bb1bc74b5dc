"""YOUR TASK. The Bookstore API: a read-only catalog service with OpenAPI, the enricher's lookup dependency.

    GET /health                          liveness plus the catalog size (provided, `bookstore.py`)
    GET /books/{isbn}                    one book; 404 unknown, 422 malformed (pattern or check digit)
    GET /books?genre=&limit=&offset=     a page of books in ISBN order
    GET /books/search?q=&author=&...     title/author search, paginated the same way

Run: `uvicorn exercises.ex06_pubsub_enrichment.solution.bookstore_api:app --port 8090`, or as the
platform service `bootcamp up bookstore`. The models, the catalog and pagination are provided in
`bookstore.py`. Grade your work with `bootcamp check ex06`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import HTTPException, Query  # noqa: F401  # yours to use

from exercises.ex06_pubsub_enrichment.bookstore import (  # noqa: F401  # yours to use
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
from exercises.ex06_pubsub_enrichment.catalog import is_valid_isbn13  # noqa: F401  # yours to use

app = make_app()


@app.get("/books/search", responses={422: {"description": "a bad parameter"}})
def search_books(
    limit: Limit = 20, offset: Offset = 0,
    q: Annotated[str | None, Query(max_length=200, description="words in the title")] = None,
    author: Annotated[str | None, Query(max_length=200, description="part of an author's name")] = None,
) -> Page:
    """Books whose title contains every word of `q` and whose authors contain `author` (case-insensitive).

    No criterion matches every book.
    """
    raise NotImplementedError(
        "search_books: keep the books of SEARCH_KEYS whose lower-cased title contains every word of q "
        "and whose authors contain `author`, then return paginate(found, limit, offset)")


@app.get("/books", responses={422: {"description": "a bad parameter"}})
def list_books(
    limit: Limit = 20, offset: Offset = 0,
    genre: Annotated[str | None, Query(max_length=40, description="only this genre")] = None,
) -> Page:
    """A page of the catalog in ISBN order, optionally of one genre."""
    raise NotImplementedError(
        "list_books: filter ORDERED by genre when given, then paginate(books, limit, offset)")


@app.get("/books/{isbn}", responses={404: {"description": "no such book"},
                                     422: {"description": "not a valid ISBN-13"}})
async def get_book(isbn: Isbn) -> BookOut:
    """One book by ISBN-13: 422 when the check digit is wrong, 404 when the catalog has no such book."""
    raise NotImplementedError(
        "get_book: HTTPException(422) unless is_valid_isbn13(isbn), HTTPException(404) if it is not in "
        "CATALOG, else out(book)")


def main() -> None:
    """`python -m ...bookstore_api [--port N]`: serve this app."""
    serve_app(app)


if __name__ == "__main__":
    main()
