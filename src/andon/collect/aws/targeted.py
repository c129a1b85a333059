"""Re-collect exactly the resources an event named, through each collector's own per-resource
path: the same calls, the same normalization, the same failure model as a full scan.

:func:`recollect` takes :class:`~andon.watch.refs.ResourceRef` (from
:func:`andon.watch.events.parse_event`) and yields the :class:`Resource` each stands for, read
again now. Instead of a service's listing, each reference is located with one cheap call
(GetQueueUrl, DescribeKey, GetFunctionConfiguration, DescribeDBInstances with an identifier…),
then the collector's per-resource function reads it exactly as a full scan would:

* a resource that no longer exists (the service says "no such …", or the locating call finds
  nothing) yields nothing: a targeted scan then resolves its findings;
* a failed sub-document read is an ``Unknown`` field plus a gap on the resource, as in a full
  scan; a reference that cannot even be located (denied, throttled, malformed answer) is
  skipped, every other reference is still yielded, and the first such error is raised at the
  end (like a failed listing); :func:`recollect_each` reports them one by one instead;
* an :class:`EndpointError` ends the run at once, as everywhere.

A reference to something no collector emits expands to what it affects: a security group to
the EC2 instances, RDS instances and clusters and Redshift clusters using it; a route table or
a VPC to those in the VPC; a network interface to its instance; an S3 access point to its
bucket. An S3 bucket is read with the account's Block Public Access read once per run. The
EC2, RDS and Redshift handlers live in :mod:`andon.collect.aws.targeted_network`.

The credentials read one account: a reference to another account is a failure
(``OtherAccount``); :func:`andon.watch.rescan.rescan` groups references by account.

Calls beyond the full scan's (all read-only): sqs:GetQueueUrl, secretsmanager:DescribeSecret,
ecr:DescribeRepositories (by name), elasticfilesystem:DescribeFileSystems (by id),
lambda:GetFunctionConfiguration, glacier:DescribeVault, backup:DescribeBackupVault,
apigateway:GET (GetRestApi), dynamodb:DescribeTable, ec2:DescribeNetworkInterfaces,
s3:GetAccessPoint; see :data:`TARGETED_OPERATIONS`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

from andon.collect.aws import (
    apigateway,
    backup,
    dynamodb,
    ec2,
    ecr,
    efs,
    glacier,
    kms,
    lambda_,
    opensearch,
    secretsmanager,
    sns,
    sqs,
)
from andon.collect.aws._kit import PARSE_ERRORS, Gone, Region, malformed
from andon.collect.aws.s3 import Operation, _Entry, _Scan
from andon.collect.aws.transport import AwsClients
from andon.core.context import Context
from andon.core.errors import CollectError, EndpointError
from andon.core.model import Resource
from andon.watch.refs import (
    ACCESS_POINT,
    NETWORK_INTERFACE,
    ROUTE_TABLE,
    SECURITY_GROUP,
    VPC,
    ResourceRef,
)

TARGETED_OPERATIONS: tuple[Operation, ...] = (
    Operation("sqs", "GetQueueUrl", "sqs:GetQueueUrl"),
    Operation("secretsmanager", "DescribeSecret", "secretsmanager:DescribeSecret"),
    Operation("lambda", "GetFunctionConfiguration", "lambda:GetFunctionConfiguration"),
    Operation("glacier", "DescribeVault", "glacier:DescribeVault"),
    Operation("backup", "DescribeBackupVault", "backup:DescribeBackupVault"),
    Operation("apigateway", "GetRestApi", "apigateway:GET"),
    Operation("dynamodb", "DescribeTable", "dynamodb:DescribeTable"),
    Operation("ec2", "DescribeNetworkInterfaces", "ec2:DescribeNetworkInterfaces"),
    Operation("s3control", "GetAccessPoint", "s3:GetAccessPoint"),
)
"""Calls a targeted re-collection makes that a full scan does not (all read-only)."""

Failure = tuple[ResourceRef, CollectError]


def recollect(ctx: Context, clients: AwsClients, refs: Iterable[ResourceRef]) -> Iterator[Resource]:
    """Yield the resources ``refs`` stand for, each once, read again now.

    Raises, after yielding everything else, the first error of a reference that could not be
    located; raises :class:`EndpointError` at once.
    """
    failures: list[Failure] = []
    yield from recollect_each(ctx, clients, refs, failures)
    if failures:
        ref, first = failures[0]
        more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
        raise type(first)(
            f"{ref.uid}: {first}{more}",
            service=first.service,
            operation=first.operation,
            code=first.code,
        )


def recollect_each(
    ctx: Context,
    clients: AwsClients,
    refs: Iterable[ResourceRef],
    failures: list[Failure],
) -> Iterator[Resource]:
    """:func:`recollect`, with every reference that could not be located appended to
    ``failures`` instead of raised (an :class:`EndpointError` still propagates).

    References are re-read concurrently, at most ``ctx.limits.concurrency`` at once, and
    their resources yielded as each completes (each uid once). When the endpoint dies, what
    is complete is yielded, the rest is cancelled and the :class:`EndpointError` raised.
    """
    run = Run(ctx, clients)
    work: dict[tuple[str, ...], tuple[Handler, list[ResourceRef]]] = {}
    for ref in refs:
        handler, key = _work(ref)
        work.setdefault(key, (handler, []))[1].append(ref)  # a function and its URL: one read
    if not work:
        return
    seen: set[str] = set()
    pool = ThreadPoolExecutor(
        max_workers=max(1, min(ctx.limits.concurrency, len(work))),
        thread_name_prefix="andon-targeted",
    )
    try:
        pending = {pool.submit(_one, run, h, same[0]): same for h, same in work.values()}
        for future in as_completed(pending):
            try:
                got = future.result()
            except EndpointError:
                run.stop()  # yield what is complete, then raise without waiting for the rest
                done = [f for f in pending if f is not future and _succeeded(f)]
                yield from _unseen(seen, (r for f in done for r in f.result()))
                raise
            except CollectError as exc:
                failures.extend((ref, exc) for ref in pending[future])
                continue
            yield from _unseen(seen, got)
    finally:
        run.stop()
        pool.shutdown(wait=False, cancel_futures=True)


def _succeeded(future: Future[list[Resource]]) -> bool:
    return future.done() and not future.cancelled() and future.exception() is None


def _unseen(seen: set[str], resources: Iterable[Resource]) -> Iterator[Resource]:
    for resource in resources:
        if resource.uid not in seen:
            seen.add(resource.uid)
            yield resource


def _one(run: Run, handler: Handler, ref: ResourceRef) -> list[Resource]:
    """One reference: its resources; ``[]`` when gone; a malformed answer is a failure."""
    try:
        return handler(run, ref)
    except Gone:
        return []
    except PARSE_ERRORS as exc:
        raise malformed(ref.service, "targeted", exc) from exc


# -- one run ------------------------------------------------------------------------------------


@dataclass
class Run:
    """What the references of one call share: the S3 scan state (account BPA, access point
    index) and one EC2 network index per region."""

    ctx: Context
    clients: AwsClients
    _account: str | None = None
    _s3: _Scan | None = None
    _nets: dict[str, ec2.Ec2Network] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def account(self) -> str:
        if self._account is None:
            self._account = self.clients.account_id()
        return self._account

    def check_account(self, ref: ResourceRef) -> None:
        if ref.account and ref.account != self.account:
            raise CollectError(
                f"{ref.uid} belongs to account {ref.account}; these credentials are for "
                f"{self.account}",
                service=ref.service,
                operation="targeted",
                code="OtherAccount",
            )

    def s3(self) -> _Scan:
        with self._lock:  # workers share one S3 state: the account BPA is read once
            if self._s3 is None:
                scan = _Scan(self.ctx, self.clients)
                scan.account_resource()  # the account BPA every bucket verdict needs
                self._s3 = scan
            return self._s3

    def net(self, region: str) -> ec2.Ec2Network:
        with self._lock:
            if region not in self._nets:
                self._nets[region] = ec2.Ec2Network(self.clients, self.account, region)
            return self._nets[region]

    def stop(self) -> None:
        """Make S3 workers still running stop at their next call (the endpoint died)."""
        if self._s3 is not None:
            self._s3.abort.set()

    def region(self, ref: ResourceRef, service: str, module: Any) -> Region:
        return Region(
            self.ctx,
            self.clients,
            self.account,
            ref.region,
            service=service,
            kinds=module.KINDS,
            absent=getattr(module, "ABSENT", None),
            gone=getattr(module, "GONE", None) or getattr(module, "_GONE", None),
        )

    def call(self, ref: ResourceRef, service: str, operation: str, **kwargs: Any) -> Any:
        client = self.clients.client(service, ref.region)
        return self.clients.call(client, operation, **kwargs)


Handler = Callable[["Run", ResourceRef], list[Resource]]
"""Re-reads one reference: the resources it stands for (``[]``: gone)."""


def locate(
    run: Run, ref: ResourceRef, service: str, operation: str, gone: Iterable[str], **kw: Any
) -> Any:
    """One locating call; a "no such resource" code raises :class:`Gone`."""
    try:
        return run.call(ref, service, operation, **kw)
    except EndpointError:
        raise
    except CollectError as exc:
        if exc.code in frozenset(gone):
            raise Gone(ref.uid) from exc
        raise


def arn_tail(uid: str, sep: str = "/") -> str:
    """The last part of an ARN's resource (``…:key/abc`` → ``abc``)."""
    return uid.rsplit(sep, 1)[-1]


