"""The documented-behaviour table for the S3 exposure engine.

Every case is one bucket configuration with the verdict AWS's documentation implies: level,
public access now, latent access (held back only by Block Public Access), access Andon cannot
decide, and optionally phrases a reason must contain. ``source`` names the passage the
expectation comes from (document, file in the public ``awsdocs`` repositories, section).

Where the documentation is ambiguous the case keeps the engine's conservative choice and says
so in ``note``.
"""

from __future__ import annotations

from dataclasses import dataclass

from andon.core.model import Access, Level
from andon.exposure.s3_model import Bpa, S3BucketState, Unknown

from .builders import (
    ALL,
    ALL_ON,
    AP_ARN,
    AP_OBJECTS,
    BUCKET_ARN,
    DELEGATING_POLICY,
    NONE,
    OBJECTS,
    OTHER,
    OWNER,
    PUBLIC_READ_POLICY,
    RA,
    REGION,
    WA,
    L,
    R,
    W,
    access_point,
    auth_users,
    bucket,
    deny,
    grant,
    kinds,
    log_delivery,
    obj,
    policy,
    stmt,
)

# --- where the expectations come from ----------------------------------------------------
_BPA = (
    "Amazon S3 User Guide, 'Blocking public access to your Amazon S3 storage' "
    "(awsdocs/amazon-s3-userguide doc_source/access-control-block-public-access.md)"
)
S3_SETTINGS = f"{_BPA} → Block public access settings (settings table)"
S3_SETTINGS_NOTE = f"{_BPA} → Block public access settings → Important (removing a setting)"
S3_LEVELS = f"{_BPA} → introduction (most restrictive combination of access point, bucket, account)"
S3_ACL_PUBLIC = f"{_BPA} → The meaning of 'public' → ACLs"
S3_POLICY_PUBLIC = f"{_BPA} → The meaning of 'public' → Bucket policies"
S3_SOURCEIP = f"{_BPA} → The meaning of 'public' → Bucket policies → Note on aws:SourceIp"
S3_DAP_ARN = f"{_BPA} → The meaning of 'public' → Bucket policies → s3:DataAccessPointArn note"
S3_EXAMPLES = f"{_BPA} → The meaning of 'public' → Example: Public bucket policies"
S3_MIXED = (
    f"{_BPA} → How Amazon S3 evaluates a bucket policy that contains both public and "
    "non-public access grants (Account-1 / Account-2 / CloudTrail example)"
)
S3_AP_PUBLIC = f"{_BPA} → The meaning of 'public' → Access points"
_ACL = "Amazon S3 User Guide, 'Access control list (ACL) overview' (doc_source/acl-overview.md)"
ACL_GROUPS = f"{_ACL} → Who is a grantee? → Amazon S3 predefined groups"
ACL_PERMS = f"{_ACL} → What permissions can I grant? (ACL permissions table)"
OWNERSHIP = (
    "Amazon S3 User Guide, 'Controlling ownership of objects and disabling ACLs for your "
    "bucket' (doc_source/about-object-ownership.md) → Bucket owner enforced: ACLs no longer "
    "affect permissions"
)
_AP = (
    "Amazon S3 User Guide, 'Configuring IAM policies for using access points' "
    "(doc_source/access-points-policies.md)"
)
AP_DELEGATION = f"{_AP} → Delegating access control to access points"
AP_BOTH = f"{_AP} → introduction (both the access point and the bucket must permit)"
_OPS = (
    "IAM User Guide, 'IAM JSON policy elements: Condition operators' "
    "(awsdocs/iam-user-guide doc_source/reference_policies_elements_condition_operators.md)"
)
IAM_ABSENT = f"{_OPS} → Important (key absent: condition false; negated operators true)"
IAM_STRING = f"{_OPS} → String condition operators (StringLike wildcards)"
IAM_IP = f"{_OPS} → IP address condition operators"
IAM_ARN = f"{_OPS} → ARN condition operators (ArnEquals and ArnLike behave identically)"
IAM_IFEXISTS = f"{_OPS} → ...IfExists condition operators"
IAM_BOOL = f"{_OPS} → Boolean condition operators (BooleanExample Deny)"
IAM_NULL = f"{_OPS} → Condition operator to check existence of condition keys (Null)"
IAM_SETS = (
    "IAM User Guide, 'Creating a condition with multiple key values (set operations)' "
    "(doc_source/reference_policies_multi-value-conditions.md) → ForAllValues true and "
    "ForAnyValue false for an empty set"
)
IAM_SOURCEIP_KEY = (
    "IAM User Guide, 'AWS global condition context keys' "
    "(doc_source/reference_policies_condition-keys.md) → aws:SourceIp → Availability "
    "(absent when the requester uses a VPC endpoint)"
)
IAM_REFERER = (
    "IAM User Guide, 'AWS global condition context keys' "
    "(doc_source/reference_policies_condition-keys.md) → aws:Referer (set by the requester)"
)
IAM_VARIABLES = (
    "IAM User Guide, 'IAM policy elements: Variables and tags' "
    f"(doc_source/reference_policies_variables.md); {S3_POLICY_PUBLIC} (no policy variable)"
)
IAM_EVAL = (
    "IAM User Guide, 'Policy evaluation logic' (doc_source/reference_policies_evaluation-logic"
    ".md) → an explicit Deny overrides any Allow"
)
IAM_NOTPRINCIPAL = (
    "IAM User Guide, 'AWS JSON policy elements: NotPrincipal' "
    "(doc_source/reference_policies_elements_notprincipal.md)"
)
IAM_NOTACTION = (
    "IAM User Guide, 'IAM JSON policy elements: NotAction' "
    "(doc_source/reference_policies_elements_notaction.md)"
)
IAM_NOTRESOURCE = (
    "IAM User Guide, 'IAM JSON policy elements: NotResource' "
    "(doc_source/reference_policies_elements_notresource.md)"
)
IAM_ACTION = (
    "IAM User Guide, 'IAM JSON policy elements: Action' "
    "(doc_source/reference_policies_elements_action.md) → wildcards; prefix and action name "
    "are case insensitive"
)
IAM_RESOURCE = (
    "IAM User Guide, 'IAM JSON policy elements: Resource' "
    "(doc_source/reference_policies_elements_resource.md) → wildcards in ARNs"
)
IAM_GRAMMAR = (
    "IAM User Guide, 'Grammar of the IAM JSON policy language' "
    "(doc_source/reference_policies_grammar.md) — a document Andon cannot parse"
)
PROWLER = (
    "/work/shared/REFERENCE.md → Known mistakes of peers (prowler #4257, #3346, #5386, #2565, "
    "#4870); expectation from "
)
ANDON_UNKNOWN = (
    "Andon rule (src/andon/exposure/s3.py docstring): an unreadable part is UNKNOWN, never "
    "PRIVATE; "
)


