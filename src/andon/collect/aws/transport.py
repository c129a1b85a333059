"""The single I/O boundary between Andon and AWS.

:class:`AwsClients` owns one boto3 session built from the standard credential chain (profile,
explicit keys when given, region), hands out botocore clients cached per ``(service, region)``,
and runs every API call through :meth:`AwsClients.call`, which maps botocore's exceptions onto
the :mod:`andon.core.errors` tree:

========================================================  =======================
botocore raises                                           Andon raises
========================================================  =======================
ClientError 403 / AccessDenied / AllAccessDisabled ...     :class:`AccessDenied`
ClientError SlowDown / Throttling / 429 / 503 (retried)    :class:`Throttled`
EndpointConnectionError, ConnectionClosedError, timeouts  :class:`EndpointError`
an answer that cannot be parsed (ResponseParserError ...)  :class:`MalformedResponse`
no credentials at all                                     :class:`AccessDenied`
any other ClientError                                     :class:`CollectError`
an unknown profile or unreadable AWS config (at init)     :class:`ConfigError`
========================================================  =======================

Every mapped error keeps ``service``, ``operation`` and ``code``; its message reads
``"<code> on <Operation>: <what the service said>"`` so it can serve as a gap's reason as is.

Retries (adaptive mode) happen inside botocore, before the mapping: a :class:`Throttled` or
:class:`EndpointError` means the retries ran out. ``Limits.max_attempts`` is passed as botocore's
``retries.max_attempts``, which counts the retries *after* the first request (so a call is sent
at most ``max_attempts + 1`` times; 0 disables retries). Note that botocore turns an S3 ``200``
whose body is not XML into a retried ``500``, so a mangled S3 answer ends as a
:class:`CollectError` with code ``"500"``, not as :class:`MalformedResponse`.

Nothing here is module-level state: build one ``AwsClients`` per scan (or per account) and pass it.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit
from xml.etree.ElementTree import ParseError as XmlParseError

import boto3
from botocore import xform_name
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    HTTPClientError,
    NoCredentialsError,
    PartialCredentialsError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError
from botocore.parsers import ResponseParserError

from andon import __version__
from andon.core.context import AwsTarget, Limits
from andon.core.errors import (
    AccessDenied,
    CollectError,
    ConfigError,
    EndpointError,
    MalformedResponse,
    Throttled,
)

DEFAULT_REGION = "us-east-1"

ACCESS_DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "AllAccessDisabled",
        "AuthorizationError",
        "Forbidden",
        "UnauthorizedOperation",
        "UnauthorizedAccess",
    }
)
THROTTLING_CODES = frozenset(
    {
        "SlowDown",
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "BandwidthLimitExceeded",
        "EC2ThrottledException",
        "PriorRequestNotComplete",
    }
)
THROTTLING_STATUS = frozenset({429, 503})

_ACCOUNT_LABEL = re.compile(r"^\d{12}\.")


def map_error(exc: Exception, *, service: str, operation: str) -> CollectError:
    """Translate a botocore (or parser) exception into the Andon error tree.

    Pure: usable on any exception a botocore client can raise. Exceptions that are not
    botocore's own are returned as a plain :class:`CollectError` carrying the class name.
    """
    if isinstance(exc, CollectError):
        return exc
    if isinstance(exc, ClientError):
        error = _error_document(exc.response)
        meta = exc.response.get("ResponseMetadata") or {}
        status = meta.get("HTTPStatusCode")
        code = str(error.get("Code") or "") or str(status or "Unknown")
        message = str(error.get("Message") or "") or f"HTTP {status}"
        text = f"{code} on {operation}: {message}"
        cls: type[CollectError]
        if code in ACCESS_DENIED_CODES or status == 403:
            cls = AccessDenied
        elif code in THROTTLING_CODES or status in THROTTLING_STATUS:
            cls = Throttled
        else:
            cls = CollectError
        return cls(text, service=service, operation=operation, code=code)
    code = type(exc).__name__
    text = f"{code} on {operation}: {exc}"
    if isinstance(exc, BotoConnectionError | HTTPClientError):
        return EndpointError(text, service=service, operation=operation, code=code)
    if isinstance(exc, ResponseParserError):
        return MalformedResponse(text, service=service, operation=operation, code=code)
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return AccessDenied(text, service=service, operation=operation, code=code)
    if isinstance(exc, BotoCoreError):
        return CollectError(text, service=service, operation=operation, code=code)
    if isinstance(exc, XmlParseError):  # botocore's S3 handlers parse some bodies themselves
        return MalformedResponse(text, service=service, operation=operation, code=code)
    if isinstance(exc, ValueError):  # botocore's parsers raise it on e.g. a garbage timestamp
        return MalformedResponse(text, service=service, operation=operation, code=code)
    return CollectError(text, service=service, operation=operation, code=code)


def _error_document(response: Mapping[str, Any]) -> Mapping[str, Any]:
    """The ``Error`` of a ClientError, also when it came as ``<Errors><Error>`` (query style,
    which botocore leaves under ``Errors`` for REST services: moto's s3control does this)."""
    error = response.get("Error") or {}
    if error.get("Code"):
        return error
    nested = (response.get("Errors") or {}).get("Error")
    if isinstance(nested, list):
        nested = nested[0] if nested else None
    return nested if isinstance(nested, Mapping) and nested.get("Code") else error


def strip_metadata(response: Mapping[str, Any]) -> dict[str, Any]:
    """An API answer without botocore's ``ResponseMetadata`` (request ids, headers)."""
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


class AwsClients:
    """Clients for one AWS target, built from one boto3 session.

    Thread-safe: clients are created under a lock and cached per ``(service, region)``;
    botocore clients themselves may be shared between threads. ``call_counts`` counts the
    logical API calls made through :meth:`call` and :meth:`pages` (retries not included), which
    is what tests and benchmarks compare against the "API floor" of a bare script.
    """

    def __init__(
        self, target: AwsTarget, limits: Limits, *, session: boto3.Session | None = None
    ) -> None:
        """``session``: use this boto3 session instead of building one from ``target``'s
        credentials (an assumed role's refreshable credentials, see
        :mod:`andon.collect.aws.scope`); ``target`` still gives the endpoint."""
        self.target = target
        self.limits = limits
        try:
            self._session = session or boto3.Session(
                profile_name=target.profile,
                aws_access_key_id=target.access_key_id,
                aws_secret_access_key=target.secret_access_key,
                aws_session_token=target.session_token,
            )
        except BotoCoreError as exc:  # e.g. ProfileNotFound, a broken config file
            raise ConfigError(f"cannot set up the AWS session: {exc}") from exc
        self.home_region: str = self._session.region_name or DEFAULT_REGION
        options: dict[str, Any] = {
            "retries": {"mode": "adaptive", "max_attempts": limits.max_attempts},
            "connect_timeout": limits.connect_timeout,
            "read_timeout": limits.read_timeout,
            "max_pool_connections": max(10, limits.concurrency),
            "user_agent_extra": f"andon/{__version__}",
        }
        if target.endpoint_url:
            # Emulators and S3-compatible stores rarely resolve <bucket>.<host>.
            options["s3"] = {"addressing_style": "path"}
        self._config = Config(**options)
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, str], Any] = {}
        self._identity: dict[str, str] | None = None
        self._counts: Counter[tuple[str, str]] = Counter()

    @property
    def session(self) -> boto3.Session:
        """The one boto3 session every client comes from (read it; do not reconfigure it)."""
        return self._session

    # -- clients -------------------------------------------------------------------------

    def client(self, service: str, region: str | None = None) -> Any:
        """The cached botocore client for ``service`` in ``region`` (default: home region)."""
        key = (service, region or self.home_region)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = self._session.client(
                    service,
                    region_name=key[1],
                    endpoint_url=self.target.endpoint_url,
                    config=self._config,
                )
                if service == "s3control" and self.target.endpoint_url:
                    _register_account_prefix_strip(client, self.target.endpoint_url)
                self._clients[key] = client
            return client

    def release(self, region: str) -> None:
        """Forget the cached clients of ``region`` (a scan done with a region frees their
        memory; a thread still using one keeps it until its call ends)."""
        with self._lock:
            for key in [k for k in self._clients if k[1] == region]:
                del self._clients[key]

    def close(self) -> None:
        """Close every cached client's connection pool."""
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()

    def __enter__(self) -> AwsClients:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- identity ------------------------------------------------------------------------

    def identity(self) -> dict[str, str]:
        """The caller identity (``Account``, ``Arn``, ``UserId``) from STS, fetched once."""
        with self._lock:
            cached = self._identity
        if cached is not None:
            return cached
        answer = self.call(self.client("sts"), "GetCallerIdentity")
        account = str(answer.get("Account") or "")
        if not re.fullmatch(r"\d{12}", account):
            raise MalformedResponse(
                f"MalformedResponse on GetCallerIdentity: no account id in {account!r}",
                service="sts",
                operation="GetCallerIdentity",
                code="MalformedResponse",
            )
        identity = {
            "Account": account,
            "Arn": str(answer.get("Arn") or ""),
            "UserId": str(answer.get("UserId") or ""),
        }
        with self._lock:
            if self._identity is None:
                self._identity = identity
            return self._identity

    def account_id(self) -> str:
        """The 12-digit account id of the credentials (STS GetCallerIdentity, cached)."""
        return self.identity()["Account"]

    def partition(self) -> str:
        """``aws``, ``aws-cn`` or ``aws-us-gov``, read from the caller's ARN."""
        parts = self.identity()["Arn"].split(":")
        return parts[1] if len(parts) > 2 and parts[1] else "aws"

    # -- calls ---------------------------------------------------------------------------

    @property
    def call_counts(self) -> dict[tuple[str, str], int]:
        """A snapshot of ``{(service, Operation): number of calls}``."""
        with self._lock:
            return dict(self._counts)

    def _count(self, service: str, operation: str) -> None:
        with self._lock:
            self._counts[(service, operation)] += 1

    def call(self, client: Any, operation: str, **kwargs: Any) -> dict[str, Any]:
        """Call ``operation`` (API name, e.g. ``GetBucketPolicy``) and map any failure.

        Raises a :class:`andon.core.errors.CollectError` subclass; never a botocore exception.
        """
        service = client.meta.service_model.service_name
        self._count(service, operation)
        method = getattr(client, xform_name(operation))
        try:
            answer = method(**kwargs)
        except (BotoCoreError, ClientError, ResponseParserError, ValueError, XmlParseError) as exc:
            raise map_error(exc, service=service, operation=operation) from exc
        if not isinstance(answer, dict):
            raise MalformedResponse(
                f"MalformedResponse on {operation}: not a document",
                service=service,
                operation=operation,
                code="MalformedResponse",
            )
        return answer

    def pages(
        self, client: Any, operation: str, token: str, next_token: str, **kwargs: Any
    ) -> Iterator[dict[str, Any]]:
        """Every page of a token-paginated ``operation``.

        ``token`` is the request parameter and ``next_token`` the answer field that carry the
        continuation token (they differ between APIs). Each page is one counted :meth:`call`.
        """
        args = dict(kwargs)
        seen: set[str] = set()
        while True:
            page = self.call(client, operation, **args)
            yield page
            nxt = page.get(next_token)
            if not nxt or nxt in seen:  # a repeated token would loop forever
                return
            seen.add(str(nxt))
            args[token] = nxt


def _register_account_prefix_strip(client: Any, endpoint_url: str) -> None:
    """Send s3control calls to ``endpoint_url`` itself, not ``<account>.<endpoint host>``.

    S3 Control puts the account id in front of the host (``123456789012.s3-control...``); an
    emulator or S3-compatible store on an IP address or ``localhost`` cannot be reached that
    way. Registered only when an endpoint URL is given, so real AWS is never affected; runs
    before signing so the signature covers the host actually used.
    """
    netloc = urlsplit(endpoint_url).netloc

    def strip(request: Any, **_: Any) -> None:
        parts = urlsplit(request.url)
        if _ACCOUNT_LABEL.match(parts.netloc) and parts.netloc.split(".", 1)[1] == netloc:
            request.url = parts._replace(netloc=netloc).geturl()

    client.meta.events.register("before-sign.s3-control", strip)