# -- S3 -----------------------------------------------------------------------------------------


def _bucket(run: Run, ref: ResourceRef) -> list[Resource]:
    run.check_account(ref)
    name = ref.uid.split(":::", 1)[-1]
    got = run.s3().bucket(_Entry(name, None))
    return [] if got is None else [got]


def _account_settings(run: Run, ref: ResourceRef) -> list[Resource]:
    run.check_account(ref)
    scan = run.s3()
    return [scan.account_resource()]


def _access_point(run: Run, ref: ResourceRef) -> list[Resource]:
    run.check_account(ref)
    name = arn_tail(ref.uid)
    answer = locate(
        run,
        ref,
        "s3control",
        "GetAccessPoint",
        ("NoSuchAccessPoint",),
        AccountId=run.account,
        Name=name,
    )
    bucket = str(answer["Bucket"])
    partition = ref.uid.split(":")[1]
    bucket_ref = ResourceRef(ref.account, ref.region, "s3", "storage.bucket", "")
    return _bucket(run, with_uid(bucket_ref, f"arn:{partition}:s3:::{bucket}"))


def with_uid(ref: ResourceRef, uid: str) -> ResourceRef:
    return ResourceRef(ref.account, ref.region, ref.service, ref.kind, uid)


# -- resource-policy services -------------------------------------------------------------------

