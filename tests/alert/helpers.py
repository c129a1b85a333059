"""Builders shared by the alert tests: real scans that produce transitions, a clock moved by
hand, and what the loopback webhook receiver saw."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from andon.core.model import Resource
from andon.exposure.s3_model import S3BucketState
from andon.rules import default_registry
from andon.scan import ScanOutcome, run_scan
from andon.store import Store

ACCOUNT = "123456789012"


def public_policy(name: str) -> str:
    return json.dumps(
        {
            "Statement": [
                {
                    "Sid": "Open",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{name}/*",
                }
            ]
        }
    )


def bucket(name: str, *, public: bool = True, tags: dict[str, str] | None = None) -> Resource:
    """An S3 bucket resource as the collector makes it: public by policy, or private."""
    state = S3BucketState(
        name=name,
        account=ACCOUNT,
        region="us-east-1",
        policy=public_policy(name) if public else None,
    )
    return Resource(
        uid=f"arn:aws:s3:::{name}",
        cloud="aws",
        account=ACCOUNT,
        region="us-east-1",
        kind="storage.bucket",
        native_type="AWS::S3::Bucket",
        name=name,
        attributes=state.to_dict(),
        tags=tags or {},
    )


def scan(
    store: Store,
    resources: list[Resource],
    *,
    scope: str = "aws:test",
    meta: dict[str, Any] | None = None,
) -> ScanOutcome:
    """A real scan of ``resources`` through exposure and the built-in rules into ``store``."""
    return run_scan(iter(resources), scope=scope, rules=default_registry(), store=store, meta=meta)


class ManualClock:
    """A clock that stands still until moved (shared by a store and its dispatchers)."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self.now

    def advance(self, **delta: float) -> datetime:
        with self._lock:
            self.now += timedelta(**delta)
            return self.now


@dataclass
class Hit:
    path: str
    body: dict[str, Any]
    status: int

    @property
    def alert(self) -> dict[str, Any]:
        """The alert payload a json:// channel carries in ``message``."""
        parsed: dict[str, Any] = json.loads(self.body["message"])
        return parsed


class Receiver:
    """What the loopback webhook server saw."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.hits: list[Hit] = []
        self.fail: set[str] = set()
        self.stall = threading.Event()
        self.stalled = threading.Event()
        self.release = threading.Event()
        self.lock = threading.Lock()

    def url(self, path: str, scheme: str = "json") -> str:
        return f"{scheme}://127.0.0.1:{self.port}/{path}"

    def ok(self, path: str | None = None) -> list[Hit]:
        with self.lock:
            return [
                h for h in self.hits if h.status == 200 and (path is None or h.path == f"/{path}")
            ]

    def on(self, path: str) -> list[Hit]:
        with self.lock:
            return [h for h in self.hits if h.path == f"/{path}"]
