"""The ``[watch]`` section of the config file (the one ``andon scan --config`` reads).

Strict: an unknown key, a wrong type or an out-of-range value is a :class:`ConfigError` that
names the key. Durations are seconds (a number) or a string with a unit: ``"250ms"``,
``"30s"``, ``"15m"``, ``"1h"``.

Example::

    [watch]
    queue_url = "https://sqs.eu-west-1.amazonaws.com/111122223333/andon-watch"
    sweep_interval = "15m"     # reconciliation: a full scan this often (0: never)
    coalesce_window = "250ms"  # events of one resource within this window: one re-collection
    metrics_port = 9464        # Prometheus /metrics on metrics_host (0: a free port)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any
from urllib.parse import urlsplit

from andon.core.errors import ConfigError

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}
_SQS_HOST = re.compile(r"^sqs[.-]([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$")


@dataclass(frozen=True)
class WatchConfig:
    """How ``andon watch`` runs. Every time is in seconds."""

    queue_url: str = ""
    """The SQS queue the EventBridge rule feeds (``andon watch setup`` creates it)."""
    queue_region: str = ""
    """The queue's region; default: read from an AWS queue URL, else the scan's home region."""
    queue_endpoint_url: str = ""
    """Endpoint for SQS only (VPC endpoint, emulator); default: the scan's endpoint."""
    sweep_interval: float = 900.0
    """A full reconciliation scan this often; 0 switches sweeps off."""
    coalesce_window: float = 0.25
    """After the first event of a batch, wait this long for more before re-collecting."""
    wait_time: int = 20
    """SQS long poll: seconds one ReceiveMessage waits for a message (0 to 20)."""
    visibility_timeout: int = 60
    """Seconds a received message stays hidden; extended while its batch is being worked on."""
    max_batch: int = 100
    """Messages gathered into one batch at most."""
    parallel_rescans: int = 8
    """A batch's resources are re-collected in up to this many targeted scans at once."""
    backoff_initial: float = 1.0
    """First wait after a failed queue or store call; doubles on each failure in a row."""
    backoff_max: float = 60.0
    """The longest wait between retries."""
    lease_seconds: float = 120.0
    """How long a consumer holds a resource it re-collects (another consumer waits)."""
    event_retention: float = 14 * 86400.0
    """Processed event ids are kept this long for deduplication."""
    heartbeat_interval: float = 15.0
    """How often the consumer row in the store is refreshed."""
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = 9464
    """Port of ``/metrics``; 0 picks a free port; absent (``metrics = false``): no server."""
    sweep_on_start: bool = True
    """Sweep at start when no sweep ran within the interval (the schedule is in the store)."""

    def region_of_queue(self, default: str) -> str:
        """The queue's region: ``queue_region``, else the host of an AWS queue URL."""
        if self.queue_region:
            return self.queue_region
        host = urlsplit(self.queue_url).hostname or ""
        match = _SQS_HOST.match(host)
        return match.group(1) if match else default

    def with_overrides(self, **values: Any) -> WatchConfig:
        """This configuration with command-line values (``None`` keeps the file's value)."""
        chosen = {k: v for k, v in values.items() if v is not None}
        return _validated(replace(self, **chosen))


_KEYS = {f.name for f in fields(WatchConfig)} | {"metrics"}
_DURATIONS = {
    "sweep_interval",
    "coalesce_window",
    "backoff_initial",
    "backoff_max",
    "lease_seconds",
    "event_retention",
    "heartbeat_interval",
}


def duration(value: Any, key: str) -> float:
    """Seconds from a number or a string such as ``"15m"``; ConfigError names ``key``."""
    if isinstance(value, bool):
        raise ConfigError(f"[watch] {key} must be a duration (seconds, or e.g. '15m')")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and (m := _DURATION.match(value)):
        seconds = float(m.group(1)) * _UNITS[m.group(2)]
    else:
        raise ConfigError(
            f"[watch] {key} must be a duration: seconds, or a number with ms, s, m or h "
            f"(got {value!r})"
        )
    if seconds < 0 or seconds != seconds or seconds == float("inf"):
        raise ConfigError(f"[watch] {key} must be zero or more seconds (got {value!r})")
    return seconds


def load_watch_config(doc: Mapping[str, Any]) -> WatchConfig:
    """The :class:`WatchConfig` of a parsed config file (its ``[watch]`` table, if any)."""
    raw = doc.get("watch", {})
    if not isinstance(raw, Mapping):
        raise ConfigError("watch must be a table ([watch])")
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise ConfigError(
            f"unknown key(s) {', '.join(unknown)} in [watch] (allowed: {', '.join(sorted(_KEYS))})"
        )
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "metrics":
            if not isinstance(value, bool):
                raise ConfigError("[watch] metrics must be true or false")
            if not value:
                values["metrics_port"] = None
        elif key in _DURATIONS:
            values[key] = duration(value, key)
        elif key in (
            "wait_time",
            "visibility_timeout",
            "max_batch",
            "metrics_port",
            "parallel_rescans",
        ):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ConfigError(f"[watch] {key} must be a whole number")
            values[key] = value
        elif key == "sweep_on_start":
            if not isinstance(value, bool):
                raise ConfigError("[watch] sweep_on_start must be true or false")
            values[key] = value
        else:
            if not isinstance(value, str) or not value.strip():
                raise ConfigError(f"[watch] {key} must be a non-empty string")
            values[key] = value.strip()
    if raw.get("metrics") is False and "metrics_port" in raw:
        raise ConfigError("[watch] metrics = false and metrics_port contradict each other")
    return _validated(WatchConfig(**values))


def _validated(config: WatchConfig) -> WatchConfig:
    if config.queue_url:
        parts = urlsplit(config.queue_url)
        if parts.scheme not in ("https", "http") or not parts.netloc or parts.path in ("", "/"):
            raise ConfigError(
                f"[watch] queue_url {config.queue_url!r} is not an SQS queue URL "
                "(https://sqs.<region>.amazonaws.com/<account>/<name>)"
            )
    if config.queue_endpoint_url:
        parts = urlsplit(config.queue_endpoint_url)
        if parts.scheme not in ("https", "http") or not parts.netloc:
            raise ConfigError(f"[watch] queue_endpoint_url {config.queue_endpoint_url!r} is no URL")
    if not 0 <= config.wait_time <= 20:
        raise ConfigError("[watch] wait_time must be between 0 and 20 seconds (SQS long poll)")
    if not 1 <= config.visibility_timeout <= 43200:
        raise ConfigError("[watch] visibility_timeout must be between 1 and 43200 seconds")
    if not 1 <= config.parallel_rescans <= 64:
        raise ConfigError("[watch] parallel_rescans must be between 1 and 64")
    if not 1 <= config.max_batch <= 10_000:
        raise ConfigError("[watch] max_batch must be between 1 and 10000 messages")
    if config.metrics_port is not None and not 0 <= config.metrics_port <= 65535:
        raise ConfigError("[watch] metrics_port must be a TCP port (0 to 65535)")
    if config.coalesce_window > 60:
        raise ConfigError("[watch] coalesce_window must be at most 60 seconds")
    if 0 < config.sweep_interval < 1:
        raise ConfigError("[watch] sweep_interval must be at least 1 second (or 0: no sweeps)")
    if config.backoff_initial <= 0 or config.backoff_max < config.backoff_initial:
        raise ConfigError("[watch] backoff_initial must be > 0 and at most backoff_max")
    if config.lease_seconds < 1 or config.heartbeat_interval <= 0:
        raise ConfigError("[watch] lease_seconds must be >= 1 s and heartbeat_interval > 0")
    return config
