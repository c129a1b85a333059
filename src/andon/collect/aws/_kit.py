"""What the resource-policy collectors share (SQS, SNS, KMS, Secrets Manager, ECR, EFS, Lambda,
OpenSearch, Glacier, Backup, API Gateway, DynamoDB).

Every such collector does the same three things for one (account, region):

1. list its resources (:meth:`Region.listing`, page by page, lazily). A listing that fails
   raises: the caller records a gap for the whole (account, region, service) cell;
2. read each resource's sub-documents in a bounded pool (:meth:`Region.stream`: at most
   ``Limits.concurrency`` items in flight, and at most as many finished and waiting to be
   consumed; the listing is read only as slots free up), through
   :class:`Reads`, which turns a failed call into an :class:`Unknown` in exactly the field it
   feeds plus a :class:`Gap` on the resource; an expected "not configured" error code (the
   collector's ``absent`` table) is the absence of that document, and a "no such resource"
   code (its ``gone`` table) means the resource was deleted mid-scan and is left out;
3. build the :class:`Resource` (:meth:`Region.resource`). Tags are read lazily: when the
   listing does not carry them, they are fetched only for resources whose exposure (the
   module's ``KINDS`` evaluator, default trust) is not PRIVATE, since tags only matter there
   (the exemption tag); a failed tag read is ``attributes["tags"] = {"unknown": why}`` plus a gap.

An :class:`EndpointError` anywhere ends the run, as in the S3 collector: what is complete is
yielded first, then the error is raised.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import replace
from datetime import date, datetime
from typing import Any, TypeVar

from andon.collect.aws.transport import AwsClients, strip_metadata
from andon.core.context import Context
from andon.core.errors import CollectError, EndpointError, MalformedResponse
from andon.core.model import Exposure, Gap, Level, Resource
from andon.exposure.aws_models import ResourcePolicyState
from andon.exposure.resource_policy import evaluate_resource
from andon.exposure.s3_model import Unknown

T = TypeVar("T")
I = TypeVar("I")  # noqa: E741 - an item of a listing

Evaluator = Callable[[Mapping[str, Any]], Exposure]
"""From ``Resource.attributes`` to the resource's :class:`Exposure` (pure)."""
Kinds = Mapping[str, tuple[str, Evaluator]]
"""canonical kind → (native CloudFormation type, evaluator)."""
Codes = Mapping[str, frozenset[str]]
"""operation → error codes."""

PARSE_ERRORS = (KeyError, TypeError, ValueError, AttributeError, IndexError)


class _Missing(enum.Enum):
    MISSING = enum.auto()


MISSING = _Missing.MISSING


class Gone(Exception):
    """The resource was deleted while it was being read: it is left out."""


def partition_of(region: str) -> str:
    """The ARN partition of a region (``aws``, ``aws-cn``, ``aws-us-gov``, ``aws-iso``…)."""
    for prefix, partition in (
        ("cn-", "aws-cn"),
        ("us-gov-", "aws-us-gov"),
        ("us-isob-", "aws-iso-b"),
        ("us-iso-", "aws-iso"),
        ("eu-isoe-", "aws-iso-e"),
        ("us-isof-", "aws-iso-f"),
    ):
        if region.startswith(prefix):
            return partition
    return "aws"


def malformed(service: str, operation: str, exc: Exception) -> MalformedResponse:
    """An answer that parsed but does not have the expected shape."""
    return MalformedResponse(
        f"MalformedResponse on {operation}: {type(exc).__name__}: {exc}",
        service=service,
        operation=operation,
        code="MalformedResponse",
    )


def jsonable(value: Any) -> Any:
    """A JSON-safe copy of an API answer (timestamps as ISO 8601 text, bytes summarized)."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray):
        return f"<{len(value)} bytes>"
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def text(value: Any, what: str) -> str:
    """A required string field of an answer (``TypeError`` otherwise: a malformed answer)."""
    if not isinstance(value, str) or not value:
        raise TypeError(f"{what} is {type(value).__name__}, not text")
    return value


def policy_text(value: Any) -> str | None:
    """A policy document as the API gives it: ``None``/``""`` is no policy, text is kept as is
    (the evaluator reports a malformed document itself), anything else is a malformed answer."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise TypeError(f"the policy is a {type(value).__name__}, not text")
    return value


def tag_list(items: Any, key: str = "Key", value: str = "Value") -> dict[str, str]:
    """``[{"Key": k, "Value": v}, …]`` (or a ``{k: v}`` map) as a dict."""
    if isinstance(items, Mapping):
        return {str(k): str(v) for k, v in items.items()}
    return {str(t[key]): str(t.get(value, "")) for t in items or ()}


def policy_exposure(attributes: Mapping[str, Any]) -> Exposure:
    """The evaluator of every ``ResourcePolicyState`` kind (owner's account trusted only)."""
    return evaluate_resource(ResourcePolicyState.from_dict(attributes))


