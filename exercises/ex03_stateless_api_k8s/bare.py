"""The benchmark's baseline: bare Starlette endpoints on the same uvicorn stack as the API.

Same server (uvicorn, uvloop, httptools), same process model, no FastAPI validation, no store: what is
left is the cost of HTTP itself on this machine. The API's req/s divided by this is what FastAPI,
pydantic and the store cost per request.
"""

from __future__ import annotations

import json

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from exercises.ex03_stateless_api_k8s.config import ApiSettings

BOOK = {"title": "Dune", "author": "Frank Herbert", "year": 1965, "tags": [], "id": "0" * 32, "version": 1}


async def read(_request: Request) -> Response:
    return JSONResponse(BOOK, headers={"ETag": '"1"'})


async def write(request: Request) -> Response:
    body = json.loads(await request.body())
    return JSONResponse({**body, "id": "0" * 32, "version": 1}, status_code=201, headers={"ETag": '"1"'})


async def healthz(_request: Request) -> Response:
    return JSONResponse({"status": "alive"})


app = Starlette(routes=[Route("/books/{book_id}", read), Route("/books", write, methods=["POST"]),
                        Route("/healthz", healthz)])


def main() -> None:
    settings = ApiSettings()
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning", access_log=False,
                server_header=False)


if __name__ == "__main__":
    main()
