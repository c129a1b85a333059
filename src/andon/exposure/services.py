"""Per-service catalogues for the one resource-policy engine.

For every service whose resources carry a resource-based policy, a :class:`ServiceProfile`
says which actions matter for exposure, the access each gives (read, list, write, read-acl,
write-acl), the level it applies to (the resource itself, or a sub-resource under it: S3
objects, OpenSearch indexes, DynamoDB indexes and streams, Lambda versions and aliases, API
Gateway stages and methods, Backup recovery points), and the service's own condition keys.

Sources: Service Authorization Reference, "Actions, resources, and condition keys for <service>"
(the resource type of each action); the services' guides for the keys that pin a caller:

* EFS User Guide, "Blocking public access" → "The meaning of public"
  (awsdocs/amazon-efs-user-guide doc_source/access-control-block-public-access.md):
  ``elasticfilesystem:AccessedViaMountTarget`` set to true makes a file-system policy
  non-public; EFS policies may omit ``Resource`` (the guide's own example does).
* KMS Developer Guide, "AWS KMS condition keys" (doc_source/conditions-kms.md):
  ``kms:CallerAccount`` limits a key-policy statement to the identities of one account;
  ``kms:ViaService`` limits the *path* (requests a service makes on behalf of a principal), not
  who the principal is, so it is known but not restricting.
* Lambda Developer Guide, "Security and auth model for Lambda function URLs"
  (doc_source/urls-auth.md): ``lambda:FunctionUrlAuthType`` is the URL's auth type, a fact of
  the resource; Andon evaluates it exactly when the URL configuration is known.
* OpenSearch Service Developer Guide, "Identity and Access Management" (ac.md): a domain
  access policy applies only to sub-resources (``domain/name/*``); in it ``es:*`` equals
  ``es:ESHttp*``.
* ECR User Guide, "Private repository policy examples": repository policies omit ``Resource``.
* API Gateway Developer Guide, resource policies: ``execute-api:/stage/METHOD/path`` is
  shorthand for the API's own ARN.

Access kinds are Andon's: invoking a function or an API gives read (its answer) and write (its
side effects, run with its role); ``kms:Decrypt`` reads what the key protects, while
``kms:Encrypt``/``GenerateDataKey``/``Sign`` use the key to produce data (write).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from andon.core.model import Access
from andon.exposure.s3_actions import BUCKET, OBJECT, S3_ACTIONS

RESOURCE = BUCKET  # the resource the policy is attached to
SUB = OBJECT  # something under it (prefix semantics)

R, L, W, RA, WA = Access.READ, Access.LIST, Access.WRITE, Access.READ_ACL, Access.WRITE_ACL

# action → (access kinds, levels)
Catalogue = Mapping[str, tuple[tuple[Access, ...], tuple[str, ...]]]


def _same_prefix(arn: str) -> str:
    return f"{arn}/"


@dataclass(frozen=True)
class ServiceProfile:
    """What the engine needs to know about one service's resource policies."""

    name: str
    title: str
    namespaces: tuple[str, ...]
    actions: Catalogue
    source: str
    resource_optional: bool = False
    restricting_keys: frozenset[str] = frozenset()
    open_keys: frozenset[str] = frozenset()
    open_key_prefixes: tuple[str, ...] = ()
    restricting_bools: frozenset[str] = frozenset()
    sub_prefix: Callable[[str], str] = field(default=_same_prefix)
    shorthand: str = ""  # a Resource prefix that stands for the resource's own ARN + "/"


def _cat(ns: str, *groups: tuple[tuple[Access, ...], tuple[str, ...], str]) -> Catalogue:
    """``(kinds, levels, "ActionA ActionB …")`` groups → catalogue of ``ns:Action`` names."""
    out: dict[str, tuple[tuple[Access, ...], tuple[str, ...]]] = {}
    for kinds, levels, actions in groups:
        for a in actions.split():
            out[f"{ns}:{a}"] = (kinds, levels)
    return MappingProxyType(out)


_RES = (RESOURCE,)
_SUBL = (SUB,)
_BOTH = (RESOURCE, SUB)

_SAR = "Service Authorization Reference, 'Actions, resources, and condition keys for "