def dump(value: Any) -> Any:
    """``Unknown`` and other models as their JSON form."""
    return value.to_dict() if hasattr(value, "to_dict") else value


class Region:
    """One collector run over one (account, region) of one service. Never module-level."""

    def __init__(
        self,
        ctx: Context,
        clients: AwsClients,
        account: str,
        region: str,
        *,
        service: str,
        kinds: Kinds,
        absent: Codes | None = None,
        gone: Codes | None = None,
    ) -> None:
        self.ctx = ctx
        self.clients = clients
        self.account = account
        self.region = region
        self.service = service
        self.kinds = kinds
        self.absent: Codes = absent or {}
        self.gone: Codes = gone or {}
        self.partition = partition_of(region)
        self.abort = threading.Event()

    @property
    def client(self) -> Any:
        return self.clients.client(self.service, self.region)

    def arn(self, namespace: str, resource: str, *, account: str | None = None) -> str:
        acct = self.account if account is None else account
        return f"arn:{self.partition}:{namespace}:{self.region}:{acct}:{resource}"

    def check_alive(self) -> None:
        if self.abort.is_set():
            raise EndpointError(
                f"scan aborted: the {self.service} endpoint stopped answering",
                service=self.service,
            )

    # -- listing ---------------------------------------------------------------------------

    def listing(
        self,
        operation: str,
        items_key: str,
        token: str,
        next_token: str,
        each: Callable[[Any], T],
        **kwargs: Any,
    ) -> Iterator[T]:
        """Every item of a token-paginated listing, fetched page by page as consumed, each
        passed through ``each`` (which raises on a malformed item).

        Raises the mapped :class:`CollectError` of a failed page, and
        :class:`MalformedResponse` when a page or an item does not have the expected shape.
        """
        for page in self.clients.pages(self.client, operation, token, next_token, **kwargs):
            try:
                items = page.get(items_key) or []
                if not isinstance(items, list):
                    raise TypeError(f"{items_key} is not a list")
                parsed = [each(item) for item in items]
            except PARSE_ERRORS as exc:
                raise malformed(self.service, operation, exc) from exc
            yield from parsed

    # -- per resource ----------------------------------------------------------------------

    def reads(self, uid: str) -> Reads:
        return Reads(self, uid)

    def exposure(self, kind: str, attributes: Mapping[str, Any]) -> Exposure:
        return self.kinds[kind][1](attributes)

    def resource(
        self,
        reads: Reads,
        kind: str,
        name: str,
        attributes: dict[str, Any],
        *,
        tags: Mapping[str, str] | Unknown | None = None,
        read_tags: Callable[[], dict[str, str] | Unknown] | None = None,
        uid: str | None = None,
    ) -> Resource:
        """The resource, with tags from the listing (``tags``) or read lazily (``read_tags``,
        called only when the resource is not PRIVATE)."""
        wanted = tags is None and read_tags is not None
        if wanted and read_tags and self.exposure(kind, attributes).level != Level.PRIVATE:
            tags = read_tags()
        if isinstance(tags, Unknown):
            attributes = {**attributes, "tags": tags.to_dict()}
            tags = None
        return Resource(
            uid=uid or reads.uid,
            cloud="aws",
            account=self.account,
            region=self.region,
            kind=kind,
            native_type=self.kinds[kind][0],
            name=name,
            attributes=attributes,
            tags=dict(tags or {}),
            raw=dict(reads.raw),
            gaps=tuple(reads.gaps),
        )

    def policy_resource(
        self,
        reads: Reads,
        kind: str,
        *,
        service: str,
        arn: str,
        name: str,
        policy: str | Unknown | None,
        known: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
        tags: Mapping[str, str] | Unknown | None = None,
        read_tags: Callable[[], dict[str, str] | Unknown] | None = None,
    ) -> Resource:
        """A resource whose attributes are a :class:`ResourcePolicyState` (plus ``extra``
        facts the evaluator does not read, e.g. a KMS key's manager)."""
        state = ResourcePolicyState(service, arn, self.account, policy, dict(known or {}))
        attributes = {**state.to_dict(), **(extra or {})}
        return self.resource(reads, kind, name, attributes, tags=tags, read_tags=read_tags)

    # -- streaming -------------------------------------------------------------------------

    def stream(self, items: Iterable[I], work: Callable[[I], list[Resource]]) -> Iterator[Resource]:
        """Run ``work`` over ``items`` with bounded concurrency, yielding as items finish.

        ``items`` may be a lazy listing: it is consumed in this thread, only as slots free up.
        If the listing fails, the items already submitted are finished and yielded, then the
        listing's error is raised. If a worker hits an :class:`EndpointError`, what is complete
        is yielded, the rest is cancelled, and the error is raised without waiting for calls
        still in flight (they stop at their next call).
        """
        width = max(1, self.ctx.limits.concurrency)
        todo = iter(items)
        pending: set[Future[list[Resource]]] = set()
        listing_error: CollectError | None = None
        pool = ThreadPoolExecutor(max_workers=width, thread_name_prefix=f"andon-{self.service}")

        def refill() -> None:
            nonlocal listing_error
            while listing_error is None and len(pending) < width:
                try:
                    item = next(todo)
                except StopIteration:
                    return
                except CollectError as exc:
                    listing_error = exc
                    return
                except PARSE_ERRORS as exc:
                    listing_error = malformed(self.service, "listing", exc)
                    return
                pending.add(pool.submit(_unless_gone, work, item))

        try:
            refill()
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                pending.difference_update(finished)
                ready: list[Resource] = []
                failure: BaseException | None = None
                for future in finished:
                    error = future.exception()
                    if error is not None:
                        failure = failure or error
                    else:
                        ready.extend(future.result())
                if failure is not None:
                    self.abort.set()
                    for f in pending:
                        if f.done() and not f.cancelled() and f.exception() is None:
                            ready.extend(f.result())
                    yield from ready
                    raise failure
                refill()
                yield from ready
            if listing_error is not None:
                raise listing_error
        finally:
            self.abort.set()
            pool.shutdown(wait=False, cancel_futures=True)


