"""Security, one test (at least) per promise: argon2id, cookie sessions with CSRF, authorization,
input validation, output escaping headers, and login rate limiting."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from .. import accounts
from ..app import client_address
from ..harness import Instance
from .conftest import PASSWORD, Api, new_username, signed_up


# -- passwords ---------------------------------------------------------------------------------------
def test_passwords_are_argon2id_salted_and_verified(impl: Any) -> None:
    passwords = accounts.make_passwords(time_cost=1, memory_kib=8192, parallelism=1)
    first = impl.security.hash_password(passwords, "correct horse battery")
    second = impl.security.hash_password(passwords, "correct horse battery")
    assert first.startswith("$argon2id$v=19$m=8192,t=1,p=1$")
    assert first != second, "a fresh salt every time"
    assert impl.security.verify_password(passwords, first, "correct horse battery")
    assert not impl.security.verify_password(passwords, first, "correct horse batterY")
    assert not impl.security.verify_password(passwords, None, "correct horse battery")
    assert not impl.security.verify_password(passwords, "not a hash", "correct horse battery")


def test_the_default_cost_is_rfc_9106s_profile_and_old_hashes_are_flagged(impl: Any) -> None:
    default = accounts.make_passwords()
    cheap = accounts.make_passwords(time_cost=1, memory_kib=8192, parallelism=1)
    assert impl.security.hash_password(default, "x" * 12).startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert impl.security.needs_rehash(default, impl.security.hash_password(cheap, "x" * 12))


def test_the_database_stores_only_argon2id_hashes(instances: list[Instance], database: str) -> None:
    api = signed_up(instances[0].url)

    async def stored() -> str:
        conn = await asyncpg.connect(database)
        try:
            value: str = await conn.fetchval("SELECT password_hash FROM users WHERE username = $1",
                                             api.username)
            return value
        finally:
            await conn.close()

    value = asyncio.run(stored())
    assert value.startswith("$argon2id$")
    assert PASSWORD not in value


# -- sessions and CSRF ---------------------------------------------------------------------------------
def test_the_session_cookie_is_httponly_and_samesite(instances: list[Instance]) -> None:
    response = Api(instances[0].url).signup()
    assert response.status_code == 201
    cookie = response.headers["set-cookie"].lower()
    assert "auction_session=" in cookie
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "auction_session" not in response.text, "the session token never reaches JavaScript"


def test_state_changes_need_the_csrf_token(instances: list[Instance]) -> None:
    api = signed_up(instances[0].url)
    body = {"title": "Vase", "starting_price_cents": 500,
            "ends_at": (datetime.now(UTC) + timedelta(minutes=5)).isoformat()}
    no_header = api.http.post("/api/items", json=body)
    wrong = api.http.post("/api/items", json=body, headers={"X-CSRF-Token": "forged"})
    assert (no_header.status_code, wrong.status_code) == (403, 403)
    item_id = api.add_item()
    bidder = signed_up(instances[1].url)
    assert bidder.http.post(f"/api/items/{item_id}/bids", json={"amount_cents": 5000}).status_code == 403
    assert bidder.http.post("/api/logout").status_code == 403
    assert bidder.bid(item_id, 5000).status_code == 201


def test_anonymous_users_can_browse_but_not_act(instances: list[Instance]) -> None:
    item_id = signed_up(instances[0].url).add_item()
    anonymous = Api(instances[1].url)
    assert anonymous.http.get("/api/items").status_code == 200
    assert anonymous.http.get(f"/api/items/{item_id}").status_code == 200
    assert anonymous.http.get("/api/me").status_code == 401
    assert anonymous.bid(item_id, 5000).status_code == 401


def test_logout_ends_the_session_on_every_instance(instances: list[Instance]) -> None:
    api = signed_up(instances[0].url)
    token = api.http.cookies["auction_session"]
    assert api.http.get("/api/me").status_code == 200
    assert api.send("POST", "/api/logout").status_code == 204
    replay = httpx.get(f"{instances[1].url}/api/me", cookies={"auction_session": token})
    assert replay.status_code == 401


# -- authorization -------------------------------------------------------------------------------------
def test_no_bid_on_your_own_item(instances: list[Instance]) -> None:
    """Shill bidding: a seller raising the price of their own item. Refused on every instance, with a
    reason, whatever the amount, and before and after others have bid."""
    seller = signed_up(instances[0].url)
    item_id = seller.add_item(price=1000)
    on_b = Api(instances[1].url)
    assert on_b.login(seller.username or "").status_code == 200
    for api, amount in ((seller, 1000), (on_b, 50_000)):
        response = api.bid(item_id, amount)
        assert response.status_code == 403, (
            f"the seller's own bid must be refused with 403 own_item, got {response.status_code}: "
            f"{response.text[:200]}")
        assert response.json()["detail"]["reason"] == "own_item"
    assert signed_up(instances[1].url).bid(item_id, 1000).status_code == 201
    response = seller.bid(item_id, 5000)
    assert (response.status_code, response.json()["detail"]["reason"]) == (403, "own_item"), (
        "the seller outbid a real bidder on their own item")
    item = seller.item(item_id)
    assert (item["bid_count"], item["current_price_cents"]) == (1, 1000), "a seller's bid was recorded"


def test_only_the_seller_edits_an_item(instances: list[Instance]) -> None:
    seller, other = signed_up(instances[0].url), signed_up(instances[1].url)
    item_id = seller.add_item(title="Old title")
    assert other.send("PATCH", f"/api/items/{item_id}", {"title": "Hijacked"}).status_code == 403
    assert other.send("PATCH", "/api/items/999999999", {"title": "Nothing"}).status_code == 404
    assert seller.send("PATCH", f"/api/items/{item_id}", {"title": "New title"}).status_code == 200
    assert seller.item(item_id)["title"] == "New title"


# -- validation ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("body", [
    {"username": "ab", "password": PASSWORD},
    {"username": "Has Space", "password": PASSWORD},
    {"username": "x" * 33, "password": PASSWORD},
    {"username": "robert');drop", "password": PASSWORD},
    {"username": "okname", "password": "short"},
    {"username": "okname", "password": "p" * 129},
    {"username": "okname"},
    {"username": "okname", "password": PASSWORD, "admin": True},
    {"username": 42, "password": PASSWORD},
])
def test_bad_sign_ups_are_refused(instances: list[Instance], body: dict[str, Any]) -> None:
    response = httpx.post(f"{instances[0].url}/api/signup", json=body)
    assert response.status_code == 422, response.text


def test_a_taken_user_name_is_a_conflict(instances: list[Instance]) -> None:
    name = new_username()
    assert Api(instances[0].url).signup(name).status_code == 201
    assert Api(instances[1].url).signup(name).status_code == 409


def _in(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


@pytest.mark.parametrize("changes", [
    {"title": ""},
    {"title": "   "},
    {"title": "t" * 121},
    {"title": "bell\x07"},
    {"description": "d" * 2001},
    {"starting_price_cents": 0},
    {"starting_price_cents": -100},
    {"starting_price_cents": "100"},
    {"starting_price_cents": 10.5},
    {"starting_price_cents": 10**13},
    {"ends_at": "yesterday"},
    {"ends_at": "2020-01-01T00:00:00+00:00"},
    {"ends_at": datetime.now().isoformat()},  # no time zone: ambiguous, refused
    {"ends_at": _in(40 * 24 * 3600)},
    {"seller_id": 1},
])
def test_bad_items_are_refused(instances: list[Instance], changes: dict[str, Any]) -> None:
    api = signed_up(instances[0].url)
    body = {"title": "Lamp", "description": "", "starting_price_cents": 1000, "ends_at": _in(600)}
    response = api.send("POST", "/api/items", {**body, **changes})
    assert response.status_code == 422, response.text


@pytest.mark.parametrize(("path", "body"), [
    ("/api/items/{id}/bids", {"amount_cents": 0}),
    ("/api/items/{id}/bids", {"amount_cents": "5000"}),
    ("/api/items/{id}/bids", {"amount_cents": 50.5}),
    ("/api/items/{id}/bids", {}),
    ("/api/items/abc/bids", {"amount_cents": 5000}),
    ("/api/items/0/bids", {"amount_cents": 5000}),
])
def test_bad_bids_are_refused(instances: list[Instance], path: str, body: dict[str, Any]) -> None:
    item_id = signed_up(instances[0].url).add_item()
    bidder = signed_up(instances[1].url)
    response = bidder.send("POST", path.format(id=item_id), body)
    assert response.status_code == 422, response.text
    assert bidder.item(item_id)["bid_count"] == 0


def test_bad_list_queries_are_refused(instances: list[Instance]) -> None:
    assert httpx.get(f"{instances[0].url}/api/items?status=deleted").status_code == 422
    assert httpx.get(f"{instances[0].url}/api/items?limit=100000").status_code == 422


# -- output escaping -----------------------------------------------------------------------------------
def test_the_page_forbids_inline_script_and_the_api_returns_titles_as_data(instances: list[Instance]) -> None:
    payload = "<script>alert(1)</script>"
    api = signed_up(instances[0].url)
    item_id = api.add_item(title=payload)
    response = api.http.get(f"/api/items/{item_id}")
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["title"] == payload, "stored as given; escaping is the renderer's job"
    page = httpx.get(f"{instances[0].url}/")
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    script = httpx.get(f"{instances[0].url}/app.js").text
    assert "innerHTML" not in script.replace("never innerHTML", "")


# -- login rate limiting -------------------------------------------------------------------------------
# The attacker's client binds 127.0.0.2, the owner's 127.0.0.1 (both loopback): the servers see two
# socket addresses. Neither sends X-Forwarded-For except where a test forges one.
ATTACKER = "127.0.0.2"


def _db(database: str, sql: str, *args: Any) -> None:
    async def run() -> None:
        conn = await asyncpg.connect(database)
        try:
            await conn.execute(sql, *args)
        finally:
            await conn.close()

    asyncio.run(run())


def test_an_attacker_is_throttled_and_the_owner_still_logs_in(instances: list[Instance]) -> None:
    victim = signed_up(instances[0].url).username
    assert victim is not None
    attacker = Api(instances[0].url, local_address=ATTACKER)
    codes = [attacker.login(victim, "wrong password").status_code for _ in range(5)]
    assert codes == [401] * 5
    for instance in instances:  # the back-off is in the database: every instance enforces it
        response = Api(instance.url, local_address=ATTACKER).login(victim, "wrong password")
        assert response.status_code == 429, "the guessing address was not throttled"
        assert int(response.headers["retry-after"]) >= 1
    # Even the right password waits, from the throttled address (the check is not even made)...
    assert Api(instances[1].url, local_address=ATTACKER).login(victim).status_code == 429
    # ...and a forged X-Forwarded-For does not buy a fresh counter (127.0.0.2 is not a trusted proxy).
    forged = Api(instances[1].url, local_address=ATTACKER)
    response = forged.http.post("/api/login", json={"username": victim, "password": "wrong password"},
                                headers={"X-Forwarded-For": "203.0.113.9"})
    assert response.status_code == 429, "an untrusted client chose its address by header"
    # The owner, from another address, is not locked out by someone else's guesses, on either instance.
    for instance in instances:
        assert Api(instance.url).login(victim).status_code == 200, (
            "the owner was locked out by another address's failed logins")


def test_the_back_off_doubles_with_each_further_attempt(instances: list[Instance], database: str) -> None:
    victim = signed_up(instances[0].url).username
    attacker = Api(instances[1].url, local_address=ATTACKER)
    for _ in range(5):
        assert attacker.login(victim or "", "wrong password").status_code == 401
    waits = []
    for _ in range(3):
        response = attacker.login(victim or "", "wrong password")
        assert response.status_code == 429
        waits.append(int(response.headers["retry-after"]))
        # Let the wait pass without sleeping through it: expire the block in the database.
        _db(database, "UPDATE login_attempts SET blocked_until = now() - interval '1 second' "
                      "WHERE username = $1 AND client_ip = $2", victim, ATTACKER)
        assert attacker.login(victim or "", "wrong password").status_code == 401
    assert waits == sorted(set(waits)), f"the wait did not grow: {waits}"
    assert waits[-1] >= 4 * waits[0] - 1, f"the wait did not double: {waits}"


def test_parallel_guesses_get_no_more_checks_than_sequential_ones(instances: list[Instance]) -> None:
    """The attempt is reserved in one statement before the password is checked: a burst of 20 at
    once from one address gets the 5 free checks, not 20."""
    victim = signed_up(instances[0].url).username

    async def burst() -> list[int]:
        async def one(n: int) -> int:
            transport = httpx.AsyncHTTPTransport(local_address=ATTACKER)
            async with httpx.AsyncClient(base_url=instances[n % 2].url, transport=transport,
                                         timeout=30) as http:
                response = await http.post("/api/login",
                                           json={"username": victim, "password": f"guess number {n}"})
                return response.status_code

        return list(await asyncio.gather(*(one(n) for n in range(20))))

    codes = asyncio.run(burst())
    assert sorted(set(codes)) == [401, 429], codes
    assert codes.count(401) <= 5, f"{codes.count(401)} passwords were checked in a burst of 20"


def test_a_distributed_attack_soft_locks_the_account_but_not_for_its_owner(
        instances: list[Instance], database: str) -> None:
    owner = signed_up(instances[0].url)  # signing up from 127.0.0.1 makes it a known address
    victim = owner.username
    # A botnet's worth of failures from 100 other addresses within the hour.
    _db(database, "INSERT INTO login_failures (username, client_ip) "
                  "SELECT $1, '198.51.100.' || n FROM generate_series(1, 100) AS n", victim)
    # A new address gets no check at all, even with the right password...
    response = Api(instances[1].url, local_address=ATTACKER).login(victim or "")
    assert response.status_code == 429, "a soft-locked account still let a new address try"
    # ...while the owner, from an address the account has logged in from, still gets in.
    assert Api(instances[1].url).login(victim or "").status_code == 200, (
        "the account-wide limit locked the owner out")


@pytest.mark.parametrize(("hops", "header", "expected"), [
    (0, "203.0.113.9", "192.0.2.1"),  # no proxy trusted: the socket's peer, whatever the header says
    (2, "203.0.113.9, 198.51.100.7, 34.1.2.3", "198.51.100.7"),  # the load balancer's client entry
    (2, "198.51.100.7, 34.1.2.3", "198.51.100.7"),
    (2, "34.1.2.3", "192.0.2.1"),  # too few entries: it did not come through the proxies
    (1, "203.0.113.9, 198.51.100.7", "198.51.100.7"),
])
def test_the_client_address_comes_only_from_trusted_proxies(hops: int, header: str, expected: str) -> None:
    from starlette.requests import Request

    request = Request({"type": "http", "client": ("192.0.2.1", 5000),
                       "headers": [(b"x-forwarded-for", header.encode())]})
    assert client_address(request, hops) == expected


def test_other_accounts_are_not_affected_by_an_attack_on_one(instances: list[Instance]) -> None:
    victim, bystander = signed_up(instances[0].url).username, signed_up(instances[0].url).username
    attacker = Api(instances[0].url, local_address=ATTACKER)
    for _ in range(6):
        attacker.login(victim or "", "wrong password")
    assert Api(instances[1].url, local_address=ATTACKER).login(bystander or "").status_code == 200


@pytest.mark.parametrize("body", [{"title": ""}, {"title": "x" * 121}, {"description": "d" * 2001},
                                  {"seller_id": 2}, {"title": None, "status": "closed"}])
def test_bad_edits_are_refused(instances: list[Instance], body: dict[str, Any]) -> None:
    seller = signed_up(instances[0].url)
    item_id = seller.add_item(title="Kept")
    assert seller.send("PATCH", f"/api/items/{item_id}", body).status_code == 422
    assert seller.item(item_id)["title"] == "Kept"


@pytest.mark.parametrize("body", [{"username": "x"}, {"username": "okname", "password": 5}, {}])
def test_bad_logins_are_refused_before_any_lookup(instances: list[Instance], body: dict[str, Any]) -> None:
    assert httpx.post(f"{instances[1].url}/api/login", json=body).status_code == 422
