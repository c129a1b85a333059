"""Small builders shared by the exposure tests: policies, statements and bucket states."""

from __future__ import annotations

import json
from typing import Any

from andon.core.model import Access
from andon.exposure.s3_model import (
    ALL_USERS,
    AUTHENTICATED_USERS,
    LOG_DELIVERY,
    AccessPointState,
    Bpa,
    Grant,
    ObjectAcl,
    S3BucketState,
)

OWNER = "111122223333"  # "Account-1" of the S3 User Guide example
OTHER = "444455556666"  # "Account-2"
REGION = "us-west-2"
BUCKET = "example-bucket"
BUCKET_ARN = f"arn:aws:s3:::{BUCKET}"
OBJECTS = f"arn:aws:s3:::{BUCKET}/*"
AP_NAME = "reports"
AP_ARN = f"arn:aws:s3:{REGION}:{OWNER}:accesspoint/{AP_NAME}"
AP_OBJECTS = f"{AP_ARN}/object/*"

R, L, W, RA, WA = Access.READ, Access.LIST, Access.WRITE, Access.READ_ACL, Access.WRITE_ACL
ALL = frozenset(Access)
NONE: frozenset[Access] = frozenset()

ALL_ON = Bpa(True, True, True, True)


def kinds(*access: Access) -> frozenset[Access]:
    return frozenset(access)


def stmt(
    effect: str = "Allow",
    principal: Any = "*",
    action: Any = "s3:GetObject",
    resource: Any = OBJECTS,
    condition: dict[str, Any] | None = None,
    sid: str | None = None,
    **elements: Any,
) -> dict[str, Any]:
    """One policy statement. ``principal=None`` / ``action=None`` / ``resource=None`` leave the
    element out (use ``NotPrincipal=...`` etc. through ``elements`` instead)."""
    s: dict[str, Any] = {}
    if sid is not None:
        s["Sid"] = sid
    s["Effect"] = effect
    if principal is not None:
        s["Principal"] = principal
    if action is not None:
        s["Action"] = action
    if resource is not None:
        s["Resource"] = resource
    if condition is not None:
        s["Condition"] = condition
    s.update(elements)
    return s


def deny(**kw: Any) -> dict[str, Any]:
    return stmt(effect="Deny", **kw)


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def grant(permission: str, grantee: str = ALL_USERS, grantee_type: str = "Group") -> Grant:
    return Grant(grantee_type, grantee, permission)


def auth_users(permission: str) -> Grant:
    return grant(permission, AUTHENTICATED_USERS)


def log_delivery(permission: str) -> Grant:
    return grant(permission, LOG_DELIVERY)


def obj(key: str, *grants: Grant) -> ObjectAcl:
    return ObjectAcl(key, tuple(grants))


def bucket(**fields: Any) -> S3BucketState:
    base: dict[str, Any] = {"name": BUCKET, "account": OWNER, "region": REGION}
    base.update(fields)
    return S3BucketState(**base)


def access_point(**fields: Any) -> AccessPointState:
    base: dict[str, Any] = {"name": AP_NAME, "arn": AP_ARN, "account": OWNER}
    base.update(fields)
    return AccessPointState(**base)


# The bucket policy that "delegates access control to access points" (S3 User Guide,
# "Configuring IAM policies for using access points"): non-public, fixed
# s3:DataAccessPointAccount.
DELEGATING_POLICY = policy(
    stmt(
        sid="DelegateToAccessPoints",
        principal={"AWS": "*"},
        action="*",
        resource=[BUCKET_ARN, OBJECTS],
        condition={"StringEquals": {"s3:DataAccessPointAccount": OWNER}},
    )
)

PUBLIC_READ_POLICY = policy(stmt(sid="PublicRead"))
