"""``andon serve``, ``andon users`` and ``andon tokens``: the dashboard and who may use it.

The server binds to 127.0.0.1 unless told otherwise; any other address needs
``--allow-remote`` and prints a warning (put a TLS proxy in front and use ``--secure-cookies``).
``--demo`` scans the demo estate into a temporary store, creates a one-time operator login,
serves it, and deletes the store when the server stops. Needs the ``web`` extra.
"""

from __future__ import annotations

import ipaddress
import secrets
import signal
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from andon.cli.common import FORMAT_OPTION, Format, emit, fail, open_store
from andon.core.errors import AndonError
from andon.report.safe import json_dumps, plain

if TYPE_CHECKING:
    from argon2 import PasswordHasher

STORE_HELP = (
    "Store URL: sqlite:///file.db or postgresql://user@host/db (default: a SQLite file in the "
    "platform data directory)."
)


def _store_option() -> Any:
    return typer.Option("--store", "--db", envvar="ANDON_DB", help=STORE_HELP)


def _web() -> None:
    try:
        import argon2  # noqa: F401
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        fail("the dashboard needs the web extra: pip install 'andon[web]'")


def _hasher() -> PasswordHasher:
    from andon.web.auth import hasher
    from andon.web.settings import HashCost

    return hasher(HashCost())


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(
    host: Annotated[str, typer.Option(help="Address to bind (loopback by default).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 8000,
    db: Annotated[str | None, _store_option()] = None,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="Scan the demo estate into a temporary store and serve it, with a one-time "
            "login printed here.",
        ),
    ] = False,
    allow_remote: Annotated[
        bool,
        typer.Option("--allow-remote", help="Allow binding to an address other than loopback."),
    ] = False,
    secure_cookies: Annotated[
        bool, typer.Option(help="Mark cookies Secure (when served over HTTPS by a proxy).")
    ] = False,
) -> None:
    """Serve the dashboard and the JSON API (/api/v1) over the store."""
    _web()
    err = Console(stderr=True)
    if not is_loopback(host):
        if not allow_remote:
            fail(f"{host} is not a loopback address: add --allow-remote to bind to it")
        err.print(
            f"[bold yellow]warning:[/] serving on {plain(host)}: anyone who can reach this "
            "address can try to log in. Put a TLS proxy in front and use --secure-cookies.",
            highlight=False,
        )
    if demo and db is not None:
        fail("--demo uses its own temporary store: leave out --store")
    if demo:
        # uvicorn re-raises SIGTERM after its graceful shutdown: make that an exit that still
        # runs the clean-up below, so the demo store never outlives the server.
        signal.signal(signal.SIGTERM, _exit_on_signal)
        with tempfile.TemporaryDirectory(prefix="andon-demo-") as tmp:
            url = f"sqlite:///{Path(tmp) / 'andon.db'}"
            _run_demo_scan(url, Path(tmp))
            _serve(url, host, port, secure_cookies, demo=True)
        return
    _serve(db, host, port, secure_cookies, demo=False)


def _exit_on_signal(signum: int, frame: Any) -> None:
    raise SystemExit(0)


def _run_demo_scan(url: str, tmp: Path) -> None:
    from andon.cli.demo import run_demo

    code = run_demo(db=url, fmt=Format.json, output=tmp / "demo.json", seed=42, classify=False)
    if code != 0:
        fail("the demo scan did not go as built; see above", code)


def _serve(db: str | None, host: str, port: int, secure: bool, *, demo: bool) -> None:
    import uvicorn

    from andon.web import WebSettings, create_app
    from andon.web.auth import add_user
    from andon.web.refs import update

    err = Console(stderr=True)
    with open_store(db) as store:
        try:
            indexed = update(store)
        except AndonError as exc:
            fail(f"cannot read the store: {exc}")
        if indexed:
            err.print(f"Indexed {indexed:,} findings for the dashboard's filters.")
        settings = WebSettings(
            secure_cookies=secure,
            banner="Demo: an emulated cloud with synthetic data; this store is deleted when "
            "the server stops."
            if demo
            else "",
        )
        if demo:
            password = secrets.token_urlsafe(12)
            try:
                add_user(store, "demo", password, "operator", _hasher())
            except AndonError as exc:
                fail(str(exc))
        app = create_app(store, settings)
        shown = f"[{host}]" if ":" in host else host
        err.print(f"Andon dashboard on http://{plain(shown)}:{port}/ (store {plain(store.url)})")
        if demo:
            err.print(f"One-time login: user [bold]demo[/], password [bold]{password}[/]")
        uvicorn.run(
            app, host=host, port=port, log_level="warning", server_header=False, access_log=False
        )


# -- users -------------------------------------------------------------------------------

users = typer.Typer(help="Dashboard users (roles: viewer reads; operator may also act).")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    value: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return value