S3 = ServiceProfile(
    name="s3",
    title="Amazon S3 bucket",
    namespaces=("s3",),
    actions=MappingProxyType({a: ((k,), (lvl,)) for a, (k, lvl) in S3_ACTIONS.items()}),
    source=_SAR + "Amazon S3'",
)

SQS = ServiceProfile(
    name="sqs",
    title="Amazon SQS queue",
    namespaces=("sqs",),
    actions=_cat(
        "sqs",
        ((R,), _RES, "ReceiveMessage"),
        (
            (W,),
            _RES,
            "SendMessage DeleteMessage ChangeMessageVisibility PurgeQueue DeleteQueue "
            "TagQueue UntagQueue StartMessageMoveTask CancelMessageMoveTask",
        ),
        ((L,), _RES, "ListDeadLetterSourceQueues ListMessageMoveTasks"),
        ((RA,), _RES, "GetQueueAttributes"),
        ((WA,), _RES, "AddPermission RemovePermission SetQueueAttributes"),
    ),
    source=_SAR + "Amazon SQS'; Amazon SQS Developer Guide, 'Amazon SQS policy examples'",
)

SNS = ServiceProfile(
    name="sns",
    title="Amazon SNS topic",
    namespaces=("sns",),
    actions=_cat(
        "sns",
        ((R,), _RES, "Subscribe Receive"),
        ((L,), _RES, "ListSubscriptionsByTopic"),
        ((W,), _RES, "Publish DeleteTopic TagResource UntagResource PutDataProtectionPolicy"),
        ((RA,), _RES, "GetTopicAttributes"),
        ((WA,), _RES, "SetTopicAttributes AddPermission RemovePermission"),
    ),
    source=_SAR + "Amazon SNS'; Amazon SNS Developer Guide, 'Example cases for Amazon SNS "
    "access control' (doc_source/AccessPolicyLanguage_UseCases_Sns.md)",
    # The subscriber's protocol and endpoint are chosen by the caller.
    open_keys=frozenset({"sns:protocol", "sns:endpoint"}),
)

KMS = ServiceProfile(
    name="kms",
    title="AWS KMS key",
    namespaces=("kms",),
    actions=_cat(
        "kms",
        ((R,), _RES, "Decrypt ReEncryptFrom GetPublicKey Verify"),
        ((R,), _RES, "VerifyMac"),
        ((L,), _RES, "DescribeKey GetKeyRotationStatus ListResourceTags"),
        (
            (W,),
            _RES,
            "Encrypt ReEncryptTo GenerateDataKey GenerateDataKeyWithoutPlaintext "
            "GenerateDataKeyPair GenerateDataKeyPairWithoutPlaintext GenerateMac Sign "
            "ScheduleKeyDeletion CancelKeyDeletion DisableKey EnableKey DisableKeyRotation "
            "EnableKeyRotation ImportKeyMaterial DeleteImportedKeyMaterial "
            "UpdateKeyDescription ReplicateKey UpdatePrimaryRegion TagResource UntagResource",
        ),
        ((RA,), _RES, "GetKeyPolicy ListGrants ListKeyPolicies"),
        ((WA,), _RES, "PutKeyPolicy CreateGrant RetireGrant RevokeGrant"),
    ),
    source=_SAR + "AWS Key Management Service'; KMS Developer Guide, 'AWS KMS condition "
    "keys' (doc_source/conditions-kms.md)",
    restricting_keys=frozenset({"kms:calleraccount"}),
    open_keys=frozenset(
        {
            "kms:viaservice",
            "kms:encryptionalgorithm",
            "kms:encryptioncontextkeys",
            "kms:grantoperations",
            "kms:granteeprincipal",
            "kms:retiringprincipal",
            "kms:grantisforawsresource",
            "kms:grantconstrainttype",
            "kms:keyspec",
            "kms:keyusage",
            "kms:keyorigin",
            "kms:messagetype",
            "kms:signingalgorithm",
            "kms:macalgorithm",
            "kms:requestalias",
            "kms:resourcealiases",
            "kms:bypasspolicylockoutsafetycheck",
            "kms:datakeypairspec",
            "kms:reencryptonsamekey",
            "kms:wrappingalgorithm",
            "kms:wrappingkeyspec",
            "kms:expirationmodel",
            "kms:validto",
            "kms:multiregion",
            "kms:multiregionkeytype",
            "kms:primaryregion",
            "kms:replicaregion",
        }
    ),
    open_key_prefixes=("kms:encryptioncontext:",),
)

