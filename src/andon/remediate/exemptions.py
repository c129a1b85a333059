"""Exemptions: resources that are public on purpose (a static website, an open dataset).

Three sources, one type (:class:`Exemption`):

* ``tag`` - the resource carries ``andon:public=<reason>`` and optionally ``andon:owner`` and
  ``andon:expires`` (an ISO date or datetime); the keys are configurable
  (:class:`ExemptionTags`, derived from the reason tag's prefix by default);
* ``config`` - ``[[exemptions]]`` tables of the config TOML: ``resource`` (an ARN, or an
  fnmatch pattern such as ``arn:aws:s3:::public-site-*``), optional ``rule``, ``reason``,
  ``owner``, optional ``expires``; parsed strictly (:func:`parse_config_exemptions`);
* ``store`` - recorded with :func:`add_exemption` (``andon exempt``, the web), revocable.

An exemption always has a reason; an expired or revoked one exempts nothing, so the finding is
open again at the next scan. Exempt findings are still reported (status ``exempt``) and are
never remediated. Rules that are not ``exemptible`` (public write, ACL takeover) ignore every
exemption. :class:`Exempter` answers "is this (resource, rule) exempt, and why" for the scan
pipeline (:func:`andon.scan.run_scan`) and for planning.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from andon.core.errors import ConfigError, NotFound
from andon.core.model import Resource
from andon.store import Store
from andon.store.schema_remediate import ExemptionRow

SOURCES = ("store", "tag", "config")
DEFAULT_REASON_TAG = "andon:public"
_MAX_TEXT = 1000


@dataclass(frozen=True)
class Exemption:
    """One exemption. ``rule_id`` ``None`` exempts every exemptible rule on the resource;
    ``resource_uid`` is an exact uid for the store and tags, and may be an fnmatch pattern in
    the config file. ``expires_at`` ``None`` never expires."""

    id: int | None
    resource_uid: str
    rule_id: str | None
    reason: str
    owner: str
    expires_at: datetime | None
    created_by: str
    created_at: datetime | None
    revoked_at: datetime | None
    source: str  # "store" | "tag" | "config"

    def active(self, at: datetime) -> bool:
        """Not revoked and not expired at ``at``."""
        if self.revoked_at is not None and self.revoked_at <= at:
            return False
        return self.expires_at is None or at < self.expires_at

    def covers(self, resource_uid: str, rule_id: str) -> bool:
        """Does it name this resource (exactly, or by pattern for the config) and rule?"""
        if self.rule_id is not None and self.rule_id != rule_id:
            return False
        if self.source == "config" and any(c in self.resource_uid for c in "*?["):
            return fnmatchcase(resource_uid, self.resource_uid)
        return self.resource_uid == resource_uid

    def describe(self) -> str:
        """The text a finding carries as its exemption: reason, owner, expiry, source."""
        parts = [f"owner {self.owner}"] if self.owner else []
        if self.expires_at is not None:
            parts.append(f"until {self.expires_at.isoformat()}")
        if self.source == "store":
            parts.append(f"exemption #{self.id}")
        elif self.source == "config":
            parts.append("config file")
        return f"{self.reason} ({'; '.join(parts)})" if parts else self.reason

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "resource_uid": self.resource_uid,
            "rule_id": self.rule_id,
            "reason": self.reason,
            "owner": self.owner,
            "expires_at": _iso(self.expires_at),
            "created_by": self.created_by,
            "created_at": _iso(self.created_at),
            "revoked_at": _iso(self.revoked_at),
            "source": self.source,
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def parse_expiry(value: Any, where: str) -> datetime:
    """An ISO date (valid through that day, UTC) or an ISO datetime (naive means UTC)."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime.combine(value + timedelta(days=1), time(), tzinfo=UTC)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: expires must be an ISO date such as 2026-12-31")
    text = value.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return parse_expiry(date.fromisoformat(text), where)
        return parse_expiry(datetime.fromisoformat(text.replace("Z", "+00:00")), where)
    except ValueError:
        raise ConfigError(
            f"{where}: expires {text!r} is not an ISO date such as 2026-12-31"
        ) from None


def _clean(value: str, what: str, *, required: bool = True) -> str:
    text = value.strip()
    if required and not text:
        raise ConfigError(f"an exemption needs a {what}")
    if len(text) > _MAX_TEXT:
        raise ConfigError(f"the exemption's {what} is longer than {_MAX_TEXT} characters")
    return text


