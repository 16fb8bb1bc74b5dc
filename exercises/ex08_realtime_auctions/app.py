"""The auction service: a FastAPI (ASGI) app with a REST API, a WebSocket feed and the web page.

The Clojure seed's parts map one to one: Ring handlers -> FastAPI routes on Starlette, Sente's
push channel -> a plain WebSocket per watched item, HugSQL -> aiosql over asyncpg. Every rule that
must hold across instances (who wins a bid race, when an auction closes, how many logins failed)
lives in PostgreSQL; an instance keeps no state but its watchers' sockets.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import math
import os
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import asyncpg
from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request, Response, WebSocket
from fastapi import Path as PathParam
from fastapi.encoders import jsonable_encoder
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictInt, StringConstraints
from starlette.websockets import WebSocketDisconnect

from . import accounts
from .config import Settings
from .db import create_pool, load_queries
from .domain import REJECT_STATUS, BidRejectedError

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
IMPLS = ("solution", "starter")


class Impl:
    """The implementation the app runs: the reference solution or the learner's starter.

    `BOOTCAMP_IMPL` picks it (the test plugin sets it; the default is the solution). Everything in
    this file is plumbing shared by both; the rules live in the implementation's modules.
    """

    def __init__(self, name: str | None = None) -> None:
        self.name = name or os.environ.get("BOOTCAMP_IMPL", "solution")
        if self.name not in IMPLS:
            raise ValueError(f"BOOTCAMP_IMPL must be one of {IMPLS}, not {self.name!r}")
        package = f"{__package__}.{self.name}"
        self.auctions: Any = importlib.import_module(f"{package}.auctions")
        self.security: Any = importlib.import_module(f"{package}.security")
        self.migrate: Any = importlib.import_module(f"{package}.migrate")
        self.realtime: Any = importlib.import_module(f"{package}.realtime")
        self.queries: Any = load_queries(Path(str(self.auctions.__file__)).resolve().parent / "sql")


# The session cookie and the CSRF header are part of the HTTP contract, not of an implementation.
SESSION_COOKIE = accounts.SESSION_COOKIE
CSRF_HEADER = accounts.CSRF_HEADER
IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,128}$")  # visible ASCII, as stored (see migration 0004)
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self' ws: wss:; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)

# -- input models: every field constrained, unknown fields refused ---------------------------------
Username = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{3,32}$")]
Password = Annotated[str, StringConstraints(min_length=10, max_length=128)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120,
                                         pattern=r"^[^\x00-\x1f\x7f]+$")]
Description = Annotated[str, StringConstraints(max_length=2000,
                                               pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$")]
Cents = Annotated[StrictInt, Field(gt=0, le=100_000_000_00)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Credentials(Strict):
    username: Username
    password: Password


class NewItem(Strict):
    title: Title
    description: Description = ""
    starting_price_cents: Cents
    ends_at: AwareDatetime


class ItemEdit(Strict):
    title: Title | None = None
    description: Description | None = None


class NewBid(Strict):
    amount_cents: Cents


@dataclass(frozen=True)
class User:
    id: int
    username: str
    csrf_token: str


def pool_of(request: Request) -> asyncpg.Pool:
    pool: asyncpg.Pool = request.app.state.pool
    return pool

Pool = Annotated[asyncpg.Pool, Depends(pool_of)]

async def current_user(request: Request, pool: Pool) -> User:
    impl: Impl = request.app.state.impl
    token = request.cookies.get(SESSION_COOKIE)
    digest = accounts.token_digest(token) if token else None
    row = await impl.queries.session_user(pool, token_hash=digest) if digest else None
    if row is None:
        raise HTTPException(401, "log in first")
    return User(row["id"], row["username"], row["csrf_token"])

async def acting_user(request: Request, user: Annotated[User, Depends(current_user)]) -> User:
    """A logged-in user making a state-changing request: the CSRF token must come back."""
    if not accounts.csrf_matches(user.csrf_token, request.headers.get(CSRF_HEADER)):
        raise HTTPException(403, "missing or wrong CSRF token")
    return user

Actor = Annotated[User, Depends(acting_user)]


# -- the app ---------------------------------------------------------------------------------------
def create_app(settings: Settings | None = None, impl_name: str | None = None  # noqa: PLR0915
               ) -> FastAPI:
    """Build the app (routes in one place); `uvicorn --factory ...app:create_app` calls this."""
    settings = settings or Settings()
    impl = Impl(impl_name)
    security, auctions, queries = impl.security, impl.auctions, impl.queries
    passwords = accounts.make_passwords(settings.argon2_time_cost, settings.argon2_memory_kib,
                                        settings.argon2_parallelism)
    limits = accounts.LoginLimits(
        free_attempts=settings.login_max_failures, backoff_base_s=settings.login_backoff_base_s,
        backoff_max_s=settings.login_backoff_max_s, window_s=float(settings.login_window_s),
        account_max_failures=settings.login_account_max_failures,
        account_window_s=float(settings.login_account_window_s),
        address_max_failures=settings.login_max_failures_per_ip)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.migrate_on_start:
            conn = await asyncpg.connect(settings.database_url)
            try:
                await impl.migrate.apply_migrations(conn)
            finally:
                await conn.close()
        pool = await create_pool(settings.database_url, settings.pool_min_size,
                                         settings.pool_max_size)
        hub = impl.realtime.Hub(settings.database_url, settings.watcher_queue_size)
        await hub.start()
        app.state.pool, app.state.hub = pool, hub
        closer = asyncio.create_task(_close_loop(pool, limits, settings.close_interval_s, auctions,
                                                 queries))
        try:
            yield
        finally:
            closer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await closer
            await hub.stop()
            await pool.close()

    app = FastAPI(title="Real-time auctions", lifespan=lifespan)
    app.state.settings, app.state.impl = settings, impl
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_credentials=True,
                           allow_methods=["GET", "POST", "PATCH"],
                           allow_headers=["Content-Type", CSRF_HEADER])

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    @app.exception_handler(NotImplementedError)
    async def not_implemented(_request: Request, exc: NotImplementedError) -> JSONResponse:
        return JSONResponse({"detail": f"not implemented yet: {exc}"}, status_code=501)

    async def start_session(pool: asyncpg.Pool, response: Response, user_id: int, username: str
                            ) -> dict[str, Any]:
        session = accounts.new_session()
        await queries.create_session(pool, token_hash=session.token_hash, user_id=user_id,
                                     csrf_token=session.csrf_token, ttl_s=float(settings.session_ttl_s))
        response.set_cookie(SESSION_COOKIE, session.token, max_age=settings.session_ttl_s,
                            httponly=True, samesite=settings.cookie_samesite, secure=settings.cookie_secure,
                            path="/")
        return {"username": username, "csrf_token": session.csrf_token}

    # -- accounts ------------------------------------------------------------------------------
    @app.post("/api/signup", status_code=201)
    async def signup(body: Credentials, request: Request, response: Response, pool: Pool
                     ) -> dict[str, Any]:
        password_hash = await asyncio.to_thread(security.hash_password, passwords, body.password)
        user_id = await queries.create_user(pool, username=body.username, password_hash=password_hash)
        if user_id is None:
            raise HTTPException(409, "that user name is taken")
        await queries.login_succeeded(pool, username=body.username, user_id=user_id,
                                      client_ip=client_address(request, settings.trusted_proxy_hops))
        return await start_session(pool, response, user_id, body.username)

    @app.post("/api/login")
    async def login(body: Credentials, request: Request, response: Response, pool: Pool) -> dict[str, Any]:
        """Check a password, unless the throttle says this (account, address) must wait first.

        The attempt is reserved in the database before the password is checked (and counts as a
        failure until it succeeds), so parallel guesses from one address get no more checks than
        sequential ones; see `sql/logins.sql` for the three limits.
        """
        client_ip = client_address(request, settings.trusted_proxy_hops)
        who = {"username": body.username, "client_ip": client_ip}
        gate = await queries.login_gate(pool, **who, **limits.query_args())
        refusal = accounts.login_refusal(gate, limits)
        if refusal is None and await queries.take_login_attempt(
                pool, **who, free=limits.free_attempts, base_s=limits.backoff_base_s,
                max_s=limits.backoff_max_s, window_s=limits.window_s) is None:
            gate = await queries.login_gate(pool, **who, **limits.query_args())
            refusal = accounts.Refusal("too many failed logins from this address; try again later",
                                       max(1, math.ceil(gate["blocked_s"] or 0)))
        if refusal is not None:
            raise HTTPException(429, refusal.detail, headers={"Retry-After": str(refusal.retry_after_s)})
        row = await queries.user_by_name(pool, username=body.username)
        stored = row["password_hash"] if row else None
        if not await asyncio.to_thread(security.verify_password, passwords, stored, body.password):
            await queries.record_login_failure(pool, **who)
            raise HTTPException(401, "wrong user name or password")
        assert row is not None
        await queries.login_succeeded(pool, **who, user_id=row["id"])
        if security.needs_rehash(passwords, row["password_hash"]):
            new_hash = await asyncio.to_thread(security.hash_password, passwords, body.password)
            await queries.set_password_hash(pool, user_id=row["id"], password_hash=new_hash)
        return await start_session(pool, response, row["id"], row["username"])

    @app.post("/api/logout", status_code=204)
    async def logout(request: Request, user: Actor, pool: Pool) -> Response:
        del user
        token = request.cookies.get(SESSION_COOKIE, "")
        await queries.delete_session(pool, token_hash=accounts.token_digest(token))
        response = Response(status_code=204)
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True,
                               samesite=settings.cookie_samesite, secure=settings.cookie_secure)
        return response

    @app.get("/api/me")
    async def me(user: Annotated[User, Depends(current_user)]) -> dict[str, Any]:
        return {"username": user.username, "csrf_token": user.csrf_token}

    # -- items and bids ------------------------------------------------------------------------
    @app.get("/api/items")
    async def list_items(pool: Pool, status: Annotated[str, Query(pattern="^(open|closed|all)$")] = "all",
                         limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[dict[str, Any]]:
        rows = queries.list_items(pool, status=None if status == "all" else status, limit=limit)
        return [dict(row) async for row in rows]

    @app.get("/api/items/{item_id}")
    async def view_item(item_id: Annotated[int, PathParam(gt=0)], pool: Pool) -> dict[str, Any]:
        async with pool.acquire() as conn:
            snapshot = await auctions.catch_up(conn, item_id, 0)
        if snapshot is None:
            raise HTTPException(404, "no such item")
        return {**snapshot["item"], "bids": snapshot["bids"]}

    @app.post("/api/items", status_code=201)
    async def add_item(body: NewItem, user: Actor, pool: Pool) -> dict[str, Any]:
        now = datetime.now(UTC)
        if body.ends_at <= now + timedelta(seconds=1):
            raise HTTPException(422, "ends_at must be in the future")
        if body.ends_at > now + timedelta(days=settings.max_auction_days):
            raise HTTPException(422, f"an auction lasts at most {settings.max_auction_days} days")
        item_id = await queries.create_item(
            pool, seller_id=user.id, title=body.title, description=body.description,
            starting_price_cents=body.starting_price_cents,
            min_increment_cents=settings.min_increment_cents, ends_at=body.ends_at)
        return {"id": item_id}

    @app.patch("/api/items/{item_id}")
    async def edit_item(item_id: Annotated[int, PathParam(gt=0)], body: ItemEdit, user: Actor, pool: Pool
                        ) -> dict[str, Any]:
        updated = await queries.update_item(pool, item_id=item_id, seller_id=user.id, title=body.title,
                                            description=body.description)
        if updated is None:
            exists = await queries.item_seller(pool, item_id=item_id)
            raise HTTPException(404 if exists is None else 403,
                                "no such item" if exists is None else "only the seller may edit an item")
        return {"id": item_id}

    @app.post("/api/items/{item_id}/bids", status_code=201)
    async def bid(item_id: Annotated[int, PathParam(gt=0)], body: NewBid, user: Actor, pool: Pool,
                  idempotency_key: Annotated[str | None, Header(alias=IDEMPOTENCY_HEADER)] = None
                  ) -> dict[str, Any]:
        """201 with the bid; with an `Idempotency-Key`, a retry gets the same 201 and body again."""
        if idempotency_key is not None and not IDEMPOTENCY_KEY.match(idempotency_key):
            raise HTTPException(422, f"{IDEMPOTENCY_HEADER} must be 1 to 128 visible ASCII characters")
        async with pool.acquire() as conn:
            try:
                placed = await auctions.place_bid(conn, item_id, user.id, body.amount_cents,
                                                  idempotency_key)
            except BidRejectedError as exc:
                raise HTTPException(REJECT_STATUS[exc.reason],
                                    {"reason": exc.reason, "minimum_cents": exc.minimum_cents}) from exc
        return {"id": placed.id, "item_id": placed.item_id, "amount_cents": placed.amount_cents,
                "bidder": placed.bidder}

    # -- real time -----------------------------------------------------------------------------
    @app.websocket("/ws/items/{item_id}")
    async def watch(websocket: WebSocket, item_id: int, after: int = 0) -> None:
        """Push this item's new highest bids and its close; catch up from bid id `after` first."""
        await websocket.accept()
        hub = websocket.app.state.hub
        subscription = hub.subscribe(item_id)  # before the snapshot, so nothing falls in between
        try:
            async with websocket.app.state.pool.acquire() as conn:
                snapshot = await auctions.catch_up(conn, item_id, max(after, 0))
            if snapshot is None:
                await websocket.close(code=4404, reason="no such item")
                return
            await websocket.send_json(jsonable_encoder(
                {"type": "snapshot", "item": snapshot["item"], "bids": snapshot["bids"]}), mode="text")
            last_bid = max([after, *(b["bid_id"] for b in snapshot["bids"])])
            await _pump(websocket, subscription, last_bid)
        except NotImplementedError as exc:
            await websocket.send_json({"type": "error", "detail": f"not implemented yet: {exc}"})
            await websocket.close(code=1011)
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            hub.unsubscribe(subscription)

    @app.get("/healthz")
    async def healthz(request: Request, pool: Pool) -> JSONResponse:
        ok = await pool.fetchval("SELECT 1") == 1 and request.app.state.hub.listening.is_set()
        hub = request.app.state.hub
        return JSONResponse({"ok": ok, "watchers": hub.watcher_count, "delivered": hub.delivered,
                             "malformed": hub.malformed, "resyncs": hub.resyncs},
                            status_code=200 if ok else 503)

    if STATIC_DIR.is_dir():
        app.mount("/", StaticFiles(directory=STATIC_DIR, html=True), name="page")
    return app


