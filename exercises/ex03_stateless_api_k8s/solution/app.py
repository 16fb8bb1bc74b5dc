"""The API's rules for optimistic concurrency over HTTP (RFC 9110 §13), and the app built from them.

Every response carrying a book has an ETag that names its version. A client that wants to replace or
delete the book sends the ETag back in `If-Match`; the store applies the change only if the version is
still the same, otherwise the API answers 412 Precondition Failed and the client re-reads and retries.
A PUT without If-Match is refused with 428 Precondition Required (RFC 6585): with several writers, a
blind overwrite is a lost update waiting to happen. `If-Match: *` is the explicit "I know, overwrite
whatever is there". The routes, errors and health endpoints that apply these rules are provided, in
`api.py`.
"""

from __future__ import annotations

import re

from fastapi import FastAPI

from exercises.ex03_stateless_api_k8s.api import EtagRules, PreconditionRequiredError, build_app
from exercises.ex03_stateless_api_k8s.config import ApiSettings
from exercises.ex03_stateless_api_k8s.storage import BookStore

from .store import make_store

_ETAG = re.compile(r'\s*(W/)?"([^"]*)"\s*(?:,|$)')


def etag_for(version: int) -> str:
    """The strong ETag of a book at `version`: `"<version>"`."""
    return f'"{version}"'


def parse_if_match(header: str) -> int | None:
    """The version an `If-Match` header requires: None for `*`, else the one version it names.

    Raises ValueError when the header is malformed or names no version this API could have issued
    (weak tags never match under If-Match, RFC 9110 §13.1.1). A list of several tags is accepted only if
    they all name the same version, since a book has one current version.
    """
    text = header.strip()
    if text == "*":
        return None
    versions: set[int] = set()
    position = 0
    while position < len(text):
        match = _ETAG.match(text, position)
        if match is None:
            raise ValueError(f"malformed If-Match: {header!r}")
        weak, tag = match.groups()
        if not weak and tag.isdigit() and 0 < len(tag) <= 18:
            versions.add(int(tag))
        position = match.end()
    if len(versions) != 1:
        raise ValueError(f"If-Match names no single current ETag: {header!r}")
    return versions.pop()


def expected_version(if_match: str | None, required: bool) -> int | None:
    """The version a write requires, from its If-Match header: None means "any version".

    No header: PreconditionRequiredError when the write must name a version (PUT: 428), else None
    (DELETE without If-Match deletes whatever is there). A header: `parse_if_match` (ValueError: 412).
    """
    if if_match is None:
        if required:
            raise PreconditionRequiredError(
                "send If-Match with the ETag you read (or * to overwrite blindly)")
        return None
    return parse_if_match(if_match)


def not_modified(if_none_match: str | None, version: int) -> bool:
    """Whether a GET with this If-None-Match gets 304: it names the current version, or is `*`.

    If-None-Match uses the weak comparison (RFC 9110 §13.1.2): `W/"3"` and `"3"` both match version 3,
    since a cache only asks "has it changed?". If-Match uses the strong one (see parse_if_match).
    """
    if if_none_match is None:
        return False
    if if_none_match.strip() == "*":
        return True
    current = etag_for(version)
    return any(tag.strip().removeprefix("W/") == current for tag in if_none_match.split(","))


def create_app(store: BookStore | None = None, settings: ApiSettings | None = None) -> FastAPI:
    """The ASGI app: the provided routes (api.py) with these rules and this implementation's stores."""
    return build_app(EtagRules(etag_for, expected_version, not_modified), make_store, store, settings)
