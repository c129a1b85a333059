"""CloudTrail events in, :class:`ChangeEvent` out: who changed which resources, and when.

:func:`parse_event` accepts what an SQS queue fed by an EventBridge rule holds: the EventBridge
envelope (``"detail-type": "AWS API Call via CloudTrail"``, the CloudTrail record in
``detail``), the bare CloudTrail record, or either wrapped in an SNS notification
(``"Type": "Notification"``, the event in ``Message``). It returns

* a :class:`ChangeEvent` for a call that may change exposure (:data:`EVENT_NAMES`), with the
  :class:`ResourceRef` of every resource it may have changed (see :mod:`andon.watch.event_map`)
  and the (account, service) pairs to re-sweep when the change is account-wide;
* a :class:`ChangeEvent` with no references and ``error_code`` set for such a call that
  failed (CloudTrail's ``errorCode``): it changed nothing, but it tells who tried;
* ``None`` for anything else that is well formed: another event name, a read-only call, a
  service event, an EventBridge event that is not an API call;
* :class:`MalformedEvent` for garbage: not JSON, not an object, a required field missing or of
  the wrong type, an identifier that is huge or holds control characters, a message over
  :data:`MAX_MESSAGE_BYTES`. It never raises anything else.

The account is ``recipientAccountId`` (the account whose resource was called), else
``userIdentity.accountId``, else the envelope's ``account``; the region is ``awsRegion``, else
the envelope's ``region``; an ARN in the event overrides both for its own resource.
Pure: no I/O.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from andon.watch.event_map import EVENT_NAMES, EVENT_SOURCES, mapper_for
from andon.watch.refs import Call, MalformedEvent, Mapped, ResourceRef, ident, normalize_name

__all__ = [
    "API_CALL",
    "EVENT_NAMES",
    "EVENT_SOURCES",
    "MAX_MESSAGE_BYTES",
    "ChangeEvent",
    "MalformedEvent",
    "ResourceRef",
    "event_pattern",
    "parse_event",
]

API_CALL = "AWS API Call via CloudTrail"
"""The EventBridge ``detail-type`` of a CloudTrail management event."""

MAX_MESSAGE_BYTES = 1024 * 1024
"""Largest message accepted (EventBridge events are at most 256 KB; SQS messages 1 MiB)."""

MAX_TEXT = 1024
"""Longest actor, user agent or error code kept (longer ones are cut, not rejected)."""

_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z0-9]+){1,4}$")


@dataclass(frozen=True)
class ChangeEvent:
    """One API call that may have changed exposure.

    ``refs`` are the resources it may have changed; ``account_wide`` the (account, service)
    pairs whose every resource it may have changed (re-sweep them). ``error_code`` is set when
    the call failed: then both are empty. ``actor`` is the caller's ARN (``userIdentity.arn``,
    else the service that acted, else the principal id), ``source_ip`` CloudTrail's
    ``sourceIPAddress`` (an IP address or a service name).
    """

    event_id: str
    event_name: str
    event_source: str
    event_time: datetime
    account: str
    region: str
    actor: str | None
    source_ip: str | None
    user_agent: str | None
    refs: tuple[ResourceRef, ...]
    account_wide: tuple[tuple[str, str], ...]
    error_code: str | None

    @property
    def changed(self) -> bool:
        """Whether the call succeeded (and so may have changed something)."""
        return self.error_code is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "event_name": self.event_name,
            "event_source": self.event_source,
            "event_time": self.event_time.isoformat(),
            "account": self.account,
            "region": self.region,
            "actor": self.actor,
            "source_ip": self.source_ip,
            "user_agent": self.user_agent,
            "refs": [r.to_dict() for r in self.refs],
            "account_wide": [list(pair) for pair in self.account_wide],
            "error_code": self.error_code,
        }


def parse_event(message: str | bytes | Mapping[str, Any]) -> ChangeEvent | None:
    """Read one queue message (see the module docstring for what comes back)."""
    try:
        return _parse(_load(message), depth=0)
    except MalformedEvent:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, RecursionError) as exc:
        raise MalformedEvent(f"unreadable event: {type(exc).__name__}: {exc}"[:300]) from exc


def event_pattern() -> dict[str, Any]:
    """The EventBridge event pattern that selects every event :func:`parse_event` maps."""
    return {
        "detail-type": [API_CALL],
        "detail": {
            "eventSource": sorted(EVENT_SOURCES),
            "eventName": sorted(EVENT_NAMES),
        },
    }


def _load(message: str | bytes | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(message, Mapping):
        return message
    if isinstance(message, bytes | bytearray):
        if len(message) > MAX_MESSAGE_BYTES:
            raise MalformedEvent(f"the message is {len(message)} bytes long")
        try:
            message = bytes(message).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedEvent("the message is not UTF-8 text") from exc
    if not isinstance(message, str):
        raise MalformedEvent(f"the message is a {type(message).__name__}, not text")
    if len(message) > MAX_MESSAGE_BYTES:
        raise MalformedEvent(f"the message is {len(message)} characters long")
    try:
        data = json.loads(message)
    except RecursionError as exc:
        raise MalformedEvent("the message nests too deeply") from exc
    except ValueError as exc:
        raise MalformedEvent(f"the message is not JSON: {exc}"[:200]) from exc
    if not isinstance(data, Mapping):
        raise MalformedEvent(f"the message is a JSON {type(data).__name__}, not an object")
    return data


def _parse(data: Mapping[str, Any], *, depth: int) -> ChangeEvent | None:
    if data.get("Type") == "Notification" and "Message" in data:  # SNS → SQS
        if depth > 0:
            raise MalformedEvent("an SNS notification inside an SNS notification")
        inner = data["Message"]
        if not isinstance(inner, str):
            raise MalformedEvent("the SNS notification's Message is not text")
        return _parse(_load(inner), depth=depth + 1)
    if "detail-type" in data or "detail" in data:
        kind = data.get("detail-type")
        if not isinstance(kind, str):
            raise MalformedEvent("the EventBridge event's detail-type is not text")
        if kind != API_CALL:
            return None
        detail = data.get("detail")
        if not isinstance(detail, Mapping):
            raise MalformedEvent("the EventBridge event's detail is not an object")
        return _record(detail, _text(data.get("account")), _text(data.get("region")))
    if "eventName" in data or "eventSource" in data:
        return _record(data, None, None)
    raise MalformedEvent("neither an EventBridge event nor a CloudTrail record")


def _record(
    record: Mapping[str, Any], envelope_account: str | None, envelope_region: str | None
) -> ChangeEvent | None:
    name = _required(record, "eventName")
    source = _required(record, "eventSource")
    if record.get("readOnly") is True:
        return None
    event_type = record.get("eventType")
    if event_type is not None and event_type != "AwsApiCall":
        return None
    mapper = mapper_for(source, name)
    if mapper is None:
        return None
    event_id = _required(record, "eventID")
    when = _time(_required(record, "eventTime"))
    identity = record.get("userIdentity")
    if identity is not None and not isinstance(identity, Mapping):
        raise MalformedEvent("userIdentity is not an object")
    identity = identity or {}
    account = (
        _text(record.get("recipientAccountId"))
        or _text(identity.get("accountId"))
        or envelope_account
    )
    if account is None or not _ACCOUNT.match(account):
        raise MalformedEvent(f"no valid account id in the event ({str(account)[:40]!r})")
    region = _text(record.get("awsRegion")) or envelope_region
    if region is None or not _REGION.match(region):
        raise MalformedEvent(f"no valid region in the event ({str(region)[:40]!r})")
    error = _text(record.get("errorCode"))
    mapped = Mapped()
    if error is None:
        call = Call(
            name=normalize_name(name),
            account=account,
            region=region,
            request=_object(record.get("requestParameters"), "requestParameters"),
            response=_object(record.get("responseElements"), "responseElements"),
            resources=_resources(record.get("resources")),
        )
        mapped = mapper(call)
        if not mapped.refs and not mapped.account_wide:
            return None  # the call changed nothing that decides exposure
    return ChangeEvent(
        event_id=event_id,
        event_name=name,
        event_source=source,
        event_time=when,
        account=account,
        region=region,
        actor=_actor(identity),
        source_ip=_text(record.get("sourceIPAddress")),
        user_agent=_text(record.get("userAgent")),
        refs=tuple(dict.fromkeys(mapped.refs)),
        account_wide=tuple(dict.fromkeys(mapped.account_wide)),
        error_code=error,
    )


def _required(record: Mapping[str, Any], key: str) -> str:
    value = record.get(key)
    if not isinstance(value, str) or not value:
        raise MalformedEvent(f"{key} is missing or not text")
    checked = ident(value, key)
    assert checked is not None
    return checked


def _text(value: Any) -> str | None:
    """An informational string (cut to :data:`MAX_TEXT`); anything else is ``None``."""
    if not isinstance(value, str) or not value:
        return None
    return value[:MAX_TEXT]


def _object(value: Any, what: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise MalformedEvent(f"{what} is a {type(value).__name__}, not an object")
    return value


def _resources(value: Any) -> tuple[Mapping[str, Any], ...]:
    if not isinstance(value, list):
        return ()
    return tuple(v for v in value if isinstance(v, Mapping))


def _time(value: str) -> datetime:
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise MalformedEvent(f"eventTime {value[:40]!r} is not an ISO 8601 time") from exc
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def _actor(identity: Mapping[str, Any]) -> str | None:
    """Who made the call: the caller's ARN, else the AWS service that acted, else the id."""
    for key in ("arn", "invokedBy", "principalId"):
        value = _text(identity.get(key))
        if value is not None:
            return value
    return None