async def _pump(websocket: WebSocket, subscription: Any, last_bid: int) -> None:
    """Forward events until the client leaves; skip bids the snapshot already carried."""
    receiver = asyncio.create_task(_drain(websocket))
    try:
        while True:
            getter = asyncio.create_task(subscription.get())
            done, _ = await asyncio.wait({getter, receiver}, return_when=asyncio.FIRST_COMPLETED)
            if receiver in done:
                getter.cancel()
                return
            event = getter.result()
            if event["type"] == "resync":
                await websocket.close(code=1012, reason="resync")
                return
            if event["type"] == "bid":
                if event["bid_id"] <= last_bid:
                    continue
                last_bid = event["bid_id"]
            await websocket.send_json(event, mode="text")
    finally:
        receiver.cancel()


async def _drain(websocket: WebSocket) -> None:
    """Read (and ignore) client frames, so a disconnect is noticed even when no events flow."""
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return


def client_address(request: Request, trusted_hops: int = 0) -> str:
    """The client's address, for login throttling: never a value the client alone chose.

    With `trusted_hops` N > 0 (N proxies in front, each appending the address it saw to
    X-Forwarded-For), the N-th entry from the right: entries left of it are whatever the client sent.
    A request with fewer entries did not come through the proxies, so its socket peer is used. With
    0, the socket peer, which uvicorn (`--proxy-headers`) replaces with X-Forwarded-For's only when
    the peer is in FORWARDED_ALLOW_IPS (127.0.0.1 by default).
    """
    if trusted_hops:
        entries = [e.strip() for e in ",".join(request.headers.getlist("x-forwarded-for")).split(",")]
        entries = [e for e in entries if e]
        if len(entries) >= trusted_hops:
            return entries[-trusted_hops]
    return request.client.host if request.client else "unknown"


async def _close_loop(pool: asyncpg.Pool, limits: accounts.LoginLimits, interval_s: float,
                      auctions: Any, queries: Any) -> None:
    """Close due auctions on every instance (SKIP LOCKED makes concurrent closers safe), and once a
    minute drop expired sessions and login throttling state older than its windows."""
    warned = False
    housekeeping_at = 0.0
    while True:
        try:
            async with pool.acquire() as conn:
                await auctions.close_due_auctions(conn)
                if time.monotonic() >= housekeeping_at:
                    await queries.delete_expired_sessions(conn)
                    await queries.delete_old_login_state(conn, window_s=limits.window_s,
                                                         account_window_s=limits.account_window_s)
                    housekeeping_at = time.monotonic() + 60
        except NotImplementedError as exc:
            if not warned:
                log.warning("auctions do not close: not implemented yet: %s", exc)
                warned = True
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("closing due auctions failed (will retry): %s", exc)
        await asyncio.sleep(interval_s)
