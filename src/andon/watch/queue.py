"""The SQS consumer: long poll, keep what is being worked on hidden, delete only when done.

At-least-once, made exactly-once by the caller: a message is deleted only after its result is
committed to the store and the alerts it causes were handed to the dispatcher. A consumer that
dies before that leaves the message in the queue; it becomes visible again when its visibility
timeout runs out and is processed again (the processed-event table and the alert outbox make
the second time harmless).

Every call is retried, never given up on while the daemon runs: network errors, a dying
endpoint, throttling, expired credentials, a deleted queue or a denied call each produce one
clear log line with the reason and the next wait, then an exponential backoff with jitter
(:class:`Backoff`). After a failure the SQS client is built again from the credential chain,
so rotated or refreshed credentials are picked up.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from andon.collect.aws.transport import map_error
from andon.core.errors import AccessDenied, CollectError, EndpointError, Throttled

log = logging.getLogger("andon.watch.queue")

ClientFactory = Callable[[], Any]
"""Builds a fresh botocore SQS client (called again after every failure)."""

CREDENTIAL_CODES = frozenset(
    {
        "ExpiredToken",
        "ExpiredTokenException",
        "RequestExpired",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "NoCredentialsError",
    }
)
QUEUE_GONE_CODES = frozenset(
    {"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist", "NonExistentQueue"}
)


def describe_failure(error: CollectError) -> str:
    """What went wrong, in words an operator can act on."""
    if error.code in CREDENTIAL_CODES or error.code.startswith("NoCredentials"):
        return f"the credentials are expired or invalid ({error}); they are read again"
    if error.code in QUEUE_GONE_CODES:
        return f"the queue does not exist ({error}); run `andon watch setup`"
    if isinstance(error, EndpointError):
        return f"the queue endpoint cannot be reached ({error})"
    if isinstance(error, Throttled):
        return f"throttled by SQS ({error})"
    if isinstance(error, AccessDenied):
        return f"access denied ({error}); check the consumer's IAM policy"
    return str(error)


class Backoff:
    """Exponential backoff with full jitter, reset after a success."""

    def __init__(self, initial: float, maximum: float, *, rng: random.Random | None = None):
        self.initial = initial
        self.maximum = maximum
        self.failures = 0
        self._rng = rng or random.Random()

    def next(self) -> float:
        """The wait before the next attempt (grows with consecutive failures)."""
        ceiling = min(self.maximum, self.initial * (2 ** min(self.failures, 30)))
        self.failures += 1
        return max(self.initial / 2, self._rng.uniform(ceiling / 2, ceiling))

    def reset(self) -> None:
        self.failures = 0


@dataclass(frozen=True)
class Message:
    """One received SQS message."""

    message_id: str
    receipt: str
    body: str
    received_at: datetime
    sent_at: datetime | None = None
    receive_count: int = 1

    @property
    def lag(self) -> float:
        """Seconds between the message entering the queue and this consumer receiving it."""
        if self.sent_at is None:
            return 0.0
        return max(0.0, (self.received_at - self.sent_at).total_seconds())


def _millis(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value) / 1000, UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


class SqsQueue:
    """One queue, consumed with long polls; every method retries until it succeeds or ``stop``.

    ``clock`` gives aware UTC datetimes (received_at). Thread-safe: the visibility extender
    calls :meth:`extend` from its own thread.
    """

    def __init__(
        self,
        make_client: ClientFactory,
        queue_url: str,
        *,
        wait_time: int = 20,
        visibility_timeout: int = 60,
        backoff: Backoff | None = None,
        stop: threading.Event | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        self.url = queue_url
        self.wait_time = wait_time
        self.visibility_timeout = visibility_timeout
        self._make_client = make_client
        self._client: Any = None
        self._lock = threading.Lock()
        self._backoff = backoff or Backoff(1.0, 60.0)
        self._stop = stop or threading.Event()
        self._clock = clock
        self._on_error = on_error
        self.healthy = True

    # -- plumbing --------------------------------------------------------------------------

    def _sqs(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = self._make_client()
            return self._client

    def _drop_client(self) -> None:
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):  # a broken client must not hide the failure
                client.close()

    def _call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        method = getattr(self._sqs(), _snake(operation))
        try:
            answer = method(**kwargs)
        except Exception as exc:
            raise map_error(exc, service="sqs", operation=operation) from exc
        return answer if isinstance(answer, dict) else {}

    def _retrying(self, operation: str, attempts: int | None = None, **kwargs: Any) -> Any:
        """Call until it succeeds; ``None`` when stopped or out of ``attempts``."""
        tries = 0
        while True:
            tries += 1
            try:
                answer = self._call(operation, **kwargs)
            except CollectError as exc:
                wait = self._backoff.next()
                self.healthy = False
                reason = describe_failure(exc)
                if self._on_error is not None:
                    self._on_error(type(exc).__name__)
                self._drop_client()
                if attempts is not None and tries >= attempts:
                    log.warning(
                        "SQS %s failed: %s; giving up after %d tries", operation, reason, tries
                    )
                    return None
                log.warning("SQS %s failed: %s; retrying in %.1f s", operation, reason, wait)
                if self._stop.wait(wait):
                    return None
                continue
            if not self.healthy:
                log.warning("SQS %s works again", operation)
            self.healthy = True
            self._backoff.reset()
            return answer

    # -- the queue -------------------------------------------------------------------------

    def receive(self, max_messages: int = 10, wait_time: int | None = None) -> list[Message]:
        """Up to ``max_messages`` (1 to 10) messages; waits up to ``wait_time`` seconds for the
        first (long poll). Empty when none came or the consumer is stopping."""
        if self._stop.is_set():
            return []
        answer = self._retrying(
            "ReceiveMessage",
            QueueUrl=self.url,
            MaxNumberOfMessages=max(1, min(10, max_messages)),
            WaitTimeSeconds=self.wait_time if wait_time is None else wait_time,
            VisibilityTimeout=self.visibility_timeout,
            MessageSystemAttributeNames=["SentTimestamp", "ApproximateReceiveCount"],
        )
        if not answer:
            return []
        now = self._clock()
        out = []
        for raw in answer.get("Messages") or []:
            attrs = raw.get("Attributes") or {}
            try:
                count = int(attrs.get("ApproximateReceiveCount") or 1)
            except ValueError:
                count = 1
            out.append(
                Message(
                    message_id=str(raw.get("MessageId") or ""),
                    receipt=str(raw.get("ReceiptHandle") or ""),
                    body=str(raw.get("Body") or ""),
                    received_at=now,
                    sent_at=_millis(attrs.get("SentTimestamp")),
                    receive_count=count,
                )
            )
        return out

    def _batches(self, messages: Sequence[Message]) -> Iterator[list[Message]]:
        for i in range(0, len(messages), 10):
            yield list(messages[i : i + 10])

    def delete(self, messages: Sequence[Message], attempts: int = 5) -> int:
        """Delete ``messages`` (done with); returns how many SQS confirmed. A message whose
        delete fails comes back later and is recognized as processed."""
        done = 0
        for chunk in self._batches(messages):
            entries = [{"Id": str(i), "ReceiptHandle": m.receipt} for i, m in enumerate(chunk)]
            answer = self._retrying(
                "DeleteMessageBatch", attempts, QueueUrl=self.url, Entries=entries
            )
            if answer is None:
                continue
            done += len(answer.get("Successful") or [])
            for failed in answer.get("Failed") or []:
                log.warning(
                    "SQS could not delete a message (%s: %s); it will come back and be "
                    "recognized as processed",
                    failed.get("Code"),
                    failed.get("Message"),
                )
        return done

    def set_visibility(self, messages: Sequence[Message], seconds: int, attempts: int = 3) -> None:
        """Hide ``messages`` for ``seconds`` more (0: make them visible again now)."""
        for chunk in self._batches(messages):
            entries = [
                {"Id": str(i), "ReceiptHandle": m.receipt, "VisibilityTimeout": seconds}
                for i, m in enumerate(chunk)
            ]
            self._retrying(
                "ChangeMessageVisibilityBatch", attempts, QueueUrl=self.url, Entries=entries
            )

    def depth(self) -> int | None:
        """ApproximateNumberOfMessages (visible backlog), or None if it cannot be read now."""
        try:
            answer = self._call(
                "GetQueueAttributes",
                QueueUrl=self.url,
                AttributeNames=["ApproximateNumberOfMessages"],
            )
        except CollectError:
            return None
        try:
            return int((answer.get("Attributes") or {}).get("ApproximateNumberOfMessages", 0))
        except ValueError:
            return None

    @contextmanager
    def hidden(self, messages: Sequence[Message]) -> Iterator[None]:
        """Keep ``messages`` hidden while the block runs: a thread extends their visibility
        timeout every half timeout, so slow work (a big re-collection, a slow store) never
        lets another consumer take them."""
        done = threading.Event()
        period = max(0.5, self.visibility_timeout / 2)

        def extend() -> None:
            while not done.wait(period):
                log.info("extending the visibility of %d message(s)", len(messages))
                self.set_visibility(messages, self.visibility_timeout, attempts=2)

        thread = threading.Thread(target=extend, name="andon-watch-visibility", daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join(timeout=5)

    def close(self) -> None:
        self._drop_client()


def _snake(operation: str) -> str:
    from botocore import xform_name

    return str(xform_name(operation))
