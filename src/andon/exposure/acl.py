"""ACL grants → public access kinds.

Source: Amazon S3 User Guide, "Blocking public access" → "The meaning of 'public'" → ACLs: an
ACL is public if it grants any permission to the predefined ``AllUsers`` or
``AuthenticatedUsers`` groups (``AuthenticatedUsers`` is any AWS account in the world). What each
permission allows: S3 User Guide, "Access control list (ACL) overview" → "ACL permissions":
on a bucket READ lists objects, WRITE creates, overwrites and deletes objects, READ_ACP and
WRITE_ACP read and write the bucket ACL; on an object READ reads the data and metadata,
READ_ACP/WRITE_ACP read and write the object ACL; FULL_CONTROL is all of them. WRITE on an
object has no effect.
"""

from __future__ import annotations

from collections.abc import Iterable

from andon.core.model import Access
from andon.exposure.s3_model import ALL_USERS, AUTHENTICATED_USERS, Grant

PUBLIC_GROUPS = {
    ALL_USERS: "AllUsers (anyone)",
    AUTHENTICATED_USERS: "AuthenticatedUsers (any AWS account)",
}

BUCKET_PERMISSIONS: dict[str, frozenset[Access]] = {
    "READ": frozenset({Access.LIST}),
    "WRITE": frozenset({Access.WRITE}),
    "READ_ACP": frozenset({Access.READ_ACL}),
    "WRITE_ACP": frozenset({Access.WRITE_ACL}),
    "FULL_CONTROL": frozenset({Access.LIST, Access.WRITE, Access.READ_ACL, Access.WRITE_ACL}),
}
OBJECT_PERMISSIONS: dict[str, frozenset[Access]] = {
    "READ": frozenset({Access.READ}),
    "WRITE": frozenset(),
    "READ_ACP": frozenset({Access.READ_ACL}),
    "WRITE_ACP": frozenset({Access.WRITE_ACL}),
    "FULL_CONTROL": frozenset({Access.READ, Access.READ_ACL, Access.WRITE_ACL}),
}


def is_public_grant(grant: Grant) -> bool:
    return grant.grantee_type == "Group" and grant.grantee.rstrip("/") in PUBLIC_GROUPS


def has_unreadable_public_grant(grants: Iterable[Grant]) -> bool:
    """Whether a public group holds a permission outside the five S3 defines (corrupt input):
    what it gives cannot be told, so the caller counts it as unknown, never as private."""
    return any(
        is_public_grant(g) and g.permission.upper() not in BUCKET_PERMISSIONS for g in grants
    )


def public_acl_access(
    grants: Iterable[Grant], *, on_object: bool, where: str
) -> tuple[frozenset[Access], list[str]]:
    """The access a bucket or object ACL gives the public, with one reason per public grant."""
    table = OBJECT_PERMISSIONS if on_object else BUCKET_PERMISSIONS
    access: set[Access] = set()
    reasons: list[str] = []
    for g in grants:
        if not is_public_grant(g):
            continue
        kinds = table.get(g.permission.upper())
        if kinds is None:
            reasons.append(f"{where} grants unknown permission {g.permission} to a public group")
            continue
        access |= kinds
        group = PUBLIC_GROUPS[g.grantee.rstrip("/")]
        what = ", ".join(a.value for a in sorted(kinds, key=list(Access).index)) or "nothing"
        reasons.append(f"{where} grants {g.permission} to {group}: {what}")
    return frozenset(access), reasons
