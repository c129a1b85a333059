"""Which resources each exposure-changing CloudTrail event touches.

One entry per (``eventSource``, ``eventName``): a function from the event's
``requestParameters`` / ``responseElements`` (and its top-level ``resources`` list) to the
:class:`ResourceRef` of every resource the call may have changed, plus the (account, service)
pairs to re-sweep when a call changes a whole account (the account-level S3 Block Public
Access changes every bucket's verdict). Field names and shapes follow the CloudTrail log
examples of each service's documentation (cited in ``tests/watch/test_events.py``); every
lookup is defensive, because a queue can hold anything:

* an identifier that is present but is not text, is huge, or holds control characters raises
  :class:`MalformedEvent`;
* a successful call whose event lacks the identifier a mapping needs raises
  :class:`MalformedEvent` too (the sweep still covers the change);
* a call that changes nothing exposure-related (``SetQueueAttributes`` of a visibility timeout,
  ``ModifyDBSnapshotAttribute`` of another attribute) maps to nothing, and the caller returns
  ``None`` for it.

Lambda logs versioned event names (``AddPermission20150331v2``,
``CreateFunctionUrlConfig20211031``): :func:`normalize_name` strips the suffix before lookup,
and :data:`EVENT_NAMES` lists both forms for the EventBridge rule. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from andon.watch.refs import (
    ACCESS_POINT,
    NETWORK_INTERFACE,
    ROUTE_TABLE,
    SECURITY_GROUP,
    VPC,
    Call,
    MalformedEvent,
    Mapped,
    first,
    ident,
    is_arn,
    items,
    mapping,
    normalize_name,
    partition_of,
)

Mapper = Callable[[Call], Mapped]

# -- S3 ---------------------------------------------------------------------------------------

S3 = "s3"
BUCKET = "storage.bucket"
ACCOUNT_SETTINGS = "account.settings"


def bucket_uid(partition: str, name: str) -> str:
    return f"arn:{partition}:s3:::{name}"


def account_bpa_uid(partition: str, account: str) -> str:
    return f"arn:{partition}:s3::{account}:account-public-access-block"


def _bucket(call: Call) -> Mapped:
    name = call.need(call.req("bucketName", "bucket", "Bucket"), "bucket")
    if "/" in name:
        raise MalformedEvent(f"{call.name}: bucket name {name[:80]!r} holds a slash")
    return Mapped([call.ref(S3, BUCKET, bucket_uid(call.partition, name))])


def _account_bpa(call: Call) -> Mapped:
    account = call.req("x-amz-account-id", "accountId") or call.account
    if not account.isdigit():
        raise MalformedEvent(f"{call.name}: account id {account[:40]!r} is not a number")
    uid = account_bpa_uid(call.partition, account)
    ref = call.ref(S3, ACCOUNT_SETTINGS, uid, account=account, region="global")
    return Mapped([ref], [(account, S3)])


def _nested_bucket(request: Mapping[str, Any], depth: int = 0) -> str | None:
    """``Bucket`` anywhere in an S3 Control request (CreateAccessPoint nests it)."""
    for key in ("bucket", "Bucket", "bucketName"):
        if key in request:
            return ident(request[key], key)
    if depth < 3:
        for value in request.values():
            if isinstance(value, Mapping):
                found = _nested_bucket(value, depth + 1)
                if found is not None:
                    return found
    return None


def _access_point_name(call: Call) -> tuple[str, str]:
    """(name, account) of an access point named in an S3 Control request."""
    raw = call.need(call.req("name", "accessPointName", "Name"), "access point")
    if is_arn(raw):  # arn:aws:s3:region:account:accesspoint/name
        parts = raw.split(":")
        return parts[5].split("/", 1)[-1], parts[4] or call.account
    account = call.req("x-amz-account-id", "accountId") or call.account
    return raw, account


def _access_point(call: Call) -> Mapped:
    name, account = _access_point_name(call)
    uid = call.arn("s3", f"accesspoint/{name}", account=account)
    refs = [call.ref(S3, ACCESS_POINT, uid, account=account)]
    bucket = _nested_bucket(call.request)
    if bucket is not None and not is_arn(bucket):
        refs.append(call.ref(S3, BUCKET, bucket_uid(call.partition, bucket), account=account))
    return Mapped(refs)


def _deleted_access_point(call: Call) -> Mapped:
    """A deleted access point no longer names its bucket: re-sweep the account's S3."""
    mapped = _access_point(call)
    account = mapped.refs[0].account
    return Mapped(mapped.refs, [(account, S3)])


