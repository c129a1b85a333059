"""The ``[alerts]`` section of the config file, read strictly.

::

    [alerts]
    owner_tag = "owner"              # the resource tag whose value picks the route
    default = ["ops"]                # channels for resources without a routed owner (default: all)
    kinds = ["opened", "reopened", "severity_raised", "resolved"]
    min_severity = "medium"          # transitions below this severity do not alert
    reminder_after = "24h"           # remind about findings still open after this ("off": never)
    reminder_every = "24h"           # and again at most this often (default: reminder_after)
    retry_limit = 5                  # attempts per delivery before it is recorded failed
    retry_backoff = "30s"            # first retry delay; doubles per attempt, at most 1 hour
    lease = "5m"                     # how long a claim protects a delivery being sent
    max_age = "7d"                   # transitions older than this never alert

    [alerts.channels]                # name -> apprise URL (secrets stay out of every message)
    ops = "slack://T000/B000/XXXX"
    data = "json://hooks.example.org/andon"

    [alerts.routes]                  # owner tag value -> channel names
    "team-data" = ["data"]

Durations are strings (``500ms``, ``30s``, ``5m``, ``24h``, ``7d``) or numbers of seconds.
Every error is a :class:`~andon.core.errors.ConfigError` that names the key; channel URLs in
messages are masked (:func:`mask_url`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import unquote, urlsplit

from andon.core.errors import ConfigError
from andon.core.model import Severity

STDOUT = "stdout"
"""The journal's channel name for an alert that no channel was routed to (it went to stdout)."""

TRANSITION_KINDS = ("opened", "reopened", "severity_raised", "severity_lowered", "resolved")
DEFAULT_KINDS = ("opened", "reopened", "severity_raised", "resolved")
_KEYS = {
    "channels",
    "default",
    "owner_tag",
    "routes",
    "kinds",
    "min_severity",
    "reminder_after",
    "reminder_every",
    "retry_limit",
    "retry_backoff",
    "lease",
    "max_age",
}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}


@dataclass(frozen=True)
class AlertConfig:
    """Where alerts go and when. ``channels`` maps a name to an apprise URL; it is left out of
    ``repr`` because URLs hold tokens: use :meth:`masked` to show one."""

    channels: Mapping[str, str] = field(default_factory=dict, repr=False)
    default_route: tuple[str, ...] = ()
    owner_tag: str = "owner"
    routes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    kinds: frozenset[str] = frozenset(DEFAULT_KINDS)
    min_severity: Severity = Severity.INFO
    reminder_after: timedelta | None = timedelta(hours=24)
    reminder_every: timedelta = timedelta(hours=24)
    retry_limit: int = 5
    retry_backoff: timedelta = timedelta(seconds=30)
    lease: timedelta = timedelta(minutes=5)
    max_age: timedelta = timedelta(days=7)

    def masked(self, name: str) -> str:
        """Channel ``name``'s URL with every secret-bearing part replaced by ``***``."""
        return mask_url(self.channels[name])

    def route(self, tags: Mapping[str, Any]) -> tuple[str, ...]:
        """The channels for a resource with these tags: the route of its owner tag's value,
        else the default route."""
        owner = tags.get(self.owner_tag)
        if isinstance(owner, str) and owner in self.routes:
            return self.routes[owner]
        return self.default_route

    def severity_alerts(self, severity: Severity) -> bool:
        return severity.rank >= self.min_severity.rank

    def secrets(self) -> list[str]:
        """Every fragment of every channel URL that may be a secret, longest first."""
        found: set[str] = set()
        for url in self.channels.values():
            found.update(url_secrets(url))
        return sorted(found, key=len, reverse=True)


def mask_url(url: str) -> str:
    """``scheme://[***@]host[:port][/***]``: the host only when it looks like a host name
    (for many apprise services the "host" is a token), nothing of the path or query."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "<unparseable URL>"
    host = parts.hostname or ""
    shown = host if _hostlike(host) else ("***" if host else "")
    out = f"{parts.scheme}://"
    if parts.username or parts.password:
        out += "***@"
    out += shown
    if port is not None and shown != "***":
        out += f":{port}"
    if parts.path.strip("/") or parts.query or parts.fragment:
        out += "/***"
    return out


def url_secrets(url: str) -> set[str]:
    """The parts of ``url`` that :func:`mask_url` hides (user, password, token-like host,
    path segments, query values, fragment), raw and percent-decoded."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return {url}
    raw: set[str] = {url, url.split("://", 1)[-1]}
    host = parts.hostname or ""
    if host and not _hostlike(host):
        raw.add(host)
    for piece in (parts.username, parts.password, parts.fragment):
        if piece:
            raw.add(piece)
    raw.update(seg for seg in parts.path.split("/") if seg)
    if parts.path.strip("/"):
        raw.add(parts.path.strip("/"))
    for pair in parts.query.split("&"):
        value = pair.partition("=")[2]
        if value:
            raw.add(value)
    out = set(raw) | {unquote(s) for s in raw}
    return {s for s in out if len(s) >= 3}


def mask_text(text: str, secrets: list[str]) -> str:
    """``text`` with each of ``secrets`` (longest first) replaced by ``***``."""
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, "***")
    return text


def _hostlike(host: str) -> bool:
    return host == "localhost" or ("." in host and re.fullmatch(r"[a-z0-9.\-]+", host) is not None)


