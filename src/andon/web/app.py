"""The application factory: :func:`create_app` builds one dashboard over one store.

Nothing lives at module level: the store, the settings, the per-install secret, the login rate
limiter and the caches belong to the :class:`WebContext` of the app that
:func:`create_app` returns, so two apps (tests, or two stores) never share state.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup
from starlette.datastructures import MutableHeaders

from andon import __version__
from andon.core.errors import AndonError, ConfigError, NotFound, StoreError
from andon.report.safe import json_dumps
from andon.store import Store
from andon.web import auth
from andon.web.queries import Caches
from andon.web.settings import WebSettings

HERE = Path(__file__).parent
SESSION_COOKIE = "andon_session"
PRE_LOGIN_COOKIE = "andon_pre"

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class AndonJSON(JSONResponse):
    """JSON with ``<``, ``>`` and ``&`` escaped: inert even if pasted into HTML."""

    def render(self, content: Any) -> bytes:
        return json_dumps(content, indent=None).encode("utf-8")


class SecurityHeaders:
    """Adds the security headers to every response; only static files may be cached."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
                headers["Cache-Control"] = "public, max-age=3600" if static else "no-store"
            await send(message)

        await self.app(scope, receive, with_headers)


# Control and invisible formatting characters, as in andon.report.safe, except newline and tab
# (harmless in HTML, and needed by the multi-line blocks: CLI steps, Terraform, evidence).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _finalize(value: Any) -> Any:
    """Every value printed by a template: control characters made visible (autoescape does
    the HTML part)."""
    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    return _CONTROL.sub(_escape, value)


def templates() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=True,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pretty"] = lambda v: json.dumps(v, indent=2, ensure_ascii=False, default=str)
    return env


@dataclass
class WebContext:
    """What the routes of one app share."""

    store: Store
    settings: WebSettings
    hasher: PasswordHasher
    secret: bytes
    limiter: auth.RateLimiter
    tokens: auth.TokenCache
    caches: Caches
    env: Environment

    def principal(self, request: Request) -> auth.Principal | None:
        """Whoever the request comes from: a bearer token, else the session cookie."""
        header = request.headers.get("authorization", "")
        if header:
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer":
                return None
            return auth.verify_token(self.store, token.strip(), self.hasher, self.tokens)
        cookie = request.cookies.get(SESSION_COOKIE, "")
        session_id = auth.unsign(self.secret, cookie) if cookie else None
        if session_id is None:
            return None
        return auth.load_session(self.store, session_id)


def _status(exc: AndonError) -> int:
    from andon.web.actions import Forbidden

    if isinstance(exc, Forbidden):
        return 403
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, ConfigError):
        return 400
    if isinstance(exc, StoreError):
        return 503
    return 400


def create_app(store: Store, settings: WebSettings | None = None) -> Any:
    """A FastAPI app serving the dashboard and ``/api/v1`` over ``store``.

    Returns the :class:`fastapi.FastAPI` instance (typed ``Any`` for callers without the web
    extra). The caller owns the store and closes it.
    """
    from andon.web import api, pages

    settings = settings or WebSettings()
    ctx = WebContext(
        store=store,
        settings=settings,
        hasher=auth.hasher(settings.hash_cost),
        secret=auth.install_secret(store),
        limiter=auth.RateLimiter(settings.login_attempts, settings.login_window, store.now),
        tokens=auth.TokenCache(settings.token_cache_ttl, store.now),
        caches=Caches(),
        env=templates(),
    )
    app = FastAPI(
        title="Andon",
        version=__version__,
        description="What is exposed now, what changed, how fast it was detected.",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        default_response_class=AndonJSON,
    )
    app.state.andon = ctx
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(api.router(ctx, app))
    app.include_router(pages.router(ctx, app))

    @app.exception_handler(AndonError)
    async def andon_error(request: Request, exc: AndonError) -> Response:
        status = _status(exc)
        message = str(exc) if status != 503 else "the store is not available"
        if request.url.path.startswith("/api/"):
            return AndonJSON({"error": message}, status_code=status)
        return pages.error_page(ctx, request, status, message)

    return app