# -- resource-policy services -----------------------------------------------------------------


def _queue(call: Call) -> Mapped:
    url = call.req("queueUrl", "QueueUrl") or call.resp("queueUrl", "QueueUrl")
    if url is None:
        name = call.need(call.req("queueName", "QueueName"), "queue")
        return Mapped([call.ref("sqs", "messaging.queue", call.arn("sqs", name))])
    parts = [p for p in url.split("?", 1)[0].split("/") if p]
    if len(parts) < 2 or not parts[-2].isdigit():
        raise MalformedEvent(f"{call.name}: {url[:120]!r} is not a queue URL")
    account, name = parts[-2], parts[-1]
    uid = call.arn("sqs", name, account=account)
    return Mapped([call.ref("sqs", "messaging.queue", uid, account=account)])


def _queue_attributes(call: Call) -> Mapped:
    attributes = mapping(call.request.get("attributes"), "attributes")
    if attributes and "Policy" not in attributes:
        return Mapped()  # a timeout, a retention period...: no exposure change
    return _queue(call)


def _topic(call: Call) -> Mapped:
    arn = call.req("topicArn", "TopicArn") or call.resp("topicArn", "TopicArn")
    if arn is None:
        name = call.need(call.req("name", "Name"), "topic")
        arn = call.arn("sns", name)
    if not is_arn(arn):
        raise MalformedEvent(f"{call.name}: {arn[:120]!r} is not a topic ARN")
    return Mapped([call.from_arn("sns", "messaging.topic", arn)])


def _topic_attributes(call: Call) -> Mapped:
    name = call.req("attributeName", "AttributeName")
    if name is not None and name != "Policy":
        return Mapped()
    return _topic(call)


def _key(call: Call) -> Mapped:
    meta = mapping(call.response.get("keyMetadata"), "keyMetadata")
    arn = first(meta, ("arn", "aRN")) or call.resource_arn("AWS::KMS::Key")
    key = call.req("keyId", "KeyId")
    if arn is None and key is not None:
        if is_arn(key):
            arn = key
        elif key.startswith("alias/"):
            raise MalformedEvent(f"{call.name}: a key policy names a key, not an alias")
        else:
            arn = call.arn("kms", f"key/{key}")
    arn = call.need(arn, "KMS key")
    if not is_arn(arn):
        raise MalformedEvent(f"{call.name}: {arn[:120]!r} is not a key ARN")
    return Mapped([call.from_arn("kms", "crypto.key", arn)])


def _secret(call: Call) -> Mapped:
    arn = call.resp("aRN", "arn", "ARN")
    if arn is None:
        secret = call.need(call.req("secretId", "SecretId", "name", "Name"), "secret")
        arn = secret if is_arn(secret) else call.arn("secretsmanager", f"secret:{secret}")
    if not is_arn(arn):
        raise MalformedEvent(f"{call.name}: {arn[:120]!r} is not a secret ARN")
    return Mapped([call.from_arn("secretsmanager", "secrets.secret", arn)])


def _repository(call: Call) -> Mapped:
    repo = mapping(call.response.get("repository"), "repository")
    arn = first(repo, ("repositoryArn",))
    if arn is None:
        name = call.need(call.req("repositoryName"), "repository")
        registry = call.req("registryId") or call.account
        arn = call.arn("ecr", f"repository/{name}", account=registry)
    return Mapped([call.from_arn("ecr", "registry.repository", arn)])


def _file_system(call: Call) -> Mapped:
    arn = call.resp("fileSystemArn")
    fs = call.req("fileSystemId") or call.resp("fileSystemId")
    if arn is None:
        fs = call.need(fs, "file system")
        arn = fs if is_arn(fs) else call.arn("elasticfilesystem", f"file-system/{fs}")
    return Mapped([call.from_arn("efs", "storage.filesystem", arn)])


