"""Every setting from the environment, so the same code runs locally and on a PaaS.

Locally `bootcamp` exports `DATABASE_URL` for the project's PostgreSQL; in the cloud the platform
sets it to the managed database (Cloud SQL, RDS, Azure Database for PostgreSQL).
"""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """The auction service's configuration (`AUCTION_*`, plus `DATABASE_URL`)."""

    model_config = SettingsConfigDict(env_prefix="AUCTION_", extra="ignore")

    database_url: str = Field(
        default="postgresql://postgres:bootcamp@127.0.0.1:55432/postgres",
        validation_alias=AliasChoices("DATABASE_URL", "AUCTION_DATABASE_URL"),
    )
    pool_min_size: int = Field(default=2, ge=1)
    pool_max_size: int = Field(default=10, ge=1)
    # Sessions: HttpOnly always; Secure in the cloud (HTTPS); SameSite=lax unless the page is
    # served from another *site* (then "none", which requires Secure, plus CORS below).
    session_ttl_s: int = Field(default=7 * 24 * 3600, gt=0)
    cookie_secure: bool = False
    cookie_samesite: Literal["lax", "strict", "none"] = "lax"
    cors_origins: list[str] = Field(default_factory=list)
    # Auctions.
    min_increment_cents: int = Field(default=100, gt=0)
    max_auction_days: int = Field(default=30, gt=0)
    close_interval_s: float = Field(default=0.25, gt=0)
    # argon2id cost (RFC 9106 profile 2 by default). Lower only for tests and benchmarks.
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=65536, ge=8 * 1024)
    argon2_parallelism: int = Field(default=4, ge=1)
    # Login throttling (OWASP ASVS 4.0.3 V2.2.1; see accounts.py): free attempts per (account,
    # address), then a back-off from base_s doubling to max_s; an address's attempts are forgotten
    # after window_s without one. Per account, more than account_max_failures failures within
    # account_window_s soft-lock it: only addresses it has logged in from before may try. Per address
    # over all accounts, max_failures_per_ip within window_s.
    login_max_failures: int = Field(default=5, gt=0)
    login_backoff_base_s: float = Field(default=1.0, gt=0)
    login_backoff_max_s: float = Field(default=900.0, gt=0)
    login_window_s: int = Field(default=900, gt=0)
    login_account_max_failures: int = Field(default=100, gt=0)
    login_account_window_s: int = Field(default=3600, gt=0)
    login_max_failures_per_ip: int = Field(default=50, gt=0)
    # The client address behind N proxies that each append to X-Forwarded-For: the N-th entry from
    # the right (a Google external Application Load Balancer appends "<client>, <its own address>":
    # 2). 0 trusts no header: the socket's peer (uvicorn's FORWARDED_ALLOW_IPS aside).
    trusted_proxy_hops: int = Field(default=0, ge=0)
    # Fan-out: events a slow watcher may fall behind before it is told to reconnect and catch up.
    watcher_queue_size: int = Field(default=256, gt=0)
    # Apply pending migrations at start-up (handy locally; in the cloud run them as a release step).
    migrate_on_start: bool = False