@dataclass(frozen=True)
class Case:
    id: str
    source: str
    state: S3BucketState
    level: Level
    access: frozenset[Access] = NONE
    latent: frozenset[Access] = NONE
    unknown: frozenset[Access] = NONE
    reasons: tuple[str, ...] = ()  # each must be a substring of some reason
    note: str = ""


def _pol(*statements: dict[str, object], **fields: object) -> S3BucketState:
    """A bucket with only a policy (plus extra fields)."""
    return bucket(policy=policy(*statements), **fields)


def _cond(op: str, key: str, value: object, **kw: object) -> dict[str, object]:
    """``Principal "*"`` + s3:GetObject on every object, under one condition."""
    return stmt(condition={op: {key: value}}, **kw)  # type: ignore[arg-type]


_PUBLIC = Level.PUBLIC
_PRIVATE = Level.PRIVATE
_UNKNOWN = Level.UNKNOWN
_READ = kinds(R)

# The three statements of the Account-1 / Account-2 / CloudTrail example.
_CLOUDTRAIL = stmt(
    sid="CloudTrail",
    principal={"Service": "cloudtrail.amazonaws.com"},
    action="s3:PutObject",
    resource=f"{BUCKET_ARN}/AWSLogs/*",
)
_ACCOUNT_2 = stmt(sid="Account2", principal={"AWS": f"arn:aws:iam::{OTHER}:root"})
_EVERYONE = stmt(sid="Everyone")