SECRETS_MANAGER = ServiceProfile(
    name="secretsmanager",
    title="AWS Secrets Manager secret",
    namespaces=("secretsmanager",),
    actions=_cat(
        "secretsmanager",
        ((R,), _RES, "GetSecretValue BatchGetSecretValue"),
        ((L,), _RES, "DescribeSecret ListSecretVersionIds"),
        (
            (W,),
            _RES,
            "PutSecretValue UpdateSecret DeleteSecret RestoreSecret RotateSecret "
            "CancelRotateSecret UpdateSecretVersionStage ReplicateSecretToRegions "
            "RemoveRegionsFromReplication StopReplicationToReplica TagResource UntagResource",
        ),
        ((RA,), _RES, "GetResourcePolicy"),
        ((WA,), _RES, "PutResourcePolicy DeleteResourcePolicy"),
    ),
    source=_SAR + "AWS Secrets Manager'",
    open_keys=frozenset(
        {
            "secretsmanager:secretid",
            "secretsmanager:versionid",
            "secretsmanager:versionstage",
            "secretsmanager:description",
            "secretsmanager:kmskeyid",
            "secretsmanager:name",
            "secretsmanager:rotationlambdaarn",
            "secretsmanager:secretprimaryregion",
            "secretsmanager:blockpublicpolicy",
            "secretsmanager:forceoverwritereplicasecret",
            "secretsmanager:addreplicaregions",
            "secretsmanager:recoverywindowindays",
            "secretsmanager:forcedeletewithoutrecovery",
        }
    ),
    open_key_prefixes=("secretsmanager:resourcetag/",),
)

ECR = ServiceProfile(
    name="ecr",
    title="Amazon ECR repository",
    namespaces=("ecr",),
    actions=_cat(
        "ecr",
        ((R,), _RES, "BatchGetImage GetDownloadUrlForLayer"),
        (
            (L,),
            _RES,
            "BatchCheckLayerAvailability DescribeImages ListImages DescribeRepositories "
            "DescribeImageScanFindings",
        ),
        (
            (W,),
            _RES,
            "PutImage InitiateLayerUpload UploadLayerPart CompleteLayerUpload "
            "BatchDeleteImage DeleteRepository PutImageTagMutability PutLifecyclePolicy "
            "DeleteLifecyclePolicy StartImageScan ReplicateImage TagResource UntagResource",
        ),
        ((RA,), _RES, "GetRepositoryPolicy"),
        ((WA,), _RES, "SetRepositoryPolicy DeleteRepositoryPolicy"),
    ),
    source=_SAR + "Amazon Elastic Container Registry'; ECR User Guide, 'Private repository "
    "policy examples'",
    resource_optional=True,
    open_key_prefixes=("ecr:resourcetag/",),
)

EFS = ServiceProfile(
    name="efs",
    title="Amazon EFS file system",
    namespaces=("elasticfilesystem",),
    actions=_cat(
        "elasticfilesystem",
        ((R,), _RES, "ClientMount"),
        ((W,), _RES, "ClientWrite"),
        ((WA,), _RES, "ClientRootAccess"),
        ((L,), _RES, "DescribeFileSystems DescribeMountTargets DescribeAccessPoints"),
        (
            (W,),
            _RES,
            "DeleteFileSystem UpdateFileSystem CreateMountTarget DeleteMountTarget "
            "CreateAccessPoint PutLifecycleConfiguration PutBackupPolicy",
        ),
        ((RA,), _RES, "DescribeFileSystemPolicy"),
        ((WA,), _RES, "PutFileSystemPolicy DeleteFileSystemPolicy"),
    ),
    source="Amazon EFS User Guide, 'Blocking public access' → 'The meaning of public' "
    "(awsdocs/amazon-efs-user-guide doc_source/access-control-block-public-access.md); "
    "'Using IAM to control file system data access' (doc_source/iam-access-control-nfs-efs.md)",
    resource_optional=True,
    restricting_keys=frozenset({"elasticfilesystem:accessedviamounttarget"}),
    restricting_bools=frozenset({"elasticfilesystem:accessedviamounttarget"}),
    open_keys=frozenset({"elasticfilesystem:accesspointarn", "elasticfilesystem:encrypted"}),
)

