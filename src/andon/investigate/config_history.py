"""AWS Config: the recorded configuration history of a resource, where the recorder was on.

``DescribeConfigurationRecorderStatus`` says whether a recorder runs (and since when it last
started); ``GetResourceConfigHistory`` lists configuration items with their capture times
(https://docs.aws.amazon.com/config/latest/APIReference/API_GetResourceConfigHistory.html).
Without a recorder, or for a resource Config never recorded, there is no history: that is
stated, never taken as "unchanged". moto returns only the current item (no history) and
answers 500 for a bucket whose ACL grants AllUsers (REFERENCE.md); both land here as what they
are: one item, or a recorded failure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from andon.collect.aws.transport import AwsClients
from andon.core.errors import CollectError

NATIVE_TYPES = {"storage.bucket": "AWS::S3::Bucket"}


@dataclass(frozen=True)
class ConfigItem:
    captured: datetime
    status: str
    version: str
    supplementary: tuple[str, ...]  # which supplementary documents the item holds


@dataclass
class ConfigHistory:
    recorder: str = ""  # "on since ...", "off", "none", or the error
    items: list[ConfigItem] = field(default_factory=list)
    error: str = ""

    @property
    def first(self) -> datetime | None:
        return min((i.captured for i in self.items), default=None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": "aws_config",
            "recorder": self.recorder,
            "items": [
                {
                    "captured": i.captured.isoformat(),
                    "status": i.status,
                    "version": i.version,
                    "supplementary": list(i.supplementary),
                }
                for i in self.items
            ],
            "from": self.first.isoformat() if self.first else None,
            "complete": not self.error,
            "problems": [self.error] if self.error else [],
        }


def config_history(
    clients: AwsClients, region: str, kind: str, resource_id: str, *, limit: int = 500
) -> ConfigHistory:
    """The recorder state and the configuration items of one resource (oldest first)."""
    out = ConfigHistory()
    resource_type = NATIVE_TYPES.get(kind)
    if resource_type is None:
        out.error = f"AWS Config history is not read for {kind} resources"
        return out
    client = clients.client("config", region)
    try:
        status = clients.call(client, "DescribeConfigurationRecorderStatus")
    except CollectError as exc:
        out.recorder = "unknown"
        out.error = f"recorder status unreadable: {exc}"
        return out
    recorders = status.get("ConfigurationRecordersStatus") or []
    if not recorders:
        out.recorder = "none"
        out.error = "no AWS Config recorder in this region: no configuration history"
        return out
    on = [r for r in recorders if r.get("recording")]
    if on:
        started = on[0].get("lastStartTime")
        out.recorder = f"on since {started.isoformat()}" if started else "on"
    else:
        out.recorder = "off"
    try:
        pages = clients.pages(
            client,
            "GetResourceConfigHistory",
            "nextToken",
            "nextToken",
            resourceType=resource_type,
            resourceId=resource_id,
            chronologicalOrder="Forward",
        )
        for page in pages:
            for item in page.get("configurationItems") or ():
                captured = item.get("configurationItemCaptureTime")
                if not isinstance(captured, datetime):
                    continue
                out.items.append(
                    ConfigItem(
                        captured,
                        str(item.get("configurationItemStatus") or ""),
                        str(item.get("configurationStateId") or ""),
                        tuple(sorted((item.get("supplementaryConfiguration") or {}).keys())),
                    )
                )
                if len(out.items) >= limit:
                    return out
    except CollectError as exc:
        out.error = f"configuration history unreadable: {exc}"
    out.items.sort(key=lambda i: i.captured)
    return out
