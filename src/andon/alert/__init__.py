"""Alerts: transitions become messages to the people who own the resource, exactly once.

* :mod:`andon.alert.config`: the ``[alerts]`` config section (channels as apprise URLs, routes
  by owner tag, kinds, minimum severity, reminders, retries).
* :mod:`andon.alert.dispatch`: :class:`AlertDispatcher` (outbox over the store's transitions,
  claims, retries, reminders, notices of automatic fixes), :func:`send_test`.
* :mod:`andon.alert.mutes`: mutes with a reason and an expiry, recorded in the store.
* :mod:`andon.alert.journal`: the delivery journal and :class:`AlertRecord`.
* :mod:`andon.alert.message`: the payload and its escaped rendering.

See ``docs/alerts.md``.
"""

from andon.alert.config import AlertConfig, load_alert_config, load_alert_config_file
from andon.alert.dispatch import AlertDispatcher, list_alerts, send_test
from andon.alert.journal import AlertRecord
from andon.alert.mutes import InvalidMute, Mute, active_mute, add_mute, lift_mute, list_mutes

__all__ = [
    "AlertConfig",
    "AlertDispatcher",
    "AlertRecord",
    "InvalidMute",
    "Mute",
    "active_mute",
    "add_mute",
    "lift_mute",
    "list_alerts",
    "list_mutes",
    "load_alert_config",
    "load_alert_config_file",
    "send_test",
]