@users.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="User name.")],
    role: Annotated[str, typer.Option(help="viewer or operator.")] = "viewer",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
    db: Annotated[str | None, _store_option()] = None,
) -> None:
    """Add a user (the password is asked for, at least 12 characters)."""
    _web()
    from andon.web.auth import add_user

    password = _read_password(password_stdin)
    with open_store(db) as store:
        try:
            user = add_user(store, name, password, role, _hasher())
        except AndonError as exc:
            fail(str(exc))
    Console(stderr=True).print(f"added {plain(user.name)} ({user.role.value})", highlight=False)


@users.command("list")
def users_list(
    db: Annotated[str | None, _store_option()] = None, fmt: FORMAT_OPTION = Format.table
) -> None:
    """List the users."""
    _web()
    from andon.web.auth import list_users

    with open_store(db) as store:
        found = list_users(store)
    if fmt is Format.json:
        rows = [
            {"name": u.name, "role": u.role.value, "created_at": u.created_at.isoformat()}
            for u in found
        ]
        emit(json_dumps(rows) + "\n", None)
        return
    table = Table(title="Users")
    for col in ("Name", "Role", "Created (UTC)"):
        table.add_column(col)
    for u in found:
        table.add_row(plain(u.name), u.role.value, u.created_at.strftime("%Y-%m-%d %H:%M"))
    Console().print(table if found else "No users yet: andon users add NAME --role operator")


@users.command("remove")
def users_remove(
    name: Annotated[str, typer.Argument(help="User name.")],
    db: Annotated[str | None, _store_option()] = None,
) -> None:
    """Remove a user and end their sessions."""
    _web()
    from andon.web.auth import remove_user

    with open_store(db) as store:
        try:
            remove_user(store, name)
        except AndonError as exc:
            fail(str(exc))
    Console(stderr=True).print(f"removed {plain(name)}", highlight=False)


# -- tokens ------------------------------------------------------------------------------

tokens = typer.Typer(help="API tokens (sent as Authorization: Bearer <token>).")


@tokens.command("create")
def tokens_create(
    name: Annotated[str, typer.Argument(help="What the token is for, e.g. siem-export.")],
    role: Annotated[str, typer.Option(help="viewer or operator.")] = "viewer",
    expires_days: Annotated[
        int | None, typer.Option(min=1, max=3650, help="Expire after this many days.")
    ] = None,
    db: Annotated[str | None, _store_option()] = None,
) -> None:
    """Create a token and print it once (only its hash is stored)."""
    _web()
    from andon.web.auth import create_token

    with open_store(db) as store:
        expires = None if expires_days is None else store.now() + timedelta(days=expires_days)
        try:
            info, token = create_token(
                store, name, role, _hasher(), created_by="cli", expires_at=expires
            )
        except AndonError as exc:
            fail(str(exc))
    Console(stderr=True).print(
        f"token {info.id} ({info.role.value}); shown once, store it now:", highlight=False
    )
    typer.echo(token)


@tokens.command("list")
def tokens_list(
    db: Annotated[str | None, _store_option()] = None, fmt: FORMAT_OPTION = Format.table
) -> None:
    """List tokens (never their secrets)."""
    _web()
    from andon.web.auth import list_tokens

    with open_store(db) as store:
        found = list_tokens(store)

    def when(value: Any) -> str | None:
        return None if value is None else str(value.isoformat())

    if fmt is Format.json:
        rows = [
            {
                "id": t.id,
                "name": t.name,
                "role": t.role.value,
                "created_by": t.created_by,
                "created_at": when(t.created_at),
                "expires_at": when(t.expires_at),
                "revoked_at": when(t.revoked_at),
            }
            for t in found
        ]
        emit(json_dumps(rows) + "\n", None)
        return
    table = Table(title="API tokens")
    for col in ("Id", "Name", "Role", "Created", "Expires", "Revoked"):
        table.add_column(col)
    for t in found:
        table.add_row(
            t.id,
            plain(t.name),
            t.role.value,
            t.created_at.strftime("%Y-%m-%d"),
            t.expires_at.strftime("%Y-%m-%d") if t.expires_at else "never",
            t.revoked_at.strftime("%Y-%m-%d %H:%M") if t.revoked_at else "",
        )
    Console().print(table if found else "No tokens yet: andon tokens create NAME")


@tokens.command("revoke")
def tokens_revoke(
    token_id: Annotated[str, typer.Argument(help="The token's id (andon tokens list).")],
    db: Annotated[str | None, _store_option()] = None,
) -> None:
    """Revoke a token now."""
    _web()
    from andon.web.auth import revoke_token

    with open_store(db) as store:
        try:
            revoke_token(store, token_id)
        except AndonError as exc:
            fail(str(exc))
    Console(stderr=True).print(f"revoked {plain(token_id)}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``serve``, ``users`` and ``tokens`` to the ``andon`` command."""
    app.command("serve")(serve)
    app.add_typer(users, name="users")
    app.add_typer(tokens, name="tokens")