# -- the store ---------------------------------------------------------------------------


def _from_row(row: ExemptionRow) -> Exemption:
    return Exemption(
        id=row.id,
        resource_uid=row.resource_uid,
        rule_id=row.rule_id,
        reason=row.reason,
        owner=row.owner,
        expires_at=row.expires_at,
        created_by=row.created_by,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
        source="store",
    )


def add_exemption(
    store: Store,
    resource_uid: str,
    *,
    reason: str,
    owner: str,
    expires_at: datetime | None,
    created_by: str,
    rule_id: str | None = None,
) -> Exemption:
    """Record an exemption. A reason and an owner are required (:class:`ConfigError`); an
    expiry in the past is refused, and a naive datetime too."""
    uid = _clean(resource_uid, "resource uid")
    reason = _clean(reason, "reason")
    owner = _clean(owner, "owner")
    by = _clean(created_by, "creator")
    rule = _clean(rule_id, "rule id") if rule_id is not None else None
    now = store.now()
    if expires_at is not None:
        if expires_at.tzinfo is None:
            raise ConfigError("the expiry must carry a time zone (UTC)")
        if expires_at <= now:
            raise ConfigError(f"the expiry {expires_at.isoformat()} is already past")
    row = ExemptionRow(
        resource_uid=uid,
        rule_id=rule,
        reason=reason,
        owner=owner,
        expires_at=expires_at,
        created_by=by,
        created_at=now,
        revoked_at=None,
        revoked_by=None,
    )
    with store.transaction("add exemption") as s:
        s.add(row)
        s.flush()
        return _from_row(row)


def revoke_exemption(store: Store, exemption_id: int, *, by: str) -> Exemption:
    """Revoke a recorded exemption (kept as history); :class:`NotFound` if there is none.
    Revoking twice keeps the first revocation."""
    with store.transaction("revoke exemption") as s:
        row = s.get(ExemptionRow, exemption_id)
        if row is None:
            raise NotFound(f"no exemption #{exemption_id}")
        if row.revoked_at is None:
            row.revoked_at = store.now()
            row.revoked_by = _clean(by, "revoker")
        s.flush()
        return _from_row(row)


def list_exemptions(
    store: Store, *, resource_uid: str | None = None, active_at: datetime | None = None
) -> list[Exemption]:
    """Recorded exemptions, oldest first; only those active at ``active_at`` when given."""
    query = sa.select(ExemptionRow).order_by(ExemptionRow.id)
    if resource_uid is not None:
        query = query.where(ExemptionRow.resource_uid == resource_uid)
    with store.transaction("list exemptions") as s:
        found = [_from_row(r) for r in s.scalars(query)]
    if active_at is not None:
        found = [e for e in found if e.active(active_at)]
    return found


# -- tags --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExemptionTags:
    """The tag keys: the reason (the exemption itself), its owner, its expiry."""

    reason: str = DEFAULT_REASON_TAG
    owner: str = "andon:owner"
    expires: str = "andon:expires"

    @classmethod
    def for_reason_tag(cls, reason: str) -> ExemptionTags:
        """``x:public`` → owner ``x:owner`` and expiry ``x:expires``; a key without a prefix
        gets ``<key>-owner`` and ``<key>-expires``."""
        if ":" in reason:
            prefix = reason.rsplit(":", 1)[0]
            return cls(reason, f"{prefix}:owner", f"{prefix}:expires")
        return cls(reason, f"{reason}-owner", f"{reason}-expires")


def tag_exemption(resource: Resource, tags: ExemptionTags) -> Exemption | None:
    """The exemption a resource's tags declare, or None. A tag with an empty reason declares
    nothing; an unreadable expiry counts as already expired (an exemption must be checkable)."""
    reason = str(resource.tags.get(tags.reason, "")).strip()
    if not reason:
        return None
    expires: datetime | None = None
    raw = str(resource.tags.get(tags.expires, "")).strip()
    if raw:
        try:
            expires = parse_expiry(raw, f"tag {tags.expires}")
        except ConfigError:
            expires = datetime.min.replace(tzinfo=UTC)
            reason = f"{reason} [unreadable expiry {raw!r}: treated as expired]"
    return Exemption(
        id=None,
        resource_uid=resource.uid,
        rule_id=None,
        reason=reason,
        owner=str(resource.tags.get(tags.owner, "")).strip(),
        expires_at=expires,
        created_by=f"tag {tags.reason}",
        created_at=None,
        revoked_at=None,
        source="tag",
    )