_NO_QUEUE = ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")


def _queue(run: Run, ref: ResourceRef) -> list[Resource]:
    run.check_account(ref)
    parts = ref.uid.split(":")
    name, owner = parts[5], parts[4]
    answer = locate(
        run, ref, "sqs", "GetQueueUrl", _NO_QUEUE, QueueName=name, QueueOwnerAWSAccountId=owner
    )
    url = str(answer["QueueUrl"])
    return [sqs._queue(run.region(ref, "sqs", sqs), url)]


def _topic(run: Run, ref: ResourceRef) -> list[Resource]:
    run.check_account(ref)
    return [sns._topic(run.region(ref, "sns", sns), ref.uid)]


def _key(run: Run, ref: ResourceRef) -> list[Resource]:
    run.check_account(ref)
    return [kms._key(run.region(ref, "kms", kms), arn_tail(ref.uid), ref.uid)]


def _secret(run: Run, ref: ResourceRef) -> list[Resource]:
    run.check_account(ref)
    answer = locate(
        run,
        ref,
        "secretsmanager",
        "DescribeSecret",
        ("ResourceNotFoundException",),
        SecretId=ref.uid,
    )
    if answer.get("DeletedDate"):
        return []  # scheduled for deletion: a full scan does not list it either
    entry = secretsmanager._entry({k: answer[k] for k in ("ARN", "Name", "Tags") if k in answer})
    return [secretsmanager._secret(run.region(ref, "secretsmanager", secretsmanager), entry)]


def _repository(run: Run, ref: ResourceRef) -> list[Resource]:
    run.check_account(ref)
    name = ref.uid.split(":repository/", 1)[-1]
    answer = locate(
        run,
        ref,
        "ecr",
        "DescribeRepositories",
        ("RepositoryNotFoundException",),
        repositoryNames=[name],
        registryId=ref.account or run.account,
    )
    repos = answer.get("repositories") or []
    if not repos:
        return []
    entry = ecr._entry(repos[0])
    return [ecr._repository(run.region(ref, "ecr", ecr), entry)]


def _file_system(run: Run, ref: ResourceRef) -> list[Resource]:
    run.check_account(ref)
    fs_id = arn_tail(ref.uid)
    answer = locate(
        run, ref, "efs", "DescribeFileSystems", ("FileSystemNotFound",), FileSystemId=fs_id
    )
    systems = answer.get("FileSystems") or []
    if not systems:
        return []
    return [efs._file_system(run.region(ref, "efs", efs), efs._entry(systems[0]))]


def _function_arn(uid: str) -> str:
    """``…:function:name[:qualifier][/url]`` → ``…:function:name``."""
    base = uid[: -len("/url")] if uid.endswith("/url") else uid
    parts = base.split(":")
    return ":".join(parts[:7])