CASES: list[Case] = [
    # --- AWS's own example policies ("The meaning of public") -------------------------------
    Case(
        "doc-example-federated-principal",
        S3_EXAMPLES,
        _pol(stmt(principal={"Federated": "graph.facebook.com"}, action="s3:PutObject")),
        _PUBLIC,
        kinds(W),
        reasons=("statement #1", "graph.facebook.com"),
    ),
    Case(
        "doc-example-principal-star",
        S3_EXAMPLES,
        _pol(stmt(action="s3:PutObject", resource="*")),
        _PUBLIC,
        kinds(W),
    ),
    Case(
        "doc-example-sourcevpc-stringlike-wildcard",
        S3_EXAMPLES,
        _pol(stmt(action="s3:PutObject", condition={"StringLike": {"aws:SourceVpc": "vpc-*"}})),
        _PUBLIC,
        kinds(W),
    ),
    Case(
        "doc-example-sourcevpc-fixed",
        S3_EXAMPLES + " (the fixed aws:SourceVpc variant)",
        _pol(
            stmt(
                sid="VpcOnly",
                action="s3:PutObject",
                condition={"StringEquals": {"aws:SourceVpc": "vpc-91237329"}},
            )
        ),
        _PRIVATE,
        reasons=("statement `VpcOnly`", "limited to fixed aws:SourceVpc (vpc-91237329)"),
    ),
    # --- principals ---------------------------------------------------------------------------
    Case(
        "principal-aws-star-is-public",
        S3_POLICY_PUBLIC,
        _pol(stmt(principal={"AWS": "*"})),
        _PUBLIC,
        _READ,
    ),
    Case(
        "principal-fixed-account-not-public",
        S3_POLICY_PUBLIC + " (fixed AWS principal)",
        _pol(stmt(principal={"AWS": f"arn:aws:iam::{OTHER}:root"})),
        _PRIVATE,
        reasons=(f"fixed principals of account(s) {OTHER}",),
    ),
    Case(
        "principal-wildcard-account-arn-is-public",
        S3_POLICY_PUBLIC + " (a principal value with a wildcard is not fixed)",
        _pol(stmt(principal={"AWS": "arn:aws:iam::*:root"})),
        _PUBLIC,
        _READ,
    ),
    Case(
        "principal-service-not-public",
        S3_POLICY_PUBLIC + " (service principal)",
        _pol(_CLOUDTRAIL),
        _PRIVATE,
    ),
    # --- restricting keys with fixed values -------------------------------------------------
    Case(
        "sourceip-public-24-fixed-not-public",
        S3_SOURCEIP,
        _pol(_cond("IpAddress", "aws:SourceIp", "203.0.113.0/24", sid="Office")),
        _PRIVATE,
        reasons=("limited to fixed aws:SourceIp",),
    ),
    Case(
        "sourceip-slash-8-not-public",
        S3_SOURCEIP + " (/8 is not broader than /8)",
        _pol(_cond("IpAddress", "aws:SourceIp", "52.0.0.0/8")),
        _PRIVATE,
    ),
    Case(
        "sourceip-slash-7-public",
        S3_SOURCEIP + " (broader than /8)",
        _pol(_cond("IpAddress", "aws:SourceIp", "52.0.0.0/7")),
        _PUBLIC,
        _READ,
        reasons=("broader than /8",),
    ),
    Case(
        "sourceip-doc-0-0-0-0-slash-1-public",
        S3_SOURCEIP + " (the note's own 0.0.0.0/1 example)",
        _pol(_cond("IpAddress", "aws:SourceIp", "0.0.0.0/1")),
        _PUBLIC,
        _READ,
    ),
    Case(
        "sourceip-rfc1918-10-slash-8-not-public",
        S3_SOURCEIP + " (RFC 1918 ranges excluded; 10.0.0.0/8 is not broader than /8)",
        _pol(_cond("IpAddress", "aws:SourceIp", "10.0.0.0/8")),
        _PRIVATE,
    ),
    Case(
        "sourceip-ipv6-slash-32-not-public",
        S3_SOURCEIP + " (IPv6 /32)",
        _pol(_cond("IpAddress", "aws:SourceIp", "2001:db8::/32")),
        _PRIVATE,
    ),
    Case(
        "sourceip-ipv6-slash-31-public",
        S3_SOURCEIP + " (IPv6 broader than /32)",
        _pol(_cond("IpAddress", "aws:SourceIp", "2001:db8::/31")),
        _PUBLIC,
        _READ,
    ),
    Case(
        "sourceip-list-with-one-broad-range-public",
        S3_SOURCEIP + "; " + IAM_IP + " (values of one key are ORed)",
        _pol(_cond("IpAddress", "aws:SourceIp", ["203.0.113.0/24", "0.0.0.0/1"])),
        _PUBLIC,
        _READ,
    ),
    Case(
        "sourcearn-fixed-not-public",
        S3_POLICY_PUBLIC + " (aws:SourceArn)",
        _pol(
            _cond(
                "ArnEquals",
                "aws:SourceArn",
                f"arn:aws:cloudtrail:{REGION}:{OWNER}:trail/main",
                principal={"Service": "cloudtrail.amazonaws.com"},
            ),
            _cond("ArnEquals", "aws:SourceArn", f"arn:aws:sns:{REGION}:{OWNER}:topic"),
        ),
        _PRIVATE,
    ),
    Case(
        "sourcearn-arnlike-wildcard-public",
        S3_POLICY_PUBLIC + "; " + IAM_ARN,
        _pol(_cond("ArnLike", "aws:SourceArn", "arn:aws:sns:*:*:*")),
        _PUBLIC,
        _READ,
    ),
    Case(
        "sourcevpce-and-sourceaccount-fixed-not-public",
        S3_POLICY_PUBLIC + " (aws:SourceVpce, aws:SourceAccount, aws:SourceOwner)",
        _pol(
            _cond("StringEquals", "aws:SourceVpce", ["vpce-1a2b3c4d", "vpce-5e6f7a8b"]),
            _cond("StringEquals", "aws:SourceAccount", OWNER),
            _cond("StringEquals", "aws:SourceOwner", OWNER),
        ),
        _PRIVATE,
    ),
    Case(
        "kms-key-id-fixed-not-public",
        S3_POLICY_PUBLIC + " (s3:x-amz-server-side-encryption-aws-kms-key-id)",
        _pol(
            _cond(
                "StringEquals",
                "s3:x-amz-server-side-encryption-aws-kms-key-id",
                f"arn:aws:kms:{REGION}:{OWNER}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                action="s3:PutObject",
            )
        ),
        _PRIVATE,
    ),
    Case(
        "principalorgid-fixed-not-public",
        S3_POLICY_PUBLIC + " (e.g. aws:PrincipalOrgID)",
        _pol(_cond("StringEquals", "aws:PrincipalOrgID", "o-a1b2c3d4e5")),
        _PRIVATE,
    ),
    Case(
        "principalorgid-wildcard-public",
        S3_POLICY_PUBLIC + " (a wildcard value is not fixed)",
        _pol(_cond("StringLike", "aws:PrincipalOrgID", "o-*")),
        _PUBLIC,
        _READ,
    ),
    Case(
        "userid-fixed-not-public",
        S3_POLICY_PUBLIC + " (aws:userid)",
        _pol(_cond("StringEquals", "aws:userid", "AIDAJQABLZS4A3QDU576Q")),
        _PRIVATE,
    ),
    Case(
        "userid-role-session-pattern-not-public",
        S3_POLICY_PUBLIC + " (aws:userid, outside the pattern 'AROLEID:*')",
        _pol(_cond("StringLike", "aws:userid", "AROAEXAMPLEROLEID:*")),
        _PRIVATE,
        note="We read 'outside the pattern AROLEID:*' as an allowance: 'AROLEID:*' is every "
        "session of one fixed role, so it still pins the caller. Any other wildcard is public.",
    ),
    Case(
        "userid-other-wildcard-public",
        S3_POLICY_PUBLIC + " (aws:userid wildcard other than AROLEID:*)",
        _pol(_cond("StringLike", "aws:userid", "AIDA*")),
        _PUBLIC,
        _READ,
    ),
    Case(
        "policy-variable-value-public",
        IAM_VARIABLES,
        _pol(_cond("StringEquals", "aws:SourceAccount", "${aws:PrincipalAccount}")),
        _PUBLIC,
        _READ,
        reasons=("policy variable",),
    ),
    Case(
        "dataaccesspointaccount-delegation-not-public",
        AP_DELEGATION + "; " + S3_POLICY_PUBLIC + " (s3:DataAccessPointAccount)",
        bucket(policy=DELEGATING_POLICY),
        _PRIVATE,
    ),
    Case(
        "dataaccesspointarn-wildcard-name-in-bucket-policy-not-public",
        S3_DAP_ARN,
        _pol(
            _cond(
                "StringLike",
                "s3:DataAccessPointArn",
                f"arn:aws:s3:{REGION}:{OWNER}:accesspoint/*",
            )
        ),
        _PRIVATE,
    ),
    Case(
        "dataaccesspointarn-wildcard-account-in-bucket-policy-public",
        S3_DAP_ARN + " (allowed only 'as long as the account id is fixed')",
        _pol(_cond("StringLike", "s3:DataAccessPointArn", f"arn:aws:s3:{REGION}:*:accesspoint/*")),
        _PUBLIC,
        _READ,
    ),
    # --- condition operators -------------------------------------------------------------------
    Case(
        "stringlike-without-wildcard-is-fixed",
        IAM_STRING + "; " + S3_POLICY_PUBLIC,
        _pol(_cond("StringLike", "aws:SourceVpce", "vpce-1a2b3c4d")),
        _PRIVATE,
    ),
    Case(
        "ifexists-on-restricting-key-public",
        IAM_IFEXISTS + " (a missing key evaluates to true)",
        _pol(_cond("StringEqualsIfExists", "aws:SourceVpce", "vpce-1a2b3c4d")),
        _PUBLIC,
        _READ,
        reasons=("also matches requests without aws:SourceVpce",),
    ),
    Case(
        "ipaddressifexists-on-sourceip-public",
        IAM_IFEXISTS + "; " + IAM_SOURCEIP_KEY,
        _pol(_cond("IpAddressIfExists", "aws:SourceIp", "203.0.113.0/24")),
        _PUBLIC,
        _READ,
        note="Engine fix: aws:SourceIp was treated as always present; through one's own VPC "
        "endpoint it is absent, so the IfExists condition holds for anyone.",
    ),
    Case(
        "forallvalues-on-restricting-key-public",
        IAM_SETS,
        _pol(_cond("ForAllValues:StringEquals", "aws:SourceVpce", "vpce-1a2b3c4d")),
        _PUBLIC,
        _READ,
    ),
    Case(
        "foranyvalue-stringequals-fixed-not-public",
        IAM_SETS + "; " + S3_POLICY_PUBLIC,
        _pol(_cond("ForAnyValue:StringEquals", "aws:SourceVpce", "vpce-1a2b3c4d")),
        _PRIVATE,
    ),
    Case(
        "negated-operator-in-allow-public",
        IAM_ABSENT + " (StringNotEquals admits every other value and a missing key)",
        _pol(_cond("StringNotEquals", "aws:SourceVpce", "vpce-1a2b3c4d")),
        _PUBLIC,
        _READ,
    ),
    Case(
        "notipaddress-in-allow-public",
        IAM_IP + " (NotIpAddress: all addresses except the range)",
        _pol(_cond("NotIpAddress", "aws:SourceIp", "203.0.113.0/24")),
        _PUBLIC,
        _READ,
    ),
    Case(
        "null-check-in-allow-public",
        IAM_NULL + " (presence alone does not pin a value)",
        _pol(_cond("Null", "aws:SourceVpce", "false")),
        _PUBLIC,
        _READ,
    ),
    Case(
        "open-key-and-fixed-key-anded-not-public",
        S3_POLICY_PUBLIC + " (one fixed restricting key is enough; conditions are ANDed)",
        _pol(
            stmt(
                condition={
                    "Bool": {"aws:SecureTransport": "true"},
                    "StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"},
                }
            )
        ),
        _PRIVATE,
    ),
    Case(
        "securetransport-only-public",
        IAM_BOOL + "; " + S3_POLICY_PUBLIC + " (aws:SecureTransport is not a listed key)",
        _pol(_cond("Bool", "aws:SecureTransport", "true")),
        _PUBLIC,
        _READ,
    ),
    Case(
        "referer-condition-public",
        IAM_REFERER,
        _pol(_cond("StringLike", "aws:Referer", "https://www.example.com/*")),
        _PUBLIC,
        _READ,
    ),
    Case(
        "unknown-operator-unknown",
        IAM_GRAMMAR + "; " + ANDON_UNKNOWN + "an operator Andon does not know",
        _pol(_cond("StringEqualsSometimes", "aws:SourceVpce", "vpce-1a2b3c4d")),
        _UNKNOWN,
        unknown=_READ,
        reasons=("condition operator StringEqualsSometimes is not known",),
    ),
    Case(
        "unknown-key-unknown",
        ANDON_UNKNOWN + "a condition key Andon does not know",
        _pol(_cond("StringEquals", "aws:MadeUpKey", "x")),
        _UNKNOWN,
        unknown=_READ,
    ),
    Case(
        "unknown-key-anded-with-fixed-key-not-public",
        S3_POLICY_PUBLIC + " (a fixed restricting key settles it, whatever else is ANDed)",
        _pol(
            stmt(
                condition={
                    "StringEquals": {"aws:MadeUpKey": "x", "aws:SourceVpce": "vpce-1a2b3c4d"}
                }
            )
        ),
        _PRIVATE,
    ),
    Case(
        "malformed-json-unknown",
        IAM_GRAMMAR + "; " + ANDON_UNKNOWN + "malformed JSON",
        bucket(policy='{"Statement": [ {"Effect": "Allow", '),
        _UNKNOWN,
        unknown=ALL,
        reasons=("not valid JSON",),
    ),
    Case(
        "no-statement-list-unknown",
        IAM_GRAMMAR + "; " + ANDON_UNKNOWN + "no Statement",
        bucket(policy='{"Version": "2012-10-17"}'),
        _UNKNOWN,
        unknown=ALL,
    ),
    Case(
        "invalid-effect-unknown",
        IAM_GRAMMAR + "; " + ANDON_UNKNOWN + "Effect neither Allow nor Deny",
        _pol(stmt(effect="Permit")),
        _UNKNOWN,
        unknown=ALL,
    ),
    # --- Deny statements -----------------------------------------------------------------------
    Case(
        "deny-everyone-takes-back",
        IAM_EVAL,
        _pol(stmt(sid="PublicRead"), deny(sid="DenyAll", action="s3:*")),
        _PRIVATE,
        reasons=(
            "statement `PublicRead` is taken back from the public by Deny statement `DenyAll`",
        ),
    ),
    Case(
        "deny-unless-fixed-sourcevpce-takes-back",
        IAM_EVAL + "; " + IAM_ABSENT + " (StringNotEquals true for a missing key)",
        _pol(
            stmt(),
            deny(
                action="s3:*",
                resource=[BUCKET_ARN, OBJECTS],
                condition={"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}},
            ),
        ),
        _PRIVATE,
        reasons=("Deny statement #2", "unless aws:SourceVpce is one of vpce-1a2b3c4d"),
    ),
    Case(
        "deny-unless-fixed-sourcevpce-ifexists-takes-back",
        IAM_IFEXISTS + " (a Deny with a negated IfExists operator still denies a missing key)",
        _pol(
            stmt(),
            deny(condition={"StringNotEqualsIfExists": {"aws:SourceVpce": "vpce-1a2b3c4d"}}),
        ),
        _PRIVATE,
    ),
    Case(
        "deny-foranyvalue-negated-does-not-take-back",
        IAM_SETS + " (ForAnyValue is false without the key, so the Deny does not apply)",
        _pol(
            stmt(),
            deny(condition={"ForAnyValue:StringNotEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}),
        ),
        _PUBLIC,
        _READ,
        note="Engine fix: this Deny was counted as pinning the caller to the endpoint.",
    ),
    Case(
        "deny-insecure-transport-keeps-public",
        IAM_BOOL + " (a Deny on aws:SecureTransport false only forces HTTPS)",
        _pol(
            stmt(sid="PublicRead"),
            deny(
                sid="BooleanExample",
                action="s3:*",
                resource=[BUCKET_ARN, OBJECTS],
                condition={"Bool": {"aws:SecureTransport": "false"}},
            ),
        ),
        _PUBLIC,
        _READ,
        reasons=("statement `PublicRead` grants read",),
    ),
    Case(
        "deny-on-prefix-leaves-rest-public",
        IAM_EVAL + "; " + IAM_RESOURCE,
        _pol(stmt(), deny(resource=f"{BUCKET_ARN}/secret/*")),
        _PUBLIC,
        _READ,
    ),
    Case(
        "deny-notprincipal-owner-takes-back",
        IAM_NOTPRINCIPAL + " → NotPrincipal with Deny (denied to everyone except those named)",
        _pol(
            stmt(),
            deny(
                principal=None,
                NotPrincipal={"AWS": f"arn:aws:iam::{OWNER}:root"},
                action="s3:*",
                resource=[BUCKET_ARN, OBJECTS],
            ),
        ),
        _PRIVATE,
    ),
    Case(
        "deny-for-other-account-only-keeps-public",
        IAM_EVAL + " (the Deny names one fixed account, not the public)",
        _pol(stmt(), deny(principal={"AWS": f"arn:aws:iam::{OTHER}:root"})),
        _PUBLIC,
        _READ,
    ),
    Case(
        "deny-one-write-action-keeps-other-writes",
        IAM_EVAL + "; " + IAM_ACTION,
        _pol(
            stmt(action=["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]),
            deny(action="s3:PutObject"),
        ),
        _PUBLIC,
        kinds(R, W),
        note="s3:DeleteObject still gives write (destroy) access.",
    ),
    Case(
        "deny-put-and-delete-wildcards",
        IAM_EVAL + "; " + IAM_ACTION,
        _pol(
            stmt(action=["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]),
            deny(action=["s3:Put*", "s3:Delete*"]),
        ),
        _PUBLIC,
        _READ,
    ),
    Case(
        "deny-notaction-keeps-only-getobject",
        IAM_NOTACTION + "; " + IAM_EVAL,
        _pol(
            stmt(action=["s3:GetObject", "s3:PutObject"]),
            deny(action=None, NotAction="s3:GetObject"),
        ),
        _PUBLIC,
        _READ,
    ),
    Case(
        "deny-notresource-leaves-excepted-objects",
        IAM_NOTRESOURCE + "; " + IAM_EVAL,
        _pol(stmt(), deny(resource=None, NotResource=f"{BUCKET_ARN}/public/*")),
        _PUBLIC,
        _READ,
    ),
    # --- NotPrincipal / NotAction / NotResource / wildcards in Allow ---------------------------
    Case(
        "allow-notprincipal-is-public",
        IAM_NOTPRINCIPAL + " → NotPrincipal with Allow (granted to all principals except)",
        _pol(stmt(principal=None, NotPrincipal={"AWS": f"arn:aws:iam::{OWNER}:root"})),
        _PUBLIC,
        _READ,
    ),
    Case(
        "allow-notaction-is-nearly-everything",
        IAM_NOTACTION,
        _pol(stmt(action=None, NotAction="s3:DeleteBucket", resource=[BUCKET_ARN, OBJECTS])),
        _PUBLIC,
        ALL,
    ),
    Case(
        "allow-notresource-reaches-other-objects",
        IAM_NOTRESOURCE,
        _pol(stmt(resource=None, NotResource=f"{BUCKET_ARN}/private/*")),
        _PUBLIC,
        _READ,
    ),
    Case(
        "action-wildcard-get-star",
        IAM_ACTION,
        _pol(stmt(action="s3:Get*", resource=[BUCKET_ARN, OBJECTS])),
        _PUBLIC,
        kinds(R, RA),
    ),
    Case(
        "action-wildcard-star-object",
        IAM_ACTION,
        _pol(stmt(action="s3:*Object")),
        _PUBLIC,
        kinds(R, W),
    ),
    Case(
        "action-star-resource-star",
        IAM_ACTION + "; " + IAM_RESOURCE,
        _pol(stmt(action="*", resource="*")),
        _PUBLIC,
        ALL,
    ),
    Case(
        "action-case-insensitive",
        IAM_ACTION,
        _pol(stmt(action=["S3:GETOBJECT", "s3:listbucket"], resource=[BUCKET_ARN, OBJECTS])),
        _PUBLIC,
        kinds(R, L),
    ),
    Case(
        "resource-bucket-only",
        IAM_RESOURCE + " (object actions need the object ARN)",
        _pol(stmt(action="s3:*", resource=BUCKET_ARN)),
        _PUBLIC,
        kinds(L, W, RA, WA),
    ),
    Case(
        "resource-prefix-only",
        IAM_RESOURCE,
        _pol(
            stmt(
                action=["s3:GetObject", "s3:ListBucket"],
                resource=f"{BUCKET_ARN}/public/*",
            )
        ),
        _PUBLIC,
        _READ,
    ),
    Case(
        "resource-other-bucket",
        IAM_RESOURCE,
        _pol(stmt(action="s3:*", resource=["arn:aws:s3:::another-bucket", "arn:aws:s3:::x/*"])),
        _PRIVATE,
    ),
    Case(
        "resource-wildcard-bucket-name",
        IAM_RESOURCE,
        _pol(stmt(action="s3:ListBucket", resource="arn:aws:s3:::example-*")),
        _PUBLIC,
        kinds(L),
    ),
    # --- ACLs --------------------------------------------------------------------------------
    Case(
        "acl-allusers-read-bucket-is-list",
        S3_ACL_PUBLIC + "; " + ACL_PERMS + " (READ on a bucket lists objects)",
        bucket(acl=(grant("READ"),)),
        _PUBLIC,
        kinds(L),
        reasons=("AllUsers",),
    ),
    Case(
        "acl-authenticatedusers-is-public",
        S3_ACL_PUBLIC + "; " + ACL_GROUPS + " (Authenticated Users = any AWS account)",
        bucket(acl=(auth_users("READ"),)),
        _PUBLIC,
        kinds(L),
        reasons=("AuthenticatedUsers",),
    ),
    Case(
        "acl-logdelivery-not-public",
        S3_ACL_PUBLIC + " (only AllUsers and AuthenticatedUsers); " + ACL_GROUPS,
        bucket(acl=(log_delivery("WRITE"), log_delivery("READ_ACP"))),
        _PRIVATE,
    ),
    Case(
        "acl-other-account-not-public",
        S3_ACL_PUBLIC,
        bucket(
            acl=(grant("FULL_CONTROL", "79a59df900b949e55d96a1e698fbacedfd6e", "CanonicalUser"),)
        ),
        _PRIVATE,
    ),
    Case(
        "acl-bucket-write",
        ACL_PERMS + " (WRITE on a bucket creates objects)",
        bucket(acl=(grant("WRITE"),)),
        _PUBLIC,
        kinds(W),
    ),
    Case(
        "acl-bucket-acp",
        ACL_PERMS + " (READ_ACP / WRITE_ACP read and write the bucket ACL)",
        bucket(acl=(grant("READ_ACP"), auth_users("WRITE_ACP"))),
        _PUBLIC,
        kinds(RA, WA),
    ),
    Case(
        "acl-bucket-full-control",
        ACL_PERMS + " (FULL_CONTROL on a bucket = READ, WRITE, READ_ACP, WRITE_ACP)",
        bucket(acl=(grant("FULL_CONTROL"),)),
        _PUBLIC,
        kinds(L, W, RA, WA),
    ),
    Case(
        "acl-object-read-is-read",
        ACL_PERMS + " (READ on an object reads the data)",
        bucket(object_acls=(obj("report.csv", grant("READ")),)),
        _PUBLIC,
        _READ,
    ),
    Case(
        "acl-object-write-not-applicable",
        ACL_PERMS + " (WRITE on an object: not applicable)",
        bucket(object_acls=(obj("report.csv", grant("WRITE")),)),
        _PRIVATE,
    ),
    Case(
        "acl-object-full-control",
        ACL_PERMS + " (FULL_CONTROL on an object = READ, READ_ACP, WRITE_ACP)",
        bucket(object_acls=(obj("a.txt", auth_users("FULL_CONTROL")),)),
        _PUBLIC,
        kinds(R, RA, WA),
    ),
    Case(
        "acl-unknown-permission-unknown",
        ACL_PERMS + " (five permissions exist); " + ANDON_UNKNOWN + "an unreadable grant",
        bucket(acl=(grant("READ_SOMETIMES"),)),
        _UNKNOWN,
        unknown=kinds(L, W, RA, WA),
        note="Engine fix: a public grant with an unrecognised permission was dropped (PRIVATE).",
    ),
    # --- Block Public Access and Object Ownership ----------------------------------------------
    Case(
        "ignorepublicacls-bucket-latent",
        S3_SETTINGS + " (IgnorePublicAcls); " + S3_SETTINGS_NOTE,
        bucket(acl=(grant("READ"),), bucket_bpa=Bpa(ignore_public_acls=True)),
        _PRIVATE,
        latent=kinds(L),
        reasons=("IgnorePublicAcls is on at the bucket level",),
    ),
    Case(
        "blockpublicacls-only-stored-acl-stays-live",
        S3_SETTINGS + " (BlockPublicAcls: existing ACLs are not modified)",
        bucket(acl=(grant("READ"),), bucket_bpa=Bpa(block_public_acls=True)),
        _PUBLIC,
        kinds(L),
        reasons=("BlockPublicAcls is on at the bucket level, but it only rejects new public ACLs",),
    ),
    Case(
        "ignorepublicacls-account-covers-object-acls",
        S3_SETTINGS + " (IgnorePublicAcls: all public ACLs on a bucket and its objects)",
        bucket(
            object_acls=(obj("a.txt", grant("READ")),),
            account_bpa=Bpa(ignore_public_acls=True),
        ),
        _PRIVATE,
        latent=_READ,
        reasons=("IgnorePublicAcls is on at the account level",),
    ),
    Case(
        "blockpublicpolicy-only-stored-policy-stays-live",
        S3_SETTINGS + " (BlockPublicPolicy doesn't affect existing policies)",
        bucket(policy=PUBLIC_READ_POLICY, account_bpa=Bpa(block_public_policy=True)),
        _PUBLIC,
        _READ,
        reasons=("only rejects new public policies",),
    ),
    Case(
        "restrictpublicbuckets-bucket-latent",
        S3_SETTINGS + " (RestrictPublicBuckets); " + S3_SETTINGS_NOTE,
        bucket(policy=PUBLIC_READ_POLICY, bucket_bpa=Bpa(restrict_public_buckets=True)),
        _PRIVATE,
        latent=_READ,
        reasons=(
            "statement `PublicRead` grants read",
            "held back only because RestrictPublicBuckets is on at the bucket level",
        ),
    ),
    Case(
        "doc-account1-example-public-without-rpb",
        S3_MIXED,
        _pol(_CLOUDTRAIL, _ACCOUNT_2, _EVERYONE),
        _PUBLIC,
        _READ,
        reasons=("statement `Everyone` grants read",),
    ),
    Case(
        "doc-account1-example-rpb-cuts-public-and-account2",
        S3_MIXED,
        _pol(_CLOUDTRAIL, _ACCOUNT_2, _EVERYONE, account_bpa=Bpa(restrict_public_buckets=True)),
        _PRIVATE,
        latent=_READ,
        reasons=(
            "RestrictPublicBuckets is on at the account level",
            f"RestrictPublicBuckets also cuts the policy's grants to other accounts ({OTHER})",
        ),
    ),
    Case(
        "doc-account1-example-without-statement-3-rpb-irrelevant",
        S3_MIXED + " (remove statement 3: the policy is not public)",
        _pol(_CLOUDTRAIL, _ACCOUNT_2, account_bpa=Bpa(restrict_public_buckets=True)),
        _PRIVATE,
    ),
    Case(
        "bpa-most-restrictive-account-wins-over-bucket-off",
        S3_LEVELS,
        bucket(
            acl=(grant("READ"),),
            policy=PUBLIC_READ_POLICY,
            account_bpa=ALL_ON,
            bucket_bpa=Bpa(),
        ),
        _PRIVATE,
        latent=kinds(R, L),
    ),
    Case(
        "bpa-bucket-on-account-off",
        S3_LEVELS,
        bucket(acl=(grant("READ"),), account_bpa=Bpa(), bucket_bpa=ALL_ON),
        _PRIVATE,
        latent=kinds(L),
    ),
    Case(
        "latent-and-live-together",
        S3_SETTINGS + "; " + S3_SETTINGS_NOTE,
        bucket(
            acl=(grant("READ"),),
            policy=PUBLIC_READ_POLICY,
            bucket_bpa=Bpa(ignore_public_acls=True),
        ),
        _PUBLIC,
        _READ,
        latent=kinds(L),
    ),
    Case(
        "bucketownerenforced-disables-acls",
        OWNERSHIP,
        bucket(
            acl=(grant("FULL_CONTROL"),),
            object_acls=(obj("a.txt", grant("READ")),),
            ownership="BucketOwnerEnforced",
        ),
        _PRIVATE,
        reasons=("ACLs are disabled",),
        note="Not latent: no BPA setting holds the grants back, ACLs are off altogether.",
    ),
    Case(
        "bucketownerpreferred-keeps-acls",
        OWNERSHIP + " (ACLs enabled: Bucket owner preferred)",
        bucket(acl=(grant("READ"),), ownership="BucketOwnerPreferred"),
        _PUBLIC,
        kinds(L),
    ),
    # --- unreadable parts ---------------------------------------------------------------------
    Case(
        "unreadable-policy-unknown",
        ANDON_UNKNOWN + "a policy that could not be read",
        bucket(policy=Unknown("AccessDenied on GetBucketPolicy")),
        _UNKNOWN,
        unknown=ALL,
    ),
    Case(
        "rpb-makes-unreadable-policy-irrelevant",
        S3_SETTINGS + " (RestrictPublicBuckets blocks public access from any public policy)",
        bucket(
            policy=Unknown("AccessDenied on GetBucketPolicy"),
            account_bpa=Bpa(restrict_public_buckets=True),
        ),
        _PRIVATE,
    ),
    Case(
        "unreadable-bucket-acl-unknown",
        ANDON_UNKNOWN + "a bucket ACL that could not be read",
        bucket(acl=Unknown("AccessDenied on GetBucketAcl")),
        _UNKNOWN,
        unknown=kinds(L, W, RA, WA),
    ),
    Case(
        "ignorepublicacls-makes-unreadable-acls-irrelevant",
        S3_SETTINGS + " (IgnorePublicAcls ignores all public ACLs)",
        bucket(
            acl=Unknown("AccessDenied"),
            object_acls=Unknown("AccessDenied"),
            bucket_bpa=Bpa(ignore_public_acls=True),
        ),
        _PRIVATE,
    ),
    Case(
        "unreadable-object-acls-unknown",
        ANDON_UNKNOWN + "object ACLs that could not be read",
        bucket(object_acls=Unknown("AccessDenied on GetObjectAcl")),
        _UNKNOWN,
        unknown=kinds(R, RA, WA),
    ),
    Case(
        "unreadable-bpa-with-public-acl-unknown",
        ANDON_UNKNOWN + "IgnorePublicAcls cannot be read, so the public ACL may or may not count",
        bucket(acl=(grant("READ"),), bucket_bpa=Unknown("AccessDenied")),
        _UNKNOWN,
        unknown=kinds(L),
        reasons=("IgnorePublicAcls could not be read",),
    ),
    Case(
        "unreadable-account-bpa-but-bucket-setting-on",
        S3_LEVELS + " (one level with the setting on is enough)",
        bucket(
            acl=(grant("READ"),),
            account_bpa=Unknown("AccessDenied"),
            bucket_bpa=Bpa(ignore_public_acls=True),
        ),
        _PRIVATE,
        latent=kinds(L),
    ),
    Case(
        "known-public-with-unreadable-acl",
        ANDON_UNKNOWN + "a known public grant stays PUBLIC",
        bucket(policy=PUBLIC_READ_POLICY, acl=Unknown("AccessDenied")),
        _PUBLIC,
        _READ,
        unknown=kinds(L, W, RA, WA),
    ),
    Case(
        "unreadable-ownership-acls-assumed-live",
        OWNERSHIP + "; " + ANDON_UNKNOWN + "ownership unknown",
        bucket(acl=(grant("READ"),), ownership=Unknown("AccessDenied")),
        _PUBLIC,
        kinds(L),
        reasons=("Object Ownership could not be read",),
        note="Ambiguous: with ownership unreadable, ACLs might be disabled. The engine keeps "
        "the conservative reading (ACLs in force), so the public grant counts as PUBLIC.",
    ),
    # --- access points --------------------------------------------------------------------------
    Case(
        "access-point-public-through-delegating-bucket",
        AP_DELEGATION + "; " + S3_AP_PUBLIC,
        bucket(
            policy=DELEGATING_POLICY,
            access_points=(access_point(policy=policy(stmt(resource=AP_OBJECTS))),),
        ),
        _PUBLIC,
        _READ,
        reasons=("access point 'reports'",),
    ),
    Case(
        "access-point-vpc-origin-never-public",
        S3_AP_PUBLIC + " (VPC network origin is always non-public)",
        bucket(
            policy=DELEGATING_POLICY,
            access_points=(
                access_point(
                    network_origin="VPC",
                    vpc_id="vpc-91237329",
                    policy=policy(stmt(resource=AP_OBJECTS)),
                ),
            ),
        ),
        _PRIVATE,
        reasons=("VPC network origin",),
    ),
    Case(
        "access-point-public-but-bucket-has-no-policy",
        AP_BOTH,
        bucket(access_points=(access_point(policy=policy(stmt(resource=AP_OBJECTS))),)),
        _PRIVATE,
    ),
    Case(
        "access-point-bucket-delegates-to-another-access-point",
        AP_BOTH,
        bucket(
            policy=policy(
                _cond(
                    "StringEquals",
                    "s3:DataAccessPointArn",
                    f"arn:aws:s3:{REGION}:{OWNER}:accesspoint/other",
                )
            ),
            access_points=(access_point(policy=policy(stmt(resource=AP_OBJECTS))),),
        ),
        _PRIVATE,
        reasons=("does not let the public in through it",),
    ),
    Case(
        "dataaccesspointarn-wildcard-in-access-point-policy-public",
        S3_AP_PUBLIC + " (the same s3:DataAccessPointArn statement renders an access point "
        "policy public)",
        bucket(
            policy=DELEGATING_POLICY,
            access_points=(
                access_point(
                    policy=policy(
                        stmt(
                            resource=AP_OBJECTS,
                            condition={
                                "StringLike": {
                                    "s3:DataAccessPointArn": f"arn:aws:s3:{REGION}:{OWNER}"
                                    ":accesspoint/*"
                                }
                            },
                        )
                    )
                ),
            ),
        ),
        _PUBLIC,
        _READ,
    ),
    Case(
        "access-point-level-rpb-latent",
        S3_SETTINGS + " (RestrictPublicBuckets on an access point); " + S3_LEVELS,
        bucket(
            policy=DELEGATING_POLICY,
            access_points=(
                access_point(
                    policy=policy(stmt(resource=AP_OBJECTS)),
                    bpa=Bpa(restrict_public_buckets=True),
                ),
            ),
        ),
        _PRIVATE,
        latent=_READ,
        reasons=("RestrictPublicBuckets is on at the access point level",),
    ),
    Case(
        "bucket-level-rpb-applies-to-access-points",
        S3_SETTINGS + " (a bucket setting applies to all its access points)",
        bucket(
            policy=DELEGATING_POLICY,
            bucket_bpa=Bpa(restrict_public_buckets=True),
            access_points=(access_point(policy=policy(stmt(resource=AP_OBJECTS))),),
        ),
        _PRIVATE,
        latent=_READ,
    ),
    Case(
        "access-point-ignorepublicacls-does-not-touch-direct-acl",
        S3_SETTINGS + " (access-point settings apply to requests through the access point)",
        bucket(
            acl=(grant("READ"),),
            access_points=(access_point(bpa=ALL_ON),),
        ),
        _PUBLIC,
        kinds(L),
    ),
    Case(
        "access-point-unreadable-policy-unknown",
        ANDON_UNKNOWN + "an access point policy that could not be read",
        bucket(
            policy=DELEGATING_POLICY,
            access_points=(access_point(policy=Unknown("AccessDenied")),),
        ),
        _UNKNOWN,
        unknown=ALL,
    ),
    Case(
        "access-points-unlisted-unknown",
        ANDON_UNKNOWN + "access points that could not be listed",
        bucket(policy=DELEGATING_POLICY, access_points=Unknown("AccessDenied")),
        _UNKNOWN,
        unknown=ALL,
    ),
    Case(
        "access-points-unlisted-but-account-rpb",
        S3_SETTINGS + " (an account setting applies to all buckets and access points)",
        bucket(
            policy=DELEGATING_POLICY,
            access_points=Unknown("AccessDenied"),
            account_bpa=Bpa(restrict_public_buckets=True),
        ),
        _PRIVATE,
        note="Engine fix: unlisted access points ignored account/bucket RestrictPublicBuckets.",
    ),
    Case(
        "access-point-without-arn-gets-derived-arn",
        AP_DELEGATION + " (access point ARN: arn:aws:s3:<region>:<account>:accesspoint/<name>)",
        bucket(
            policy=DELEGATING_POLICY,
            access_points=(access_point(arn="", policy=policy(stmt(resource=AP_OBJECTS))),),
        ),
        _PUBLIC,
        _READ,
    ),
    Case(
        "access-point-public-but-bucket-policy-unreadable",
        AP_BOTH + "; " + ANDON_UNKNOWN + "the bucket side cannot be read",
        bucket(
            policy=Unknown("AccessDenied"),
            access_points=(access_point(policy=policy(stmt(resource=AP_OBJECTS))),),
        ),
        _UNKNOWN,
        unknown=ALL,
    ),
    Case(
        "access-point-policy-deny-takes-back",
        AP_BOTH + "; " + IAM_EVAL,
        bucket(
            policy=DELEGATING_POLICY,
            access_points=(
                access_point(
                    policy=policy(
                        stmt(resource=AP_OBJECTS),
                        deny(action="s3:*", resource=[AP_ARN, AP_OBJECTS]),
                    )
                ),
            ),
        ),
        _PRIVATE,
    ),
    Case(
        "bucket-policy-deny-blocks-access-point-path",
        AP_BOTH + "; " + IAM_EVAL + " (the bucket policy must also permit the request)",
        bucket(
            policy=policy(
                stmt(
                    principal={"AWS": "*"},
                    action="*",
                    resource=[BUCKET_ARN, OBJECTS],
                    condition={"StringEquals": {"s3:DataAccessPointAccount": OWNER}},
                ),
                deny(sid="NoReads", action="s3:GetObject*"),
            ),
            access_points=(access_point(policy=policy(stmt(resource=AP_OBJECTS))),),
        ),
        _PRIVATE,
    ),
    Case(
        "bucket-policy-deny-unless-own-access-points",
        AP_DELEGATION
        + "; "
        + IAM_ABSENT
        + " (direct requests lack s3:DataAccessPointAccount, so the Deny applies)",
        bucket(
            policy=policy(
                stmt(),
                deny(condition={"StringNotEquals": {"s3:DataAccessPointAccount": OWNER}}),
            ),
            access_points=(access_point(policy=policy(stmt(resource=AP_OBJECTS))),),
        ),
        _PUBLIC,
        _READ,
        reasons=("access point 'reports'",),
        note="Direct reads are denied; reads through the Internet access point are not.",
    ),
    Case(
        "website-endpoint-noted",
        "Amazon S3 User Guide, 'Setting permissions for website access' "
        "(doc_source/WebsiteAccessPermissionsReqd.md) → public read through a bucket policy",
        bucket(policy=PUBLIC_READ_POLICY, website=True),
        _PUBLIC,
        _READ,
        reasons=("static website hosting is on",),
    ),
    # --- Prowler's documented mistakes, as regressions -------------------------------------
    Case(
        "prowler-deny-ignored",
        PROWLER + IAM_EVAL,
        _pol(stmt(), deny(action="s3:*", resource=[BUCKET_ARN, OBJECTS])),
        _PRIVATE,
    ),
    Case(
        "prowler-notprincipal-ignored",
        PROWLER + IAM_NOTPRINCIPAL,
        _pol(stmt(principal=None, NotPrincipal={"AWS": f"arn:aws:iam::{OTHER}:root"})),
        _PUBLIC,
        _READ,
    ),
    Case(
        "prowler-vpc-wildcard-passes",
        PROWLER + S3_EXAMPLES,
        _pol(_cond("StringLike", "aws:SourceVpc", "vpc-*")),
        _PUBLIC,
        _READ,
    ),
    Case(
        "prowler-fixed-public-24-flagged",
        PROWLER + S3_SOURCEIP,
        _pol(_cond("IpAddress", "aws:SourceIp", ["198.51.100.0/24", "203.0.113.0/24"])),
        _PRIVATE,
    ),
]