LAMBDA = ServiceProfile(
    name="lambda",
    title="AWS Lambda function",
    namespaces=("lambda",),
    actions=_cat(
        "lambda",
        ((R, W), _BOTH, "InvokeFunction InvokeFunctionUrl"),
        ((W,), _BOTH, "InvokeAsync"),
        ((R,), _BOTH, "GetFunction GetFunctionConfiguration"),
        ((L,), _BOTH, "ListVersionsByFunction ListAliases GetAlias"),
        (
            (W,),
            _BOTH,
            "UpdateFunctionCode UpdateFunctionConfiguration DeleteFunction PublishVersion "
            "CreateAlias UpdateAlias DeleteAlias PutFunctionConcurrency "
            "DeleteFunctionConcurrency PutFunctionEventInvokeConfig",
        ),
        ((RA,), _BOTH, "GetPolicy GetFunctionUrlConfig"),
        (
            (WA,),
            _BOTH,
            "AddPermission RemovePermission CreateFunctionUrlConfig UpdateFunctionUrlConfig "
            "DeleteFunctionUrlConfig",
        ),
    ),
    source=_SAR + "AWS Lambda'; Lambda Developer Guide, 'Security and auth model for Lambda "
    "function URLs' (awsdocs/aws-lambda-developer-guide doc_source/urls-auth.md)",
    # Without the URL configuration at hand these describe the caller's chosen path.
    open_keys=frozenset(
        {
            "lambda:functionurlauthtype",
            "lambda:invokedviafunctionurl",
            "lambda:principal",
            "lambda:functionarn",
            "lambda:eventsourcetoken",
        }
    ),
    sub_prefix=lambda arn: f"{arn}:",
)

OPENSEARCH = ServiceProfile(
    name="opensearch",
    title="Amazon OpenSearch Service domain",
    namespaces=("es",),
    actions=_cat(
        "es",
        ((R,), _SUBL, "ESHttpGet ESHttpHead"),
        ((R, W), _SUBL, "ESHttpPost"),
        ((W,), _SUBL, "ESHttpPut ESHttpDelete ESHttpPatch"),
    ),
    source="Amazon OpenSearch Service Developer Guide, 'Identity and Access Management in "
    "Amazon OpenSearch Service' (ac.md) → Resource-based policies (trailing /*; es:* equals "
    "es:ESHttp*)",
)

GLACIER = ServiceProfile(
    name="glacier",
    title="Amazon S3 Glacier vault",
    namespaces=("glacier",),
    actions=_cat(
        "glacier",
        ((R,), _RES, "InitiateJob GetJobOutput"),
        (
            (L,),
            _RES,
            "DescribeVault ListJobs DescribeJob ListMultipartUploads ListParts ListTagsForVault",
        ),
        (
            (W,),
            _RES,
            "UploadArchive InitiateMultipartUpload UploadMultipartPart "
            "CompleteMultipartUpload AbortMultipartUpload DeleteArchive DeleteVault "
            "SetVaultNotifications DeleteVaultNotifications AddTagsToVault "
            "RemoveTagsFromVault",
        ),
        ((RA,), _RES, "GetVaultAccessPolicy GetVaultLock GetVaultNotifications"),
        (
            (WA,),
            _RES,
            "SetVaultAccessPolicy DeleteVaultAccessPolicy InitiateVaultLock CompleteVaultLock "
            "AbortVaultLock",
        ),
    ),
    source=_SAR + "Amazon S3 Glacier'; S3 Glacier Developer Guide, 'Vault access policies'",
    open_keys=frozenset({"glacier:archiveageindays"}),
    open_key_prefixes=("glacier:resourcetag/",),
)


def _recovery_points(arn: str) -> str:
    # …:backup-vault:<name> → …:recovery-point: (recovery points are not under the vault ARN)
    head, sep, _ = arn.partition(":backup-vault:")
    return f"{head}:recovery-point:" if sep else f"{arn}/"


