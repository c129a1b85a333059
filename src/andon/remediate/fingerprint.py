"""Fingerprints of configurations and the integrity MAC of plan files.

A plan entry records the fingerprint of the configuration it was computed on: the SHA-256 of
its canonical JSON (sorted keys, no whitespace, policy documents normalized so that the same
policy written differently has the same fingerprint). Applying refuses an entry whose resource's
current fingerprint differs.

A plan file carries an HMAC-SHA256 over its canonical JSON, keyed with a per-install secret
(``<user config dir>/andon/plans.key``, 32 random bytes, mode 0600, created on first use the
same way as the subject key of :mod:`andon.classify.keys`). A plan edited by hand, or made on
another installation, is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from andon.classify.keys import default_key_path, load_or_create_key

PLAN_KEY_NAME = "plans.key"


def default_plan_key_path() -> Path:
    """Where the plan key lives unless configured otherwise (next to the subject key)."""
    return default_key_path().with_name(PLAN_KEY_NAME)


def load_plan_key(path: Path | None = None) -> bytes:
    """The plan-signing key at ``path`` (default :func:`default_plan_key_path`), created if
    absent; :class:`~andon.core.errors.ConfigError` when it is unreadable or unsafe."""
    return load_or_create_key(path or default_plan_key_path())


def _normalize(value: Any) -> Any:
    """Policies stored as JSON text are compared as documents, not as strings."""
    if isinstance(value, Mapping):
        return {str(k): _normalize(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normalize(v) for v in value]
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return {"__json__": _normalize(json.loads(value))}
        except ValueError:
            return value
    return value


def canonical(value: Any) -> bytes:
    """The canonical JSON bytes of ``value`` (sorted keys, compact separators)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def fingerprint(config: Mapping[str, Any] | None) -> str:
    """``sha256:<hex>`` of a configuration (``None``: the resource does not exist)."""
    if config is None:
        return "sha256:absent"
    return "sha256:" + hashlib.sha256(canonical(_normalize(config))).hexdigest()


def sign(document: Mapping[str, Any], key: bytes) -> str:
    """The MAC of a plan document (its ``mac`` field left out)."""
    body = {k: v for k, v in document.items() if k != "mac"}
    return "hmac-sha256:" + hmac.new(key, canonical(body), hashlib.sha256).hexdigest()


def verify(document: Mapping[str, Any], key: bytes) -> bool:
    """True when the document's ``mac`` is the MAC of its content under ``key``."""
    mac = document.get("mac")
    return isinstance(mac, str) and hmac.compare_digest(mac, sign(document, key))