def _function(run: Run, ref: ResourceRef) -> list[Resource]:
    run.check_account(ref)
    arn = _function_arn(ref.uid)
    answer = locate(
        run,
        ref,
        "lambda",
        "GetFunctionConfiguration",
        ("ResourceNotFoundException",),
        FunctionName=arn,
    )
    entry = lambda_._entry({k: v for k, v in answer.items() if k != "ResponseMetadata"})
    return lambda_._function(run.region(ref, "lambda", lambda_), entry)


def _domain(run: Run, ref: ResourceRef) -> list[Resource]:
    run.check_account(ref)
    name = arn_tail(ref.uid)
    answer = locate(
        run,
        ref,
        "opensearch",
        "DescribeDomains",
        ("ResourceNotFoundException",),
        DomainNames=[name],
    )
    status = opensearch._statuses(answer).get(name)
    if status is None:
        return []
    region = run.region(ref, "opensearch", opensearch)
    arn = str(status.get("ARN") or ref.uid)
    reads = region.reads(arn)
    reads.keep("DescribeDomains", status)
    return [opensearch._domain(region, reads, name, arn, status)]


def _vault(run: Run, ref: ResourceRef) -> list[Resource]:
    run.check_account(ref)
    name = arn_tail(ref.uid)
    answer = locate(
        run,
        ref,
        "glacier",
        "DescribeVault",
        ("ResourceNotFoundException",),
        accountId="-",
        vaultName=name,
    )
    entry = glacier._entry({k: v for k, v in answer.items() if k != "ResponseMetadata"})
    return [glacier._vault(run.region(ref, "glacier", glacier), entry)]


def _backup_vault(run: Run, ref: ResourceRef) -> list[Resource]:
    run.check_account(ref)
    name = arn_tail(ref.uid, ":")
    answer = locate(
        run,
        ref,
        "backup",
        "DescribeBackupVault",
        ("ResourceNotFoundException",),
        BackupVaultName=name,
    )
    entry = backup._entry({k: v for k, v in answer.items() if k != "ResponseMetadata"})
    return [backup._vault(run.region(ref, "backup", backup), entry)]


def _rest_api(run: Run, ref: ResourceRef) -> list[Resource]:
    run.check_account(ref)
    api_id = arn_tail(ref.uid)
    answer = locate(run, ref, "apigateway", "GetRestApi", ("NotFoundException",), restApiId=api_id)
    entry = apigateway._entry({k: v for k, v in answer.items() if k != "ResponseMetadata"})
    return [apigateway._api(run.region(ref, "apigateway", apigateway), entry)]


def _table(run: Run, ref: ResourceRef) -> list[Resource]:
    run.check_account(ref)
    name = ref.uid.split(":table/", 1)[-1].split("/", 1)[0]
    locate(run, ref, "dynamodb", "DescribeTable", ("ResourceNotFoundException",), TableName=name)
    return [dynamodb._table(run.region(ref, "dynamodb", dynamodb), name)]


# -- dispatch -----------------------------------------------------------------------------------

_OWN: dict[str, Handler] = {
    "storage.bucket": _bucket,
    "account.settings": _account_settings,
    ACCESS_POINT: _access_point,
    "messaging.queue": _queue,
    "messaging.topic": _topic,
    "crypto.key": _key,
    "secrets.secret": _secret,
    "registry.repository": _repository,
    "storage.filesystem": _file_system,
    "compute.function": _function,
    "compute.function_url": _function,
    "search.domain": _domain,
    "storage.archive_vault": _vault,
    "backup.vault": _backup_vault,
    "api.rest_api": _rest_api,
    "database.table": _table,
}

KINDS: frozenset[str] = frozenset(
    {
        *_OWN,
        "database.instance",
        "database.cluster",
        "snapshot.database",
        "snapshot.database_cluster",
        "warehouse.cluster",
        "compute.instance",
        "snapshot.volume",
        "image.machine",
        SECURITY_GROUP,
        ROUTE_TABLE,
        VPC,
        NETWORK_INTERFACE,
    }
)
"""Every reference kind :func:`recollect` can re-read."""


def _unsupported(run: Run, ref: ResourceRef) -> list[Resource]:
    raise CollectError(
        f"Andon cannot re-collect resources of kind {ref.kind!r} one by one",
        service=ref.service,
        operation="targeted",
        code="UnsupportedKind",
    )


def _work(ref: ResourceRef) -> tuple[Handler, tuple[str, ...]]:
    """What to do for ``ref``, keyed so that references to the same thing run once (a
    function and its URL re-read the function once)."""
    from andon.collect.aws.targeted_network import HANDLERS

    handler = _OWN.get(ref.kind) or HANDLERS.get(ref.kind) or _unsupported
    if handler is _function:
        return handler, ("lambda", ref.account, ref.region, _function_arn(ref.uid))
    return handler, (ref.kind, ref.account, ref.region, ref.uid)
