"""The S3 collector: live S3 and S3 Control answers in, normalized :class:`Resource` out.

:func:`collect_s3` yields, in this order:

1. one ``account.settings`` resource holding the account-level Block Public Access
   (``AWS::S3::AccountPublicAccessBlock``);
2. one ``storage.bucket`` resource per bucket (``AWS::S3::Bucket``) whose attributes are
   :meth:`andon.exposure.s3_model.S3BucketState.to_dict`, streamed as buckets complete.

Failure model:

* a call that fails (denied, throttled after retries, malformed, any other API error) becomes an
  :class:`Unknown` in exactly the field it feeds and a :class:`Gap` on the resource; the scan
  goes on;
* an expected "not configured" answer (``NoSuchBucketPolicy``, ``NoSuchTagSet`` ...) is the
  absence of that configuration, not an error;
* a bucket answering ``NoSuchBucket`` was deleted during the scan and is left out;
* ``ListBuckets`` or ``GetCallerIdentity`` failing, and any :class:`EndpointError` (the endpoint
  is unreachable after the retries), end the scan: the generator raises after yielding every
  bucket already complete, and workers still running stop at their next call.

Calls made (see :data:`S3_OPERATIONS`): GetCallerIdentity and the account BPA once; ListBuckets
(paginated); per bucket GetBucketLocation (skipped when ListBuckets reports ``BucketRegion``),
GetBucketTagging, GetBucketAcl, GetBucketPolicy, GetPublicAccessBlock,
GetBucketOwnershipControls, GetBucketWebsite; ListAccessPoints once per bucket region, then
GetAccessPoint and GetAccessPointPolicy per access point; where ACLs are enabled, ListObjectsV2
(one page of ``Limits.object_acl_sample`` keys) and GetObjectAcl per sampled key. No call ever
reads object content.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from andon.collect.aws.transport import AwsClients, strip_metadata
from andon.core.context import Context
from andon.core.errors import CollectError, EndpointError, MalformedResponse
from andon.core.model import Gap, Resource
from andon.exposure.s3_model import (
    AccessPointState,
    Bpa,
    Grant,
    ObjectAcl,
    S3BucketState,
    Unknown,
)

T = TypeVar("T")


@dataclass(frozen=True)
class Operation:
    """One API operation the collector may call, with the IAM action that allows it."""

    service: str
    name: str
    iam_action: str


S3_OPERATIONS: tuple[Operation, ...] = (
    Operation("sts", "GetCallerIdentity", "sts:GetCallerIdentity"),
    Operation("s3control", "GetPublicAccessBlock", "s3:GetAccountPublicAccessBlock"),
    Operation("s3", "ListBuckets", "s3:ListAllMyBuckets"),
    Operation("s3", "GetBucketLocation", "s3:GetBucketLocation"),
    Operation("s3", "GetBucketTagging", "s3:GetBucketTagging"),
    Operation("s3", "GetBucketAcl", "s3:GetBucketAcl"),
    Operation("s3", "GetBucketPolicy", "s3:GetBucketPolicy"),
    Operation("s3", "GetPublicAccessBlock", "s3:GetBucketPublicAccessBlock"),
    Operation("s3", "GetBucketOwnershipControls", "s3:GetBucketOwnershipControls"),
    Operation("s3", "GetBucketWebsite", "s3:GetBucketWebsite"),
    Operation("s3control", "ListAccessPoints", "s3:ListAccessPoints"),
    Operation("s3control", "GetAccessPoint", "s3:GetAccessPoint"),
    Operation("s3control", "GetAccessPointPolicy", "s3:GetAccessPointPolicy"),
    Operation("s3", "ListObjectsV2", "s3:ListBucket"),
    Operation("s3", "GetObjectAcl", "s3:GetObjectAcl"),
)
"""Every (service, operation) :func:`collect_s3` may call; none of them reads object data."""

# Error codes that mean "this configuration does not exist" rather than "the call failed".
ABSENT_CODES: Mapping[str, frozenset[str]] = {
    "GetBucketPolicy": frozenset({"NoSuchBucketPolicy"}),
    "GetPublicAccessBlock": frozenset({"NoSuchPublicAccessBlockConfiguration"}),
    "GetBucketOwnershipControls": frozenset({"OwnershipControlsNotFoundError"}),
    "GetBucketWebsite": frozenset({"NoSuchWebsiteConfiguration"}),
    "GetBucketTagging": frozenset({"NoSuchTagSet"}),
    "GetAccessPointPolicy": frozenset({"NoSuchAccessPointPolicy"}),
}

BUCKET_TYPE = "AWS::S3::Bucket"
ACCOUNT_BPA_TYPE = "AWS::S3::AccountPublicAccessBlock"
_LIST_BUCKETS_PAGE = 10_000  # the API maximum; passing it also makes S3 return BucketRegion
_LIST_ACCESS_POINTS_PAGE = 1_000


def collect_s3(ctx: Context, clients: AwsClients) -> Iterator[Resource]:
    """Yield the account BPA resource, then one resource per bucket as each completes.

    Only buckets in ``ctx.aws.regions`` are collected when that tuple is non-empty. At most
    ``ctx.limits.concurrency`` buckets are in flight (or done and waiting to be consumed), so
    memory stays flat however many buckets the account holds.

    Raises :class:`CollectError` when the caller identity or the bucket list cannot be read and
    :class:`EndpointError` when the endpoint stops answering; every other failure is a gap.
    """
    scan = _Scan(ctx, clients)
    yield scan.account_resource()
    entries = [e for e in scan.list_buckets() if scan.wanted(e.region)]
    yield from _stream(scan, entries)


# -- the scan ------------------------------------------------------------------------------


class _Missing(enum.Enum):
    MISSING = enum.auto()


_MISSING = _Missing.MISSING


class _Gone(Exception):
    """The bucket was deleted while being collected."""


@dataclass(frozen=True)
class _Entry:
    name: str
    region: str | None  # from ListBuckets' BucketRegion when the API gives it


class _Scan:
    """State shared by the workers of one :func:`collect_s3` run (never module-level)."""

    def __init__(self, ctx: Context, clients: AwsClients) -> None:
        self.ctx = ctx
        self.clients = clients
        self.account = clients.account_id()
        self.partition = clients.partition()
        self.home = clients.home_region
        self.abort = threading.Event()
        self.account_bpa: Bpa | Unknown | None = None
        self.account_gaps: tuple[Gap, ...] = ()
        self.access_point_index: _PerRegion[dict[str, list[dict[str, Any]]] | CollectError] = (
            _PerRegion(self._list_access_points)
        )

    def wanted(self, region: str | None) -> bool:
        regions = self.ctx.aws.regions
        return not regions or region is None or region in regions

    def check_alive(self) -> None:
        if self.abort.is_set():
            raise EndpointError("scan aborted: the endpoint stopped answering", service="s3")

    # -- account ---------------------------------------------------------------------------

    def account_resource(self) -> Resource:
        uid = f"arn:{self.partition}:s3::{self.account}:account-public-access-block"
        reads = _Reads(self, uid, self.home)
        bpa = reads.read(
            "s3control", "GetPublicAccessBlock", _bpa, absent=None, AccountId=self.account
        )
        self.account_bpa = bpa
        self.account_gaps = tuple(reads.gaps)
        return Resource(
            uid=uid,
            cloud="aws",
            account=self.account,
            region="global",
            kind="account.settings",
            native_type=ACCOUNT_BPA_TYPE,
            name=self.account,
            attributes={"public_access_block": _dump(bpa)},
            raw=reads.raw,
            gaps=self.account_gaps,
        )

    # -- buckets ---------------------------------------------------------------------------

    def list_buckets(self) -> list[_Entry]:
        entries: list[_Entry] = []
        client = self.clients.client("s3")
        pages = self.clients.pages(
            client,
            "ListBuckets",
            "ContinuationToken",
            "ContinuationToken",
            MaxBuckets=_LIST_BUCKETS_PAGE,
        )
        for page in pages:
            try:
                for bucket in page.get("Buckets") or []:
                    hint = bucket.get("BucketRegion")
                    entries.append(_Entry(str(bucket["Name"]), str(hint) if hint else None))
            except _PARSE_ERRORS as exc:
                raise _malformed("s3", "ListBuckets", exc) from exc
        return entries

    def bucket(self, entry: _Entry) -> Resource | None:
        """Collect one bucket; ``None`` when it is outside the wanted regions or gone."""
        name = entry.name
        uid = f"arn:{self.partition}:s3:::{name}"
        reads = _Reads(self, uid, entry.region or self.home)
        try:
            return self._bucket(reads, entry)
        except _Gone:
            return None

    def _bucket(self, reads: _Reads, entry: _Entry) -> Resource | None:
        name = entry.name
        region: str | Unknown
        if entry.region:
            region = entry.region
        else:
            region = reads.read("s3", "GetBucketLocation", _location, Bucket=name)
            if not isinstance(region, Unknown):
                if not self.wanted(region):
                    return None
                reads.region = region
        no_tags: dict[str, str] = {}
        tags = reads.read("s3", "GetBucketTagging", _tags, absent=no_tags, Bucket=name)
        acl = reads.read("s3", "GetBucketAcl", _acl, Bucket=name)
        policy = reads.read("s3", "GetBucketPolicy", _policy, absent=None, Bucket=name)
        bucket_bpa = reads.read("s3", "GetPublicAccessBlock", _bpa, absent=None, Bucket=name)
        ownership = reads.read(
            "s3", "GetBucketOwnershipControls", _ownership, absent=None, Bucket=name
        )
        website = reads.read("s3", "GetBucketWebsite", _present, absent=False, Bucket=name)
        if isinstance(region, Unknown):
            access_points: tuple[AccessPointState, ...] | Unknown = Unknown(
                f"bucket region unknown ({region.reason})"
            )
        else:
            access_points = self._access_points(reads, name, region)
        object_acls, sampled_all = self._object_acls(reads, name, ownership)
        if isinstance(self.account_bpa, Unknown):
            reads.gaps.extend(replace(g, resource_uid=reads.uid) for g in self.account_gaps)
        extra: dict[str, Any] = {}
        if isinstance(tags, Unknown):
            extra["tags"] = tags.to_dict()
        state = S3BucketState(
            name=name,
            account=self.account,
            region="" if isinstance(region, Unknown) else region,
            owner_id="" if isinstance(acl, Unknown) else acl[0],
            acl=acl if isinstance(acl, Unknown) else acl[1],
            policy=policy,
            bucket_bpa=bucket_bpa,
            account_bpa=self.account_bpa,
            ownership=ownership,
            website=website,
            access_points=access_points,
            object_acls=object_acls,
            objects_sampled_all=sampled_all,
            extra=extra,
        )
        return Resource(
            uid=reads.uid,
            cloud="aws",
            account=self.account,
            region=state.region,
            kind="storage.bucket",
            native_type=BUCKET_TYPE,
            name=name,
            attributes=state.to_dict(),
            tags={} if isinstance(tags, Unknown) else tags,
            raw=reads.raw,
            gaps=tuple(reads.gaps),
        )

    # -- access points ---------------------------------------------------------------------

    def _list_access_points(self, region: str) -> dict[str, list[dict[str, Any]]] | CollectError:
        """All access points of the account in ``region``, grouped by bucket (one listing)."""
        self.check_alive()
        by_bucket: dict[str, list[dict[str, Any]]] = {}
        client = self.clients.client("s3control", region)
        try:
            pages = self.clients.pages(
                client,
                "ListAccessPoints",
                "NextToken",
                "NextToken",
                AccountId=self.account,
                MaxResults=_LIST_ACCESS_POINTS_PAGE,
            )
            for page in pages:
                for summary in page.get("AccessPointList") or []:
                    if str(summary.get("BucketAccountId") or self.account) != self.account:
                        continue  # an access point of ours on another account's bucket
                    by_bucket.setdefault(str(summary["Bucket"]), []).append(_jsonable(summary))
        except EndpointError:
            raise
        except CollectError as exc:
            return exc
        except _PARSE_ERRORS as exc:
            return _malformed("s3control", "ListAccessPoints", exc)
        return by_bucket

    def _access_points(
        self, reads: _Reads, name: str, region: str
    ) -> tuple[AccessPointState, ...] | Unknown:
        index = self.access_point_index.get(region)
        if isinstance(index, CollectError):
            return reads.fail(index)
        summaries = index.get(name, [])
        if not summaries:
            return ()
        raw_aps: dict[str, Any] = reads.raw.setdefault("access_points", {})
        return tuple(self._access_point(reads, s, region, raw_aps) for s in summaries)

    def _access_point(
        self, reads: _Reads, summary: dict[str, Any], region: str, raw_aps: dict[str, Any]
    ) -> AccessPointState:
        ap_name = str(summary.get("Name", ""))
        raw: dict[str, Any] = {"ListAccessPoints": summary}
        raw_aps[ap_name] = raw
        ident: dict[str, Any] = {
            "region": region,
            "raw": raw,
            "AccountId": self.account,
            "Name": ap_name,
        }
        detail = reads.read("s3control", "GetAccessPoint", _access_point_detail, **ident)
        policy = reads.read("s3control", "GetAccessPointPolicy", _policy, absent=None, **ident)
        # the listing already holds the network origin: only the BPA is lost if GetAccessPoint is
        source, bpa = (summary, detail) if isinstance(detail, Unknown) else detail
        source = {**summary, **source}
        arn = str(source.get("AccessPointArn") or "")
        arn_parts = arn.split(":")
        return AccessPointState(
            name=ap_name,
            arn=arn,
            account=arn_parts[4] if len(arn_parts) > 4 and arn_parts[4] else self.account,
            network_origin=str(source.get("NetworkOrigin") or "Internet"),
            vpc_id=str((source.get("VpcConfiguration") or {}).get("VpcId") or ""),
            policy=policy,
            bpa=bpa,
        )

    # -- object ACL sample -----------------------------------------------------------------

    def _object_acls(
        self, reads: _Reads, name: str, ownership: str | Unknown | None
    ) -> tuple[tuple[ObjectAcl, ...] | Unknown, bool]:
        if ownership == "BucketOwnerEnforced":
            return (), True  # ACLs are disabled: object ACLs grant nothing
        size = self.ctx.limits.object_acl_sample
        if size <= 0:
            return (), False
        listing = reads.read("s3", "ListObjectsV2", _listing, Bucket=name, MaxKeys=size)
        if isinstance(listing, Unknown):
            return listing, False
        keys, truncated = listing
        raw_acls: dict[str, Any] = reads.raw.setdefault("GetObjectAcl", {})
        acls = tuple(
            ObjectAcl(
                key,
                reads.read(
                    "s3", "GetObjectAcl", _grants, raw=raw_acls, raw_key=key, Bucket=name, Key=key
                ),
            )
            for key in keys[:size]
        )
        return acls, not truncated and len(keys) <= size


class _Reads:
    """The calls made for one resource: answers go to ``raw``, failures to ``gaps``."""

    def __init__(self, scan: _Scan, uid: str, region: str) -> None:
        self.scan = scan
        self.uid = uid
        self.region = region
        self.gaps: list[Gap] = []
        self.raw: dict[str, Any] = {}

    def read(
        self,
        service: str,
        operation: str,
        parse: Callable[[dict[str, Any]], T],
        *,
        absent: T | _Missing = _MISSING,
        region: str | None = None,
        raw: dict[str, Any] | None = None,
        raw_key: str | None = None,
        **kwargs: Any,
    ) -> T | Unknown:
        """Call, parse, and turn any failure into an Unknown plus a Gap.

        ``absent`` is returned when the service says the configuration does not exist
        (:data:`ABSENT_CODES`). ``NoSuchBucket`` raises :class:`_Gone`; :class:`EndpointError`
        propagates (it ends the scan).
        """
        self.scan.check_alive()
        target = self.raw if raw is None else raw
        key = raw_key or operation
        client = self.scan.clients.client(service, region or self.region)
        try:
            answer = self.scan.clients.call(client, operation, **kwargs)
        except EndpointError:
            raise
        except CollectError as exc:
            if exc.code == "NoSuchBucket" and service == "s3":
                raise _Gone(kwargs.get("Bucket")) from exc
            if exc.code in ABSENT_CODES.get(operation, ()) and not isinstance(absent, _Missing):
                target[key] = None
                return absent
            return self.fail(exc, region)
        target[key] = _jsonable(strip_metadata(answer))
        try:
            return parse(answer)
        except _PARSE_ERRORS as exc:
            return self.fail(_malformed(service, operation, exc), region)

    def fail(self, exc: CollectError, region: str | None = None) -> Unknown:
        reason = str(exc)
        self.gaps.append(
            Gap(
                service=exc.service,
                operation=exc.operation,
                reason=reason,
                code=exc.code,
                resource_uid=self.uid,
                region=region or self.region,
            )
        )
        return Unknown(reason)


class _PerRegion(Generic[T]):
    """Compute a value once per region, even when many workers ask at the same time."""

    def __init__(self, build: Callable[[str], T]) -> None:
        self._build = build
        self._lock = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._values: dict[str, T] = {}

    def get(self, region: str) -> T:
        with self._lock:
            lock = self._locks.setdefault(region, threading.Lock())
        with lock:
            if region not in self._values:
                self._values[region] = self._build(region)
            return self._values[region]


# -- streaming -----------------------------------------------------------------------------


def _stream(scan: _Scan, entries: Iterable[_Entry]) -> Iterator[Resource]:
    """Run ``scan.bucket`` over ``entries`` with bounded concurrency, yielding as they finish.

    At most ``concurrency`` buckets are submitted and not yet consumed. On an EndpointError the
    buckets already complete are yielded, the rest are cancelled, and EndpointError is raised
    without waiting for the calls still in flight (they stop at their next call).
    """
    width = max(1, scan.ctx.limits.concurrency)
    todo = iter(entries)
    pending: set[Future[Resource | None]] = set()
    pool = ThreadPoolExecutor(max_workers=width, thread_name_prefix="andon-s3")
    done_count = 0

    def refill() -> None:
        while len(pending) < width:
            entry = next(todo, None)
            if entry is None:
                return
            pending.add(pool.submit(scan.bucket, entry))

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
                elif (resource := future.result()) is not None:
                    ready.append(resource)
            if failure is not None:
                scan.abort.set()
                ready.extend(
                    r
                    for f in pending
                    if f.done() and not f.cancelled() and not f.exception()
                    if (r := f.result()) is not None
                )
                yield from ready
                done_count += len(ready)
                if isinstance(failure, EndpointError):
                    raise EndpointError(
                        f"the S3 endpoint stopped answering mid-scan after {done_count} "
                        f"buckets; the scan is incomplete: {failure}",
                        service=failure.service,
                        operation=failure.operation,
                        code=failure.code,
                    ) from failure
                raise failure
            refill()
            for resource in ready:
                done_count += 1
                yield resource
    finally:
        scan.abort.set()
        pool.shutdown(wait=False, cancel_futures=True)


# -- parsing API answers -------------------------------------------------------------------


def region_from_location(constraint: Any) -> str:
    """A GetBucketLocation LocationConstraint as a region: None/"" → us-east-1, EU → eu-west-1."""
    if not constraint:
        return "us-east-1"
    if constraint == "EU":
        return "eu-west-1"
    return str(constraint)


def _location(answer: dict[str, Any]) -> str:
    return region_from_location(answer.get("LocationConstraint"))


def _tags(answer: dict[str, Any]) -> dict[str, str]:
    return {str(t["Key"]): str(t["Value"]) for t in answer.get("TagSet") or []}


def _grants(answer: dict[str, Any]) -> tuple[Grant, ...]:
    grants = []
    for grant in answer.get("Grants") or []:
        grantee = grant["Grantee"]
        kind = str(grantee["Type"])
        if kind == "Group":
            who = grantee.get("URI")
        elif kind == "CanonicalUser":
            who = grantee.get("ID")
        else:
            who = grantee.get("EmailAddress") or grantee.get("ID") or grantee.get("URI")
        grants.append(Grant(kind, str(who or ""), str(grant["Permission"])))
    return tuple(grants)


def _acl(answer: dict[str, Any]) -> tuple[str, tuple[Grant, ...]]:
    owner = answer.get("Owner") or {}
    return str(owner.get("ID") or ""), _grants(answer)


def _policy(answer: dict[str, Any]) -> str:
    policy = answer["Policy"]
    if not isinstance(policy, str):
        raise TypeError(f"policy is a {type(policy).__name__}, not text")
    return policy


def _bpa(answer: dict[str, Any]) -> Bpa:
    config = answer["PublicAccessBlockConfiguration"]
    if not isinstance(config, Mapping):
        raise TypeError("PublicAccessBlockConfiguration is not a document")
    return Bpa.from_dict(config)


def _ownership(answer: dict[str, Any]) -> str:
    return str(answer["OwnershipControls"]["Rules"][0]["ObjectOwnership"])


def _present(answer: dict[str, Any]) -> bool:
    return True


def _access_point_detail(answer: dict[str, Any]) -> tuple[dict[str, Any], Bpa | None]:
    """GetAccessPoint: the document itself and its BPA (absent → None)."""
    config = answer.get("PublicAccessBlockConfiguration")
    return answer, (None if config is None else _bpa(answer))


def _listing(answer: dict[str, Any]) -> tuple[list[str], bool]:
    keys = [str(o["Key"]) for o in answer.get("Contents") or []]
    return keys, bool(answer.get("IsTruncated"))


_PARSE_ERRORS = (KeyError, TypeError, ValueError, AttributeError, IndexError)


def _malformed(service: str, operation: str, exc: Exception) -> MalformedResponse:
    """An answer that parsed but does not have the expected shape."""
    return MalformedResponse(
        f"MalformedResponse on {operation}: {type(exc).__name__}: {exc}",
        service=service,
        operation=operation,
        code="MalformedResponse",
    )


def _dump(value: Bpa | Unknown | None) -> dict[str, Any] | None:
    return None if value is None else value.to_dict()


def _jsonable(value: Any) -> Any:
    """A JSON-safe copy of an API answer (timestamps as ISO 8601 text, bytes summarized)."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray):
        return f"<{len(value)} bytes>"
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