def parse_duration(value: Any, where: str) -> timedelta:
    """A duration from ``"30s"``, ``"5m"``, ``"24h"``, ``"7d"``, ``"500ms"`` or seconds."""
    if isinstance(value, bool):
        raise ConfigError(f"{where}: {value!r} is not a duration")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and (m := _DURATION.match(value)):
        seconds = float(m.group(1)) * _UNITS[m.group(2)]
    else:
        raise ConfigError(f"{where}: {value!r} is not a duration (e.g. 30s, 5m, 24h, 7d)")
    if seconds <= 0 or seconds != seconds or seconds > 10 * 365 * 86400:
        raise ConfigError(f"{where}: {value!r} must be positive and under ten years")
    return timedelta(seconds=seconds)


def _names(value: Any, where: str, channels: Mapping[str, str]) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise ConfigError(f"{where} must be a channel name or a list of channel names")
    for name in items:
        if name not in channels:
            known = ", ".join(sorted(channels)) or "none"
            raise ConfigError(f"{where}: no channel {name!r} in [alerts.channels] ({known})")
    return tuple(dict.fromkeys(items))


def _channels(raw: Any) -> dict[str, str]:
    import apprise

    if not isinstance(raw, Mapping):
        raise ConfigError("[alerts.channels] must be a table of name = apprise URL")
    out: dict[str, str] = {}
    for name, url in raw.items():
        where = f"[alerts.channels] {name!r}"
        if not isinstance(name, str) or not _NAME.match(name) or name == STDOUT:
            raise ConfigError(
                f"{where}: a channel name is letters, digits, '-', '_' or '.' (not {STDOUT!r})"
            )
        if not isinstance(url, str) or "://" not in url:
            raise ConfigError(f"{where}: must be an apprise URL such as json://host/path")
        if apprise.Apprise.instantiate(url) is None:
            raise ConfigError(
                f"{where}: {mask_url(url)} is not a URL apprise can send to "
                "(unknown scheme or missing parts; see https://github.com/caronc/apprise/wiki)"
            )
        out[name] = url
    return out


def load_alert_config(doc: Mapping[str, Any]) -> AlertConfig:
    """The :class:`AlertConfig` of the ``[alerts]`` table of a parsed config file (strict)."""
    if not isinstance(doc, Mapping):
        raise ConfigError("[alerts] must be a table")
    unknown = sorted(set(doc) - _KEYS)
    if unknown:
        raise ConfigError(
            f"[alerts]: unknown key(s) {', '.join(map(repr, unknown))}; "
            f"known: {', '.join(sorted(_KEYS))}"
        )
    channels = _channels(doc.get("channels", {}))
    default = (
        _names(doc["default"], "[alerts] default", channels)
        if "default" in doc
        else tuple(channels)
    )
    owner_tag = doc.get("owner_tag", "owner")
    if not isinstance(owner_tag, str) or not owner_tag.strip():
        raise ConfigError("[alerts] owner_tag must be a non-empty tag key")
    routes_raw = doc.get("routes", {})
    if not isinstance(routes_raw, Mapping):
        raise ConfigError("[alerts.routes] must be a table of owner value = channel names")
    routes = {str(k): _names(v, f"[alerts.routes] {k!r}", channels) for k, v in routes_raw.items()}
    kinds_raw = doc.get("kinds", list(DEFAULT_KINDS))
    if not isinstance(kinds_raw, list) or not all(isinstance(k, str) for k in kinds_raw):
        raise ConfigError("[alerts] kinds must be a list of transition kinds")
    for k in kinds_raw:
        if k not in TRANSITION_KINDS:
            hint = " (findings still open are covered by reminders)" if k == "still_open" else ""
            raise ConfigError(
                f"[alerts] kinds: {k!r} is not one of {', '.join(TRANSITION_KINDS)}{hint}"
            )
    try:
        min_severity = Severity(str(doc.get("min_severity", "info")).lower())
    except ValueError as exc:
        raise ConfigError(
            f"[alerts] min_severity: {doc.get('min_severity')!r} is not one of "
            f"{', '.join(s.value for s in Severity)}"
        ) from exc
    after_raw = doc.get("reminder_after", "24h")
    reminder_after = (
        None
        if after_raw in ("off", False)
        else parse_duration(after_raw, "[alerts] reminder_after")
    )
    every = doc.get("reminder_every")
    reminder_every = (
        parse_duration(every, "[alerts] reminder_every")
        if every is not None
        else (reminder_after or timedelta(hours=24))
    )
    retry_limit = doc.get("retry_limit", 5)
    if isinstance(retry_limit, bool) or not isinstance(retry_limit, int) or retry_limit < 1:
        raise ConfigError("[alerts] retry_limit must be a whole number of attempts, at least 1")
    return AlertConfig(
        channels=channels,
        default_route=default,
        owner_tag=owner_tag,
        routes=routes,
        kinds=frozenset(kinds_raw),
        min_severity=min_severity,
        reminder_after=reminder_after,
        reminder_every=reminder_every,
        retry_limit=retry_limit,
        retry_backoff=parse_duration(doc.get("retry_backoff", "30s"), "[alerts] retry_backoff"),
        lease=parse_duration(doc.get("lease", "5m"), "[alerts] lease"),
        max_age=parse_duration(doc.get("max_age", "7d"), "[alerts] max_age"),
    )


def load_alert_config_file(path: str) -> AlertConfig:
    """The ``[alerts]`` section of a TOML config file (an empty config if there is none)."""
    import tomllib
    from pathlib import Path

    p = Path(path)
    try:
        doc = tomllib.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read the config file {p}: {exc.strerror or exc}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p} is not valid TOML: {exc}") from exc
    try:
        return load_alert_config(doc.get("alerts", {}))
    except ConfigError as exc:
        raise ConfigError(f"{p}: {exc}") from exc