def _lambda_name(call: Call) -> tuple[str, str, str, str]:
    """(function ARN, qualifier, account, region) from ``functionName`` in any of its forms:
    ``name``, ``name:qualifier``, ``account:function:name[:qualifier]``, a full ARN."""
    raw = call.need(call.req("functionName", "FunctionName"), "function")
    account, region = call.account, call.region
    qualifier = call.req("qualifier", "Qualifier") or ""
    if is_arn(raw):
        parts = raw.split(":")
        if len(parts) < 7 or parts[5] != "function":
            raise MalformedEvent(f"{call.name}: {raw[:120]!r} is not a function ARN")
        region, account, name = parts[3] or region, parts[4] or account, parts[6]
        qualifier = parts[7] if len(parts) > 7 else qualifier
    elif ":function:" in raw:
        parts = raw.split(":")
        account, name = parts[0], parts[2]
        qualifier = parts[3] if len(parts) > 3 else qualifier
    else:
        name, _, inline = raw.partition(":")
        qualifier = inline or qualifier
    if not name:
        raise MalformedEvent(f"{call.name}: empty function name")
    partition = partition_of(region)
    arn = f"arn:{partition}:lambda:{region}:{account}:function:{name}"
    return arn, qualifier, account, region


def _function(call: Call) -> Mapped:
    """The function (its policy, and the AuthType condition of its unqualified URL) and the
    URL its policy governs: the unqualified one, or the alias's when a qualifier is given."""
    arn, qualifier, account, region = _lambda_name(call)
    url = f"{arn}:{qualifier}/url" if qualifier and qualifier != "$LATEST" else f"{arn}/url"
    return Mapped(
        [
            call.ref("lambda", "compute.function", arn, account=account, region=region),
            call.ref("lambda", "compute.function_url", url, account=account, region=region),
        ]
    )


def _alias(call: Call) -> Mapped:
    arn, _, account, region = _lambda_name(call)
    alias = call.need(call.req("name", "Name"), "alias")
    url = f"{arn}:{alias}/url"
    return Mapped(
        [
            call.ref("lambda", "compute.function", arn, account=account, region=region),
            call.ref("lambda", "compute.function_url", url, account=account, region=region),
        ]
    )


def _domain(call: Call) -> Mapped:
    status = mapping(call.response.get("domainStatus"), "domainStatus")
    arn = first(status, ("aRN", "arn", "ARN"))
    if arn is None:
        name = call.need(call.req("domainName", "DomainName"), "domain")
        arn = call.arn("es", f"domain/{name}")
    return Mapped([call.from_arn("opensearch", "search.domain", arn)])


def _vault(call: Call) -> Mapped:
    name = call.need(call.req("vaultName"), "vault")
    account = call.req("accountId")
    if account is None or account == "-":
        account = call.account
    uid = call.arn("glacier", f"vaults/{name}", account=account)
    return Mapped([call.ref("glacier", "storage.archive_vault", uid, account=account)])


def _backup_vault(call: Call) -> Mapped:
    arn = call.resp("backupVaultArn")
    if arn is None:
        name = call.need(call.req("backupVaultName"), "backup vault")
        arn = call.arn("backup", f"backup-vault:{name}")
    return Mapped([call.from_arn("backup", "backup.vault", arn)])


def _rest_api(call: Call) -> Mapped:
    api = call.req("restApiId") or call.resp("id", "restApiId")
    api = call.need(api, "REST API")
    uid = f"arn:{call.partition}:apigateway:{call.region}::/restapis/{api}"
    return Mapped([call.ref("apigateway", "api.rest_api", uid)])


def _ddb_table(call: Call) -> Mapped:
    desc = mapping(call.response.get("tableDescription"), "tableDescription")
    arn = call.req("resourceArn", "ResourceArn") or first(desc, ("tableArn",))
    if arn is None:
        name = call.need(call.req("tableName", "TableName"), "table")
        arn = name if is_arn(name) else call.arn("dynamodb", f"table/{name}")
    if not is_arn(arn) or ":table/" not in arn:
        raise MalformedEvent(f"{call.name}: {arn[:120]!r} is not a table ARN")
    table = arn.split("/stream/", 1)[0]  # a stream's policy: the table's resource
    return Mapped([call.from_arn("dynamodb", "database.table", table)])


# -- databases and networks -------------------------------------------------------------------


