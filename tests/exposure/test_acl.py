"""ACL grants → public access kinds.

Source: S3 User Guide, "Blocking public access" → "The meaning of 'public'" → ACLs, and
"Access control list (ACL) overview" → predefined groups and the ACL permissions table.
"""

from __future__ import annotations

import pytest

from andon.core.model import Access
from andon.exposure.acl import has_unreadable_public_grant, is_public_grant, public_acl_access
from andon.exposure.s3_model import ALL_USERS, AUTHENTICATED_USERS, LOG_DELIVERY, Grant

from .builders import RA, WA, L, R, W, kinds


@pytest.mark.parametrize(
    ("grant", "public"),
    [
        (Grant("Group", ALL_USERS, "READ"), True),
        (Grant("Group", AUTHENTICATED_USERS, "READ"), True),
        (Grant("Group", ALL_USERS + "/", "READ"), True),
        (Grant("Group", LOG_DELIVERY, "WRITE"), False),
        (
            Grant(
                "CanonicalUser",
                "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd4",
                "READ",
            ),
            False,
        ),
        (Grant("AmazonCustomerByEmail", "someone@example.com", "FULL_CONTROL"), False),
        (Grant("CanonicalUser", ALL_USERS, "READ"), False),  # a URI only means a group as a Group
    ],
)
def test_is_public_grant(grant: Grant, public: bool) -> None:
    assert is_public_grant(grant) is public


@pytest.mark.parametrize(
    ("permission", "on_bucket", "on_object"),
    [
        ("READ", kinds(L), kinds(R)),
        ("WRITE", kinds(W), kinds()),
        ("READ_ACP", kinds(RA), kinds(RA)),
        ("WRITE_ACP", kinds(WA), kinds(WA)),
        ("FULL_CONTROL", kinds(L, W, RA, WA), kinds(R, RA, WA)),
        ("read", kinds(L), kinds(R)),
    ],
)
def test_permission_mapping(
    permission: str, on_bucket: frozenset[Access], on_object: frozenset[Access]
) -> None:
    grants = [Grant("Group", ALL_USERS, permission)]
    assert public_acl_access(grants, on_object=False, where="b")[0] == on_bucket
    assert public_acl_access(grants, on_object=True, where="o")[0] == on_object


def test_reasons_name_group_permission_and_where() -> None:
    grants = [
        Grant("Group", AUTHENTICATED_USERS, "FULL_CONTROL"),
        Grant("Group", LOG_DELIVERY, "WRITE"),
        Grant("CanonicalUser", "owner", "FULL_CONTROL"),
    ]
    access, reasons = public_acl_access(grants, on_object=True, where="the ACL of object 'k'")
    assert access == kinds(R, RA, WA)
    assert reasons == [
        "the ACL of object 'k' grants FULL_CONTROL to AuthenticatedUsers (any AWS account): "
        "read, read-acl, write-acl"
    ]


def test_object_write_grant_is_reported_as_nothing() -> None:
    access, reasons = public_acl_access(
        [Grant("Group", ALL_USERS, "WRITE")], on_object=True, where="o"
    )
    assert access == kinds()
    assert reasons == ["o grants WRITE to AllUsers (anyone): nothing"]


def test_unknown_permission() -> None:
    grants = [Grant("Group", ALL_USERS, "READ_WRITE")]
    access, reasons = public_acl_access(grants, on_object=False, where="b")
    assert access == kinds()
    assert "unknown permission READ_WRITE" in reasons[0]
    assert has_unreadable_public_grant(grants)
    assert not has_unreadable_public_grant([Grant("Group", LOG_DELIVERY, "READ_WRITE")])
    assert not has_unreadable_public_grant([Grant("Group", ALL_USERS, "WRITE_ACP")])
