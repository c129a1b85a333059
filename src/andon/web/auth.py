"""Who may use the dashboard: users, API tokens, sessions, CSRF and login rate limiting.

* Users log in with a name and a password, hashed with argon2id (never stored in clear).
  Each has a role: ``viewer`` reads; ``operator`` may also mute, exempt and approve fix plans.
* API tokens look like ``andon_<id>_<secret>``. The ``id`` finds the row; only an argon2 hash
  of the secret is stored, so a stolen database yields no usable token. Verified tokens are
  remembered in memory for a short time (:class:`TokenCache`) because argon2 is slow on
  purpose.
* A login creates a server-side session: a 256-bit random id whose SHA-256 is stored with its
  expiry and CSRF token. The browser gets the id in a cookie signed (HMAC-SHA256) with the
  per-install secret (:func:`install_secret`, kept in the store), so a forged or truncated
  cookie is refused before the database is asked. Logout deletes the session.
* Every form carries the session's CSRF token; the login form, before any session exists,
  carries an HMAC of a random pre-login cookie (:func:`login_csrf`).
* :class:`RateLimiter` counts failed logins per user name and per client address.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from andon.core.errors import ConfigError, NotFound
from andon.store import Store
from andon.store.schema_web import WebSecretRow, WebSessionRow, WebTokenRow, WebUserRow
from andon.web.settings import HashCost

MIN_PASSWORD = 12
TOKEN_PREFIX = "andon_"
_SECRET_NAME = "session-signing"


class Role(StrEnum):
    """``viewer`` reads everything; ``operator`` may also mute, exempt and approve plans."""

    VIEWER = "viewer"
    OPERATOR = "operator"


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: Role
    created_at: datetime


@dataclass(frozen=True)
class TokenInfo:
    """An API token as listed (the secret is never kept)."""

    id: str
    name: str
    role: Role
    created_by: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class Principal:
    """Whoever is asking: a logged-in user (with the session's CSRF token) or a token."""

    name: str
    role: Role
    via: str  # "session" or "token"
    csrf: str = ""

    @property
    def can_act(self) -> bool:
        return self.role is Role.OPERATOR


def hasher(cost: HashCost) -> PasswordHasher:
    return PasswordHasher(
        time_cost=cost.time_cost, memory_cost=cost.memory_cost, parallelism=cost.parallelism
    )


def _verify(ph: PasswordHasher, stored: str, given: str) -> bool:
    try:
        return ph.verify(stored, given)
    except (VerificationError, InvalidHashError):
        return False


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise ConfigError(f"unknown role {value!r}: use viewer or operator") from None


def _check_name(name: str) -> str:
    if not name or len(name) > 128 or not name.isprintable() or name != name.strip():
        raise ConfigError("a user name is 1 to 128 printable characters, no outer spaces")
    return name


# -- users -------------------------------------------------------------------------------


def add_user(store: Store, name: str, password: str, role: str, ph: PasswordHasher) -> User:
    """Create a user; ConfigError for a taken name, a bad role or a short password."""
    _check_name(name)
    r = _role(role)
    if len(password) < MIN_PASSWORD:
        raise ConfigError(f"a password needs at least {MIN_PASSWORD} characters")
    with store.transaction("add user") as s:
        if s.scalar(sa.select(WebUserRow.id).where(WebUserRow.name == name)) is not None:
            raise ConfigError(f"user {name!r} exists already")
        row = WebUserRow(
            name=name, password_hash=ph.hash(password), role=r.value, created_at=store.now()
        )
        s.add(row)
        s.flush()
        return User(row.id, row.name, r, row.created_at)


def list_users(store: Store) -> list[User]:
    with store.transaction("list users") as s:
        rows = s.scalars(sa.select(WebUserRow).order_by(WebUserRow.name))
        return [User(u.id, u.name, Role(u.role), u.created_at) for u in rows]


def remove_user(store: Store, name: str) -> None:
    """Delete a user and end their sessions; NotFound if there is none."""
    with store.transaction("remove user") as s:
        uid = s.scalar(sa.select(WebUserRow.id).where(WebUserRow.name == name))
        if uid is None:
            raise NotFound(f"no user {name!r}")
        s.execute(sa.delete(WebSessionRow).where(WebSessionRow.user_id == uid))
        s.execute(sa.delete(WebUserRow).where(WebUserRow.id == uid))


def authenticate(store: Store, name: str, password: str, ph: PasswordHasher) -> User | None:
    """The user if the password is right. An unknown name costs the same hashing work."""
    with store.transaction("read user") as s:
        row = s.scalars(sa.select(WebUserRow).where(WebUserRow.name == name)).one_or_none()
    if row is None:
        ph.hash(password)  # the same work as a verification: no timing hint of who exists
        return None
    if not _verify(ph, row.password_hash, password):
        return None
    return User(row.id, row.name, Role(row.role), row.created_at)


# -- API tokens --------------------------------------------------------------------------


def create_token(
    store: Store,
    name: str,
    role: str,
    ph: PasswordHasher,
    *,
    created_by: str,
    expires_at: datetime | None = None,
) -> tuple[TokenInfo, str]:
    """A new token; returns its description and the token text (shown once, never stored)."""
    _check_name(name)
    r = _role(role)
    token_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    now = store.now()
    if expires_at is not None and expires_at <= now:
        raise ConfigError("the token would expire before it is created")
    row = WebTokenRow(
        id=token_id,
        name=name,
        role=r.value,
        secret_hash=ph.hash(secret),
        created_by=created_by,
        created_at=now,
        expires_at=expires_at,
        revoked_at=None,
    )
    with store.transaction("create token") as s:
        s.add(row)
    info = TokenInfo(token_id, name, r, created_by, now, expires_at, None)
    return info, f"{TOKEN_PREFIX}{token_id}_{secret}"


def list_tokens(store: Store) -> list[TokenInfo]:
    with store.transaction("list tokens") as s:
        rows = s.scalars(sa.select(WebTokenRow).order_by(WebTokenRow.created_at))
        return [
            TokenInfo(
                t.id, t.name, Role(t.role), t.created_by, t.created_at, t.expires_at, t.revoked_at
            )
            for t in rows
        ]


def revoke_token(store: Store, token_id: str) -> None:
    """Revoke a token now; NotFound if there is none. Revoking twice keeps the first time."""
    with store.transaction("revoke token") as s:
        row = s.get(WebTokenRow, token_id)
        if row is None:
            raise NotFound(f"no token {token_id!r}")
        if row.revoked_at is None:
            row.revoked_at = store.now()


class TokenCache:
    """Tokens verified recently: argon2 is slow on purpose, an API client calls often.

    Keyed by the SHA-256 of the whole token; an entry lives ``ttl``, and revocation or expiry
    is re-read from the database on every request anyway (cheap, by primary key).
    """

    def __init__(self, ttl: timedelta, clock: Callable[[], datetime]) -> None:
        self._ttl = ttl
        self._clock = clock
        self._seen: dict[str, datetime] = {}

    def fresh(self, digest: str) -> bool:
        at = self._seen.get(digest)
        return at is not None and self._clock() - at < self._ttl

    def remember(self, digest: str) -> None:
        if len(self._seen) > 10_000:
            self._seen.clear()
        self._seen[digest] = self._clock()


def verify_token(
    store: Store, token: str, ph: PasswordHasher, cache: TokenCache
) -> Principal | None:
    """The principal of a valid, unrevoked, unexpired token; None otherwise."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    token_id, _, secret = token[len(TOKEN_PREFIX) :].partition("_")
    if not token_id or not secret or len(token) > 200:
        return None
    with store.transaction("read token") as s:
        row = s.get(WebTokenRow, token_id)
        if row is None:
            return None
        now = store.now()
        if row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now):
            return None
        digest = hashlib.sha256(token.encode()).hexdigest()
        if not cache.fresh(digest):
            if not _verify(ph, row.secret_hash, secret):
                return None
            cache.remember(digest)
        return Principal(name=f"token:{row.name}", role=Role(row.role), via="token")


# -- sessions, cookies, CSRF -------------------------------------------------------------


def install_secret(store: Store) -> bytes:
    """The per-install key that signs cookies: created once, then read from the store."""
    with store.transaction("read the install secret") as s:
        row = s.get(WebSecretRow, _SECRET_NAME)
        if row is None:
            row = WebSecretRow(name=_SECRET_NAME, value=secrets.token_hex(32))
            s.add(row)
        return bytes.fromhex(row.value)


def _mac(key: bytes, value: str) -> str:
    digest = hmac.new(key, value.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def sign(key: bytes, value: str) -> str:
    return f"{value}.{_mac(key, value)}"


def unsign(key: bytes, signed: str) -> str | None:
    """The value if the signature is right, else None."""
    value, _, mac = signed.rpartition(".")
    if not value or not hmac.compare_digest(mac, _mac(key, value)):
        return None
    return value


def login_csrf(key: bytes, pre: str) -> str:
    """The login form's CSRF token, bound to the pre-login cookie ``pre``."""
    return _mac(key, f"login:{pre}")


def same(a: str, b: str) -> bool:
    return bool(a) and hmac.compare_digest(a.encode(), b.encode())


def _hash_id(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def create_session(store: Store, user: User, ttl: timedelta) -> str:
    """A new session for ``user``; returns the session id for the cookie."""
    session_id = secrets.token_urlsafe(32)
    now = store.now()
    with store.transaction("create session") as s:
        s.execute(sa.delete(WebSessionRow).where(WebSessionRow.expires_at <= now))
        s.add(
            WebSessionRow(
                id_hash=_hash_id(session_id),
                user_id=user.id,
                csrf=secrets.token_hex(32),
                created_at=now,
                expires_at=now + ttl,
            )
        )
    return session_id


def load_session(store: Store, session_id: str) -> Principal | None:
    """The principal of a live session, None if unknown or expired."""
    with store.transaction("read session") as s:
        found = s.execute(
            sa.select(WebSessionRow, WebUserRow)
            .join(WebUserRow, WebUserRow.id == WebSessionRow.user_id)
            .where(WebSessionRow.id_hash == _hash_id(session_id))
        ).one_or_none()
        if found is None:
            return None
        session, user = found
        if session.expires_at <= store.now():
            return None
        return Principal(name=user.name, role=Role(user.role), via="session", csrf=session.csrf)


def end_session(store: Store, session_id: str) -> None:
    with store.transaction("end session") as s:
        s.execute(sa.delete(WebSessionRow).where(WebSessionRow.id_hash == _hash_id(session_id)))


class RateLimiter:
    """At most ``attempts`` failures per key within ``window``; memory per app instance."""

    def __init__(self, attempts: int, window: timedelta, clock: Callable[[], datetime]) -> None:
        self._attempts = attempts
        self._window = window
        self._clock = clock
        self._failures: dict[str, deque[datetime]] = {}

    def _recent(self, key: str) -> deque[datetime]:
        q = self._failures.setdefault(key, deque())
        cutoff = self._clock() - self._window
        while q and q[0] <= cutoff:
            q.popleft()
        return q

    def blocked(self, *keys: str) -> bool:
        return any(len(self._recent(k)) >= self._attempts for k in keys)

    def failed(self, *keys: str) -> None:
        if len(self._failures) > 100_000:
            self._failures.clear()
        for k in keys:
            self._recent(k).append(self._clock())

    def succeeded(self, *keys: str) -> None:
        for k in keys:
            self._failures.pop(k, None)