def _rds(kind: str, arn_type: str, keys: tuple[str, ...], arn_key: str) -> Mapper:
    def mapper(call: Call) -> Mapped:
        refs = []
        arn = call.resp(arn_key)
        if arn is not None:
            refs.append(call.from_arn("rds", kind, arn))
        for key in keys:
            value = call.req(key)
            if value is not None:
                uid = call.arn("rds", f"{arn_type}:{value.lower()}")
                if uid not in {r.uid for r in refs}:
                    refs.append(call.ref("rds", kind, uid))
        if not refs:
            raise MalformedEvent(f"{call.name}: the event does not say which {kind}")
        return Mapped(refs)

    return mapper


_INSTANCE_KEYS = ("dBInstanceIdentifier", "newDBInstanceIdentifier", "targetDBInstanceIdentifier")
_CLUSTER_KEYS = ("dBClusterIdentifier", "newDBClusterIdentifier")


def _snapshot_attribute(inner: Mapper) -> Mapper:
    def mapper(call: Call) -> Mapped:
        attribute = call.req("attributeName", "AttributeName")
        if attribute is not None and attribute != "restore":
            return Mapped()
        return inner(call)

    return mapper


def _redshift(call: Call) -> Mapped:
    refs = []
    for key in ("clusterIdentifier", "newClusterIdentifier"):
        value = call.req(key)
        if value is not None:
            uid = call.arn("redshift", f"cluster:{value.lower()}")
            refs.append(call.ref("redshift", "warehouse.cluster", uid))
    if not refs:
        raise MalformedEvent(f"{call.name}: the event does not say which cluster")
    return Mapped(refs)


def _instances(call: Call) -> Mapped:
    ids: list[str] = []
    one = call.req("instanceId")
    if one is not None:
        ids.append(one)
    for key in ("instancesSet",):
        for container in (call.request, call.response):
            for entry in items(container.get(key), key):
                if isinstance(entry, Mapping):
                    value = ident(entry.get("instanceId"), "instanceId")
                    if value is not None and value not in ids:
                        ids.append(value)
    refs = [call.ref("ec2", "compute.instance", call.arn("ec2", f"instance/{i}")) for i in ids]
    eni = call.req("networkInterfaceId")
    if eni is not None:
        uid = call.arn("ec2", f"network-interface/{eni}")
        refs.append(call.ref("ec2", NETWORK_INTERFACE, uid))
    if not refs:
        raise MalformedEvent(f"{call.name}: the event does not say which instance")
    return Mapped(refs)


def _eni(call: Call) -> Mapped:
    eni = call.need(call.req("networkInterfaceId"), "network interface")
    uid = call.arn("ec2", f"network-interface/{eni}")
    return Mapped([call.ref("ec2", NETWORK_INTERFACE, uid)])


def _security_group(call: Call) -> Mapped:
    ids: list[str] = []
    one = call.req("groupId", "GroupId")
    if one is not None:
        ids.append(one)
    for entry in items(call.response.get("securityGroupRuleSet"), "securityGroupRuleSet"):
        if isinstance(entry, Mapping):
            value = ident(entry.get("groupId"), "groupId")
            if value is not None and value not in ids:
                ids.append(value)
    if not ids:
        name = call.req("groupName", "GroupName")
        if name is not None:  # a default-VPC group named, not identified: the whole region
            return Mapped([], [(call.account, "ec2"), (call.account, "rds")])
        raise MalformedEvent(f"{call.name}: the event does not say which security group")
    return Mapped(
        [call.ref("ec2", SECURITY_GROUP, call.arn("ec2", f"security-group/{g}")) for g in ids]
    )


def _route_table(call: Call) -> Mapped:
    table = call.req("routeTableId")
    if table is None:  # DisassociateRouteTable names only the association
        return _network_sweep(call)
    return Mapped([call.ref("ec2", ROUTE_TABLE, call.arn("ec2", f"route-table/{table}"))])


def _vpc(call: Call) -> Mapped:
    vpc = call.need(call.req("vpcId"), "VPC")
    return Mapped([call.ref("ec2", VPC, call.arn("ec2", f"vpc/{vpc}"))])


def _network_sweep(call: Call) -> Mapped:
    return Mapped([], [(call.account, "ec2"), (call.account, "rds"), (call.account, "redshift")])


