"""Fixtures of the daemon tests: a webhook receiver on loopback, CloudTrail-shaped events,
PostgreSQL, and ``andon watch`` run as a real subprocess.

``webhook``
    A tiny ``http.server`` in a thread on 127.0.0.1 that records every POST (a real HTTP peer
    for apprise's ``json://`` URLs). ``webhook.url("path")`` is the apprise URL.
``cloudtrail_event(...)``
    An EventBridge envelope around a CloudTrail record in the shape AWS documents ("AWS API
    Call via CloudTrail", EventBridge User Guide; record fields from the CloudTrail record
    contents reference).
``daemon``
    A factory starting the venv's ``andon watch ...`` with a config file; it reads stderr in a
    thread so a test can wait for a log line, and kills what it started at teardown.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

ACCOUNT = "123456789012"
REGION = "us-east-1"


# -- webhook receiver ----------------------------------------------------------------------


class Webhook:
    """Records the POSTs it receives: (path, JSON body)."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Condition()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = {"raw": raw.decode("utf-8", "replace")}
                with outer._lock:
                    outer.posts.append((self.path, body))
                    outer._lock.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def url(self, path: str = "hook") -> str:
        return f"json://127.0.0.1:{self.port}/{path}"

    def wait_for(self, count: int, timeout: float) -> list[tuple[str, dict[str, Any]]]:
        """Wait until ``count`` POSTs arrived (or the timeout); return them all."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self.posts) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._lock.wait(left)
            return list(self.posts)

    def about(self, text: str) -> list[dict[str, Any]]:
        """The bodies received so far that mention ``text``."""
        with self._lock:
            return [body for _, body in self.posts if text in json.dumps(body)]

    def wait_about(self, text: str, count: int, timeout: float) -> list[dict[str, Any]]:
        """Wait until ``count`` bodies mention ``text`` (or the timeout); return them."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                hits = [body for _, body in self.posts if text in json.dumps(body)]
                left = deadline - time.monotonic()
                if len(hits) >= count or left <= 0:
                    return hits
                self._lock.wait(left)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    yield hook
    hook.close()


# -- events --------------------------------------------------------------------------------


def public_policy(bucket: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "Open",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{bucket}/*",
                }
            ],
        }
    )


def cloudtrail_event(
    name: str,
    bucket: str,
    *,
    event_id: str | None = None,
    event_time: datetime | None = None,
    request: dict[str, Any] | None = None,
) -> str:
    """An S3 management event (``PutBucketPolicy`` ...) as EventBridge puts it on the queue."""
    when = (event_time or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    detail = {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "IAMUser",
            "principalId": "AIDAEXAMPLEALICE",
            "arn": f"arn:aws:iam::{ACCOUNT}:user/alice",
            "accountId": ACCOUNT,
            "accessKeyId": "AKIAEXAMPLE",
            "userName": "alice",
        },
        "eventTime": when,
        "eventSource": "s3.amazonaws.com",
        "eventName": name,
        "awsRegion": REGION,
        "sourceIPAddress": "203.0.113.7",
        "userAgent": "[aws-cli/2.15.0]",
        "requestParameters": request
        or {"bucketName": bucket, "Host": f"{bucket}.s3.amazonaws.com"},
        "responseElements": None,
        "requestID": uuid.uuid4().hex[:16].upper(),
        "eventID": event_id or str(uuid.uuid4()),
        "readOnly": False,
        "resources": [
            {"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"}
        ],
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Management",
    }
    return json.dumps(
        {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "AWS API Call via CloudTrail",
            "source": "aws.s3",
            "account": ACCOUNT,
            "time": when,
            "region": REGION,
            "resources": [],
            "detail": detail,
        }
    )


# -- the daemon as a subprocess ------------------------------------------------------------


def write_config(path: Path, *, queue_url: str, hook: str, **watch: Any) -> Path:
    """A config file: S3 in us-east-1, the queue, tiny intervals, the webhook channel."""
    settings = {
        **({"queue_url": queue_url} if queue_url else {}),
        "wait_time": 1,
        "visibility_timeout": 4,
        "coalesce_window": "100ms",
        "sweep_interval": 0,
        "heartbeat_interval": "300ms",
        "backoff_initial": "200ms",
        "backoff_max": "1s",
        "metrics_port": 0,
        **watch,
    }
    lines = ['regions = ["us-east-1"]', 'services = ["s3"]', "", "[watch]"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in settings.items()]
    lines += ["", "[alerts]", 'reminder_after = "off"', "", "[alerts.channels]", f'hook = "{hook}"']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class Daemon:
    """One ``andon watch`` process; stderr lines are collected as they come."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "andon"), "watch", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
        )
        self.lines: list[str] = []
        self.out: list[str] = []
        self._cond = threading.Condition()
        threading.Thread(
            target=self._pump, args=(self.proc.stderr, self.lines), daemon=True
        ).start()
        threading.Thread(target=self._pump, args=(self.proc.stdout, self.out), daemon=True).start()

    def _pump(self, stream: Any, sink: list[str]) -> None:
        for line in stream:
            with self._cond:
                sink.append(line.rstrip("\n"))
                self._cond.notify_all()

    def wait_line(self, text: str, timeout: float = 60.0, count: int = 1) -> str:
        """Wait for the ``count``-th stderr line containing ``text``; return it."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                hits = [line for line in self.lines if text in line]
                if len(hits) >= count:
                    return hits[count - 1]
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    raise AssertionError(
                        f"no line with {text!r} (exit {self.proc.poll()}):\n"
                        + "\n".join(self.lines[-40:])
                    )
                self._cond.wait(min(left, 0.2))

    def metrics_url(self) -> str:
        line = self.wait_line("metrics on ")
        return line.split("metrics on ", 1)[1].strip()

    def terminate(self, timeout: float = 60.0) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)


@pytest.fixture
def daemon(aws_env: dict[str, str]) -> Iterator[Callable[..., Daemon]]:
    started: list[Daemon] = []
    env = {**os.environ, **aws_env, "PYTHONUNBUFFERED": "1"}

    def start(*args: str) -> Daemon:
        d = Daemon(list(args), env)
        started.append(d)
        return d

    yield start
    for d in started:
        d.kill()
