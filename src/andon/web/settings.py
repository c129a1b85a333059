"""Settings of one dashboard instance, passed to :func:`andon.web.create_app` explicitly."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class HashCost:
    """argon2id cost parameters. The defaults are argon2-cffi's (RFC 9106 low-memory);
    tests pass cheaper ones so that hashing does not dominate their run time."""

    time_cost: int = 3
    memory_cost: int = 65536
    parallelism: int = 4


@dataclass(frozen=True)
class WebSettings:
    """How the dashboard behaves.

    ``secure_cookies`` marks the session cookie ``Secure`` (set it when served over HTTPS, e.g.
    behind a TLS proxy). ``login_attempts`` failed logins per user name and per client address
    within ``login_window`` lock further attempts until the window passes. ``page_size`` is the
    number of findings per page (the API accepts ``limit`` up to ``max_page_size``).
    ``banner`` is a line shown on every page (``andon serve --demo`` says it serves a demo).
    """

    session_ttl: timedelta = timedelta(hours=8)
    secure_cookies: bool = False
    login_attempts: int = 5
    login_window: timedelta = timedelta(minutes=5)
    page_size: int = 50
    max_page_size: int = 500
    hash_cost: HashCost = HashCost()
    token_cache_ttl: timedelta = timedelta(seconds=60)
    banner: str = ""