def _copy(arn_type: str, key: str, kind: str, attribute: str) -> Mapper:
    def mapper(call: Call) -> Mapped:
        attr = call.req("attributeType", "attribute")
        if attr is not None and attr.lower().replace("_", "") not in (attribute.lower(), ""):
            return Mapped()
        ident_ = call.need(call.req(key), kind)
        uid = f"arn:{call.partition}:ec2:{call.region}::{arn_type}/{ident_}"
        return Mapped([call.ref("ec2", kind, uid)])

    return mapper


def _ec2_sweep(call: Call) -> Mapped:
    return Mapped([], [(call.account, "ec2")])


# -- the table --------------------------------------------------------------------------------

_S3_SOURCES = ("s3.amazonaws.com", "s3control.amazonaws.com")

_RDS_INSTANCE = _rds("database.instance", "db", _INSTANCE_KEYS, "dBInstanceArn")
_RDS_CLUSTER = _rds("database.cluster", "cluster", _CLUSTER_KEYS, "dBClusterArn")
_RDS_SNAPSHOT = _rds("snapshot.database", "snapshot", ("dBSnapshotIdentifier",), "dBSnapshotArn")
_RDS_CLUSTER_SNAPSHOT = _rds(
    "snapshot.database_cluster",
    "cluster-snapshot",
    ("dBClusterSnapshotIdentifier",),
    "dBClusterSnapshotArn",
)
_EBS = _copy("snapshot", "snapshotId", "snapshot.volume", "createVolumePermission")
_AMI = _copy("image", "imageId", "image.machine", "launchPermission")

# (eventSource, event names separated by spaces, mapping)
_ROWS: tuple[tuple[str, str, Mapper], ...] = (
    ("s3", "CreateBucket DeleteBucket PutBucketAcl PutBucketPolicy DeleteBucketPolicy "
     "PutBucketPublicAccessBlock DeleteBucketPublicAccessBlock PutBucketOwnershipControls "
     "DeleteBucketOwnershipControls PutBucketWebsite DeleteBucketWebsite PutObjectAcl", _bucket),
    ("s3", "PutAccountPublicAccessBlock DeleteAccountPublicAccessBlock", _account_bpa),
    ("s3", "CreateAccessPoint PutAccessPointPolicy DeleteAccessPointPolicy", _access_point),
    ("s3", "DeleteAccessPoint", _deleted_access_point),
    ("sqs", "SetQueueAttributes", _queue_attributes),
    ("sqs", "AddPermission RemovePermission CreateQueue DeleteQueue", _queue),
    ("sns", "SetTopicAttributes", _topic_attributes),
    ("sns", "AddPermission RemovePermission CreateTopic DeleteTopic", _topic),
    ("kms", "PutKeyPolicy CreateKey ReplicateKey", _key),
    ("secretsmanager", "PutResourcePolicy DeleteResourcePolicy CreateSecret DeleteSecret "
     "RestoreSecret", _secret),
    ("ecr", "SetRepositoryPolicy DeleteRepositoryPolicy CreateRepository DeleteRepository",
     _repository),
    ("elasticfilesystem", "PutFileSystemPolicy DeleteFileSystemPolicy CreateFileSystem "
     "DeleteFileSystem", _file_system),
    ("lambda", "AddPermission RemovePermission CreateFunction DeleteFunction "
     "CreateFunctionUrlConfig UpdateFunctionUrlConfig DeleteFunctionUrlConfig", _function),
    ("lambda", "CreateAlias DeleteAlias", _alias),
    ("es", "UpdateDomainConfig UpdateElasticsearchDomainConfig CreateDomain "
     "CreateElasticsearchDomain DeleteDomain DeleteElasticsearchDomain", _domain),
    ("glacier", "SetVaultAccessPolicy DeleteVaultAccessPolicy CreateVault DeleteVault", _vault),
    ("backup", "PutBackupVaultAccessPolicy DeleteBackupVaultAccessPolicy CreateBackupVault "
     "DeleteBackupVault", _backup_vault),
    ("apigateway", "CreateRestApi ImportRestApi PutRestApi UpdateRestApi DeleteRestApi "
     "PutMethod UpdateMethod DeleteMethod DeleteResource", _rest_api),
    ("dynamodb", "PutResourcePolicy DeleteResourcePolicy CreateTable DeleteTable", _ddb_table),
    ("rds", "CreateDBInstance ModifyDBInstance DeleteDBInstance CreateDBInstanceReadReplica "
     "RestoreDBInstanceFromDBSnapshot RestoreDBInstanceToPointInTime", _RDS_INSTANCE),
    ("rds", "CreateDBCluster ModifyDBCluster DeleteDBCluster RestoreDBClusterFromSnapshot "
     "RestoreDBClusterToPointInTime", _RDS_CLUSTER),
    ("rds", "ModifyDBSnapshotAttribute", _snapshot_attribute(_RDS_SNAPSHOT)),
    ("rds", "DeleteDBSnapshot", _RDS_SNAPSHOT),
    ("rds", "ModifyDBClusterSnapshotAttribute", _snapshot_attribute(_RDS_CLUSTER_SNAPSHOT)),
    ("rds", "DeleteDBClusterSnapshot", _RDS_CLUSTER_SNAPSHOT),
    ("redshift", "CreateCluster ModifyCluster DeleteCluster RestoreFromClusterSnapshot",
     _redshift),
    ("ec2", "RunInstances ModifyInstanceAttribute AssociateAddress TerminateInstances",
     _instances),
    ("ec2", "ModifyNetworkInterfaceAttribute", _eni),
    ("ec2", "AuthorizeSecurityGroupIngress RevokeSecurityGroupIngress ModifySecurityGroupRules "
     "DeleteSecurityGroup", _security_group),
    ("ec2", "CreateRoute ReplaceRoute DeleteRoute AssociateRouteTable "
     "ReplaceRouteTableAssociation DisassociateRouteTable", _route_table),
    ("ec2", "AttachInternetGateway DetachInternetGateway", _vpc),
    ("ec2", "ModifySnapshotAttribute ResetSnapshotAttribute DeleteSnapshot", _EBS),
    ("ec2", "ModifyImageAttribute ResetImageAttribute DeregisterImage", _AMI),
    ("ec2", "EnableSnapshotBlockPublicAccess DisableSnapshotBlockPublicAccess "
     "EnableImageBlockPublicAccess DisableImageBlockPublicAccess", _ec2_sweep),
)  # fmt: skip