def _unless_gone(work: Callable[[I], list[Resource]], item: I) -> list[Resource]:
    try:
        return work(item)
    except Gone:
        return []


class Reads:
    """The calls made for one resource: answers go to ``raw``, failures to ``gaps``."""

    def __init__(self, run: Region, uid: str) -> None:
        self.run = run
        self.uid = uid
        self.gaps: list[Gap] = []
        self.raw: dict[str, Any] = {}

    def keep(self, key: str, value: Any) -> None:
        """Keep a document (e.g. the listing entry) in ``raw``."""
        self.raw[key] = jsonable(value)

    def read(
        self,
        operation: str,
        parse: Callable[[dict[str, Any]], T],
        *,
        absent: T | _Missing = MISSING,
        raw_key: str | None = None,
        **kwargs: Any,
    ) -> T | Unknown:
        """Call, parse, and turn any failure into an Unknown plus a Gap.

        ``absent`` is returned when the service answers with one of the run's ``absent`` codes
        for ``operation``; a ``gone`` code raises :class:`Gone`; :class:`EndpointError`
        propagates (it ends the run).
        """
        run = self.run
        run.check_alive()
        key = raw_key or operation
        try:
            answer = run.clients.call(run.client, operation, **kwargs)
        except EndpointError:
            raise
        except CollectError as exc:
            if exc.code in run.gone.get(operation, ()):
                raise Gone(self.uid) from exc
            if exc.code in run.absent.get(operation, ()) and not isinstance(absent, _Missing):
                self.raw[key] = None
                return absent
            return self.fail(exc)
        self.raw[key] = jsonable(strip_metadata(answer))
        try:
            return parse(answer)
        except PARSE_ERRORS as exc:
            return self.fail(malformed(run.service, operation, exc))

    def read_pages(
        self,
        operation: str,
        parse: Callable[[dict[str, Any]], list[T]],
        token: str,
        next_token: str,
        *,
        absent: list[T] | _Missing = MISSING,
        max_pages: int = 100,
        **kwargs: Any,
    ) -> list[T] | Unknown:
        """:meth:`read` over every page of a token-paginated sub-document (at most
        ``max_pages``); the first failing page makes the whole document Unknown."""
        out: list[T] = []
        args = dict(kwargs)
        seen: set[str] = set()
        for number in range(max_pages):
            first_absent = number == 0 and not isinstance(absent, _Missing)
            page = self.read(
                operation,
                lambda a: (parse(a), a.get(next_token)),
                absent=None if first_absent else MISSING,
                raw_key=operation if number == 0 else f"{operation}#{number + 1}",
                **args,
            )
            if page is None:  # the absent code, on the first page only
                return [] if isinstance(absent, _Missing) else absent
            if isinstance(page, Unknown):
                return page
            items, nxt = page
            out.extend(items)
            if not nxt or str(nxt) in seen:
                break
            seen.add(str(nxt))
            args[token] = nxt
        return out

    def inherit(self, other: Reads, operations: Iterable[str]) -> None:
        """Take ``other``'s gaps for ``operations`` as this resource's own (a call whose
        answer feeds both)."""
        wanted = set(operations)
        self.gaps.extend(
            replace(g, resource_uid=self.uid) for g in other.gaps if g.operation in wanted
        )

    def fail(self, exc: CollectError) -> Unknown:
        reason = str(exc)
        self.gaps.append(
            Gap(
                service=exc.service or self.run.service,
                operation=exc.operation,
                reason=reason,
                code=exc.code,
                resource_uid=self.uid,
                region=self.run.region,
            )
        )
        return Unknown(reason)
