"""Sending one message to one channel through apprise.

:class:`apprise.Apprise` objects per channel, cached by the :class:`Sender` that a dispatcher
owns (no module-level instance). :meth:`Sender.send` may be called from several threads at once:
each call checks an instance out of the channel's pool (one is built when none is free) and
returns it after, so no instance is used by two threads at once. :meth:`Sender.paced` tells
whether the channel's plugin spaces its requests (Slack, and most chat services): those are
sent one at a time by the dispatcher, so that one instance keeps the plugin's pacing. The
reason a send failed comes from apprise's own log entries for that call, with every fragment
of every channel URL that may be a secret masked.

A send runs in the calling thread, bounded by the plugin's own network timeouts (apprise's
defaults: 4 s to connect, 4 s to read; the URL parameters ``cto`` and ``rto`` change them).
A ``timeout`` above zero bounds the whole call instead, at the cost of a worker thread per send.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from andon.alert.config import AlertConfig, mask_text
from andon.alert.message import render
from andon.report.safe import plain

ERROR_LIMIT = 500


class Sender:
    """Delivers rendered alerts to the channels of one :class:`AlertConfig`."""

    def __init__(self, config: AlertConfig, *, timeout: float = 0.0) -> None:
        self._config = config
        self._timeout = timeout
        self._secrets = config.secrets()
        self._apprise: dict[str, list[Any]] = {}
        self._lock = threading.Lock()

    def mask(self, text: str) -> str:
        """``text`` without any secret of any channel URL, made inert and cut short."""
        out = plain(mask_text(text, self._secrets))
        return out if len(out) <= ERROR_LIMIT else out[:ERROR_LIMIT] + "…"

    def _build(self, channel: str) -> Any:
        import apprise

        # One service per instance, sent in this thread (no async mode, no service timeout:
        # apprise would hand each send to a worker thread to time it).
        asset = apprise.AppriseAsset(async_mode=False, service_timeout=self._timeout)
        inst = apprise.Apprise(asset=asset)
        if not inst.add(self._config.channels[channel]):
            raise ValueError(f"apprise refused the URL of channel {channel}")
        return inst

    def _checkout(self, channel: str) -> Any:
        with self._lock:
            free = self._apprise.setdefault(channel, [])
            if free:
                return free.pop()
        return self._build(channel)

    def _checkin(self, channel: str, inst: Any) -> None:
        with self._lock:
            self._apprise.setdefault(channel, []).append(inst)

    def paced(self, channel: str) -> bool:
        """Whether the channel's apprise plugin waits between requests (``request_rate_per_sec``
        above zero): such a channel must be sent to one alert at a time."""
        url = self._config.channels.get(channel)
        if url is None:
            return False
        try:
            inst = self._checkout(channel)
        except Exception:  # an unusable URL: send() reports it
            return False
        try:
            return any(float(getattr(s, "request_rate_per_sec", 0) or 0) > 0 for s in inst)
        finally:
            self._checkin(channel, inst)

    def send(self, channel: str, payload: Mapping[str, Any]) -> str:
        """Send ``payload`` to ``channel``; return ``""`` on success, else why it failed."""
        import apprise

        url = self._config.channels.get(channel)
        if url is None:
            return f"no channel {channel!r} in the configuration"
        title, body, is_markdown = render(payload, urlsplit(url).scheme)
        try:
            inst = self._checkout(channel)
        except Exception as exc:
            return self.mask(f"{type(exc).__name__}: {exc}")
        try:
            result = inst.notify(
                body=body,
                title=title,
                body_format=apprise.NotifyFormat.MARKDOWN
                if is_markdown
                else apprise.NotifyFormat.TEXT,
            )
        except Exception as exc:  # apprise plugins raise what their libraries raise
            return self.mask(f"{type(exc).__name__}: {exc}")
        finally:
            self._checkin(channel, inst)
        if result:
            return ""
        reasons = [e.message for e in result.logs() if e.level in ("WARNING", "ERROR", "CRITICAL")]
        detail = "; ".join(dict.fromkeys(reasons)) or "apprise reported a failure without a reason"
        return self.mask(f"{self._config.masked(channel)}: {detail}")