BACKUP = ServiceProfile(
    name="backup",
    title="AWS Backup vault",
    namespaces=("backup",),
    actions=_cat(
        "backup",
        ((R,), _SUBL, "StartRestoreJob CopyFromBackupVault"),
        ((L,), _RES, "DescribeBackupVault ListRecoveryPointsByBackupVault"),
        ((L,), _SUBL, "DescribeRecoveryPoint GetRecoveryPointRestoreMetadata"),
        (
            (W,),
            _RES,
            "CopyIntoBackupVault DeleteBackupVault StartBackupJob PutBackupVaultNotifications "
            "DeleteBackupVaultNotifications PutBackupVaultLockConfiguration "
            "DeleteBackupVaultLockConfiguration",
        ),
        ((W,), _SUBL, "DeleteRecoveryPoint UpdateRecoveryPointLifecycle DisassociateRecoveryPoint"),
        ((RA,), _RES, "GetBackupVaultAccessPolicy GetBackupVaultNotifications"),
        ((WA,), _RES, "PutBackupVaultAccessPolicy DeleteBackupVaultAccessPolicy"),
    ),
    source=_SAR + "AWS Backup'; AWS Backup Developer Guide, 'Access policies for backup vaults'",
    open_keys=frozenset({"backup:copytargets", "backup:copytargetorgpaths"}),
    sub_prefix=_recovery_points,
)

API_GATEWAY = ServiceProfile(
    name="apigateway",
    title="Amazon API Gateway API",
    namespaces=("execute-api",),
    actions=_cat(
        "execute-api",
        ((R, W), _SUBL, "Invoke"),
        ((W,), _SUBL, "InvalidateCache ManageConnections"),
    ),
    source="API Gateway Developer Guide, 'How API Gateway resource policies affect "
    "authorization workflow' (doc_source/apigateway-authorization-flow.md)",
    shorthand="execute-api:/",
)

DYNAMODB = ServiceProfile(
    name="dynamodb",
    title="Amazon DynamoDB table",
    namespaces=("dynamodb",),
    actions=_cat(
        "dynamodb",
        ((R,), _RES, "GetItem BatchGetItem ConditionCheckItem"),
        ((R,), _RES, "ExportTableToPointInTime"),
        ((R,), _BOTH, "Query Scan PartiQLSelect"),
        ((R,), _SUBL, "GetRecords GetShardIterator"),
        ((L,), _RES, "DescribeTable DescribeTimeToLive"),
        ((L,), _RES, "DescribeContinuousBackups ListStreams"),
        ((L,), _SUBL, "DescribeStream"),
        (
            (W,),
            _RES,
            "PutItem UpdateItem DeleteItem BatchWriteItem PartiQLInsert PartiQLUpdate "
            "PartiQLDelete DeleteTable UpdateTable UpdateTimeToLive RestoreTableToPointInTime "
            "CreateBackup TagResource UntagResource",
        ),
        ((RA,), _RES, "GetResourcePolicy"),
        ((WA,), _RES, "PutResourcePolicy DeleteResourcePolicy"),
    ),
    source=_SAR + "Amazon DynamoDB'; DynamoDB Developer Guide, 'Using resource-based "
    "policies for DynamoDB'",
    open_keys=frozenset(
        {
            "dynamodb:leadingkeys",
            "dynamodb:attributes",
            "dynamodb:select",
            "dynamodb:returnvalues",
            "dynamodb:returnconsumedcapacity",
            "dynamodb:enclosingoperation",
            "dynamodb:fulltablescan",
        }
    ),
)

SERVICES: Mapping[str, ServiceProfile] = MappingProxyType(
    {
        p.name: p
        for p in (
            S3,
            SQS,
            SNS,
            KMS,
            SECRETS_MANAGER,
            ECR,
            EFS,
            LAMBDA,
            OPENSEARCH,
            GLACIER,
            BACKUP,
            API_GATEWAY,
            DYNAMODB,
        )
    }
)


def profile(name: str) -> ServiceProfile:
    """The profile of a service by its short name (``sqs``, ``kms``…); ``KeyError`` if unknown."""
    return SERVICES[name]


def with_actions(base: ServiceProfile, actions: tuple[str, ...]) -> ServiceProfile:
    """The same profile limited to some actions (used to ask about one action alone)."""
    return replace(base, actions=MappingProxyType({a: base.actions[a] for a in actions}))