# -- the config file ---------------------------------------------------------------------

_CONFIG_KEYS = {"resource", "rule", "reason", "owner", "expires"}


def parse_config_exemptions(doc: Mapping[str, Any]) -> list[Exemption]:
    """The ``[[exemptions]]`` of a parsed config TOML, strictly: unknown keys, a missing
    resource, reason or owner, or an unreadable expiry are :class:`ConfigError`."""
    raw = doc.get("exemptions", [])
    if not isinstance(raw, list):
        raise ConfigError("exemptions must be an array of tables ([[exemptions]])")
    out: list[Exemption] = []
    for i, item in enumerate(raw, 1):
        where = f"[[exemptions]] #{i}"
        if not isinstance(item, Mapping):
            raise ConfigError(f"{where} is not a table")
        unknown = sorted(set(item) - _CONFIG_KEYS)
        if unknown:
            raise ConfigError(
                f"{where}: unknown key(s) {', '.join(unknown)} "
                f"(known: {', '.join(sorted(_CONFIG_KEYS))})"
            )
        values: dict[str, str] = {}
        for key in ("resource", "reason", "owner", "rule"):
            value = item.get(key)
            if value is None:
                if key != "rule":
                    raise ConfigError(f"{where}: {key} is required")
                continue
            if not isinstance(value, str) or not value.strip():
                raise ConfigError(f"{where}: {key} must be non-empty text")
            values[key] = _clean(value, key)
        expires = item.get("expires")
        out.append(
            Exemption(
                id=None,
                resource_uid=values["resource"],
                rule_id=values.get("rule"),
                reason=values["reason"],
                owner=values["owner"],
                expires_at=None if expires is None else parse_expiry(expires, where),
                created_by="config",
                created_at=None,
                revoked_at=None,
                source="config",
            )
        )
    return out


def load_config_exemptions(path: Path) -> list[Exemption]:
    """The ``[[exemptions]]`` of a config TOML file (:class:`ConfigError` names the file)."""
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read the config file {path}: {exc.strerror or exc}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    try:
        return parse_config_exemptions(doc)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from exc


# -- deciding ----------------------------------------------------------------------------


class Exempter:
    """Which exemption covers a (resource, rule) at one moment: store, config, then tags.

    Build one per scan or plan: the store's exemptions are read once, at construction.
    Calling it returns the covering active :class:`Exemption`, or None.
    """

    def __init__(
        self,
        *,
        at: datetime,
        tags: ExemptionTags | None = None,
        recorded: Iterable[Exemption] = (),
        config: Iterable[Exemption] = (),
    ) -> None:
        self.at = at
        self.tags = tags or ExemptionTags()
        self._listed = [e for e in (*recorded, *config) if e.active(at)]

    @classmethod
    def from_store(
        cls,
        store: Store | None,
        *,
        reason_tag: str = DEFAULT_REASON_TAG,
        config: Iterable[Exemption] = (),
        at: datetime | None = None,
    ) -> Exempter:
        when = at or (store.now() if store is not None else datetime.now(UTC))
        recorded = list_exemptions(store, active_at=when) if store is not None else []
        return cls(
            at=when,
            tags=ExemptionTags.for_reason_tag(reason_tag),
            recorded=recorded,
            config=config,
        )

    def listed(self, resource_uid: str, rule_id: str) -> Exemption | None:
        """The recorded or configured exemption covering this resource and rule (no tags)."""
        for exemption in self._listed:
            if exemption.covers(resource_uid, rule_id):
                return exemption
        return None

    def __call__(self, resource: Resource, rule_id: str) -> Exemption | None:
        found = self.listed(resource.uid, rule_id)
        if found is not None:
            return found
        tagged = tag_exemption(resource, self.tags)
        if tagged is not None and tagged.active(self.at):
            return tagged
        return None

    def reason(self, resource: Resource, rule_id: str) -> str:
        """The exemption text for a finding, or "" (the hook of :func:`andon.rules.evaluate`)."""
        found = self(resource, rule_id)
        return found.describe() if found is not None else ""
