"""The benchmark's baselines: bare Starlette endpoints on the same uvicorn stack as the API.

Same server (uvicorn, uvloop, httptools), same process model, no FastAPI, no pydantic. With the memory
store (`STORE=memory`, the default) the endpoints answer a constant: what is left is the cost of HTTP
itself on this machine. With `STORE=redis` they do the store's own round trip through the same client
(`RedisBase`: redis-py's asyncio client, one pool per process, the same key layout): one `HMGET` per
read, one `HSET` per write, and a dict turned into JSON. The API's req/s divided by the matching
baseline is what FastAPI, pydantic and the learner's code cost per request; against the constant
baseline it also pays for Redis, which no framework tuning can remove.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from exercises.ex03_stateless_api_k8s.config import ApiSettings
from exercises.ex03_stateless_api_k8s.storage import RedisBase

BOOK = {"title": "Dune", "author": "Frank Herbert", "year": 1965, "tags": [], "id": "0" * 32, "version": 1}


async def read(_request: Request) -> Response:
    return JSONResponse(BOOK, headers={"ETag": '"1"'})


async def write(request: Request) -> Response:
    body = json.loads(await request.body())
    return JSONResponse({**body, "id": "0" * 32, "version": 1}, status_code=201, headers={"ETag": '"1"'})


async def read_redis(request: Request) -> Response:
    """The store's read, by hand: HMGET of the book's hash, its JSON body plus id and version."""
    redis: RedisBase = request.app.state.redis
    book_id = request.path_params["book_id"]
    version, body = await redis._redis.hmget(redis._key(book_id), ["v", "body"])
    if version is None or body is None:
        return JSONResponse({"title": "no such book", "status": 404}, status_code=404)
    current = int(version)
    return JSONResponse({**json.loads(body), "id": book_id, "version": current},
                        headers={"ETag": f'"{current}"'})


async def write_redis(request: Request) -> Response:
    """A create, by hand: one HSET of a new hash (no sequence, no index: less than the store does)."""
    redis: RedisBase = request.app.state.redis
    body = json.loads(await request.body())
    book_id = uuid.uuid4().hex
    await redis._redis.hset(redis._key(book_id), mapping={"v": 1, "body": json.dumps(body)})
    return JSONResponse({**body, "id": book_id, "version": 1}, status_code=201,
                        headers={"ETag": '"1"', "Location": f"/books/{book_id}"})


async def healthz(_request: Request) -> Response:
    return JSONResponse({"status": "alive"})


def make_app(settings: ApiSettings) -> Starlette:
    """The constant endpoints, or with `STORE=redis` the ones doing the store's round trip by hand."""
    on_redis = settings.store == "redis"

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if on_redis:
            app.state.redis = RedisBase(settings.redis_url, settings.redis_namespace,
                                        settings.redis_timeout_s)
        yield
        if on_redis:
            await app.state.redis.close()

    return Starlette(routes=[Route("/books/{book_id}", read_redis if on_redis else read),
                             Route("/books", write_redis if on_redis else write, methods=["POST"]),
                             Route("/healthz", healthz)], lifespan=lifespan)


app = make_app(ApiSettings(store="memory"))


def main() -> None:
    settings = ApiSettings()
    uvicorn.run(make_app(settings), host=settings.host, port=settings.port, log_level="warning",
                access_log=False, server_header=False)


if __name__ == "__main__":
    main()