def _table() -> dict[str, dict[str, Mapper]]:
    table: dict[str, dict[str, Mapper]] = {}
    for prefix, names, mapper in _ROWS:
        for name in names.split():
            table.setdefault(f"{prefix}.amazonaws.com", {})[name] = mapper
    table["s3control.amazonaws.com"] = table["s3.amazonaws.com"]  # S3 Control calls
    return table


_TABLE = _table()

LAMBDA_VERSIONED: frozenset[str] = frozenset(
    {
        "AddPermission20150331",
        "AddPermission20150331v2",
        "RemovePermission20150331",
        "RemovePermission20150331v2",
        "CreateFunction20150331",
        "DeleteFunction20150331",
        "CreateAlias20150331",
        "DeleteAlias20150331",
        "CreateFunctionUrlConfig20211031",
        "UpdateFunctionUrlConfig20211031",
        "DeleteFunctionUrlConfig20211031",
    }
)
"""The versioned names Lambda logs for the calls in the table (both forms are matched)."""

EVENT_SOURCES: frozenset[str] = frozenset(_TABLE)
"""Every ``eventSource`` the table maps."""

EVENT_NAMES: frozenset[str] = frozenset(
    {name for names in _TABLE.values() for name in names} | LAMBDA_VERSIONED
)
"""Every event name mapped (with Lambda's versioned forms): the EventBridge rule's list."""


def mapper_for(source: str, name: str) -> Mapper | None:
    """The mapping of one (eventSource, eventName), or ``None`` when Andon ignores it."""
    names = _TABLE.get(source)
    if names is None:
        return None
    return names.get(name) or names.get(normalize_name(name))


def covered() -> list[tuple[str, str]]:
    """Every (eventSource, eventName) of the table, sorted (for the documentation)."""
    return sorted(
        (source, name)
        for source, names in _TABLE.items()
        if source != "s3control.amazonaws.com"
        for name in names
    )
