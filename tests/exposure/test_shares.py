"""Shared copies: RDS snapshots and cluster snapshots, EBS snapshots, AMIs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from andon.core.model import Access, Level
from andon.exposure.aws_models import SharedCopyState
from andon.exposure.s3_model import Unknown
from andon.exposure.shares import evaluate_share, org_of_arn

from .aws_cases import ORG, OTHER, OTHER_ORG, OWNER, THIRD

READ = frozenset({Access.READ})
NONE: frozenset[Access] = frozenset()

RDS_SHARE = (
    "RDS API Reference, ModifyDBSnapshotAttribute (docs.aws.amazon.com/AmazonRDS/latest/"
    "APIReference/API_ModifyDBSnapshotAttribute.html): restore = all makes a manual snapshot "
    "public; account ids share it; encrypted snapshots only with listed accounts"
)
RDS_CLUSTER_SHARE = (
    "RDS API Reference, ModifyDBClusterSnapshotAttribute (docs.aws.amazon.com/AmazonRDS/latest/"
    "APIReference/API_ModifyDBClusterSnapshotAttribute.html)"
)
EBS_SHARE = (
    "EC2 API Reference, ModifySnapshotAttribute (docs.aws.amazon.com/AWSEC2/latest/APIReference/"
    "API_ModifySnapshotAttribute.html): createVolumePermission Group all / UserId"
)
EBS_BPA = (
    "EC2 API Reference, EnableSnapshotBlockPublicAccess (docs.aws.amazon.com/AWSEC2/latest/"
    "APIReference/API_EnableSnapshotBlockPublicAccess.html): block-all-sharing treats public "
    "snapshots as private; block-new-sharing only blocks new sharing"
)
AMI_SHARE = (
    "EC2 API Reference, ModifyImageAttribute / LaunchPermission (docs.aws.amazon.com/AWSEC2/"
    "latest/APIReference/API_LaunchPermission.html): Group all, UserId, OrganizationArn, "
    "OrganizationalUnitArn"
)
AMI_BPA = (
    "EC2 API Reference, EnableImageBlockPublicAccess (docs.aws.amazon.com/AWSEC2/latest/"
    "APIReference/API_EnableImageBlockPublicAccess.html): existing public AMIs remain public"
)
AA_FINDINGS = (
    "IAM User Guide, 'Findings for public and cross-account access' (docs.aws.amazon.com/IAM/"
    "latest/UserGuide/access-analyzer-findings.html): zone of trust = account or organization"
)


def copy(kind: str = "rds-snapshot", **kw: Any) -> SharedCopyState:
    base: dict[str, Any] = {"kind": kind, "identifier": "snap-1", "account": OWNER}
    base.update(kw)
    return SharedCopyState(**base)


@dataclass(frozen=True)
class ShareCase:
    id: str
    source: str
    state: SharedCopyState
    level: Level
    access: frozenset[Access] = NONE
    latent: frozenset[Access] = NONE
    unknown: frozenset[Access] = NONE
    reasons: tuple[str, ...] = ()
    trusted: frozenset[str] = frozenset()


_PUB, _X, _PRIV, _UNK = Level.PUBLIC, Level.CROSS_ACCOUNT, Level.PRIVATE, Level.UNKNOWN

CASES = [
    ShareCase(
        "rds-snapshot-restore-all",
        RDS_SHARE,
        copy(public=True),
        _PUB,
        READ,
        reasons=("restore attribute all",),
    ),
    ShareCase(
        "rds-snapshot-other-account",
        RDS_SHARE,
        copy(accounts=(OTHER,)),
        _X,
        READ,
        reasons=(f"account {OTHER}",),
    ),
    ShareCase(
        "rds-snapshot-trusted-account",
        RDS_SHARE + "; " + AA_FINDINGS,
        copy(accounts=(OTHER,)),
        _PRIV,
        trusted=frozenset({OTHER}),
        reasons=("trusted:",),
    ),
    ShareCase(
        "rds-snapshot-encrypted-shared",
        RDS_SHARE + " (the other account also needs the KMS key; still reported)",
        copy(accounts=(OTHER,), encrypted=True),
        _X,
        READ,
        reasons=("KMS key",),
    ),
    ShareCase("rds-snapshot-not-shared", RDS_SHARE, copy(), _PRIV, reasons=("not shared",)),
    ShareCase(
        "rds-snapshot-attributes-unreadable",
        "Andon's rule: an unreadable part is UNKNOWN, never PRIVATE",
        copy(
            public=Unknown("AccessDenied on DescribeDBSnapshotAttributes"),
            accounts=Unknown("AccessDenied"),
        ),
        _UNK,
        unknown=READ,
    ),
    ShareCase(
        "rds-cluster-snapshot-public",
        RDS_CLUSTER_SHARE,
        copy("rds-cluster-snapshot", public=True, accounts=(OTHER,)),
        _PUB,
        READ,
        reasons=("DB cluster snapshot", f"account {OTHER}"),
    ),
    ShareCase(
        "rds-cluster-snapshot-two-accounts-one-trusted",
        RDS_CLUSTER_SHARE + "; " + AA_FINDINGS,
        copy("rds-cluster-snapshot", accounts=(OTHER, THIRD)),
        _X,
        READ,
        trusted=frozenset({OTHER}),
        reasons=(f"account {THIRD}",),
    ),
    ShareCase("ebs-snapshot-group-all", EBS_SHARE, copy("ebs-snapshot", public=True), _PUB, READ),
    ShareCase("ebs-snapshot-user-id", EBS_SHARE, copy("ebs-snapshot", accounts=(OTHER,)), _X, READ),
    ShareCase(
        "ebs-snapshot-block-all-sharing-latent",
        EBS_BPA,
        copy("ebs-snapshot", public=True, block_public_access="block-all-sharing"),
        _PRIV,
        latent=READ,
        reasons=("latent:", "block-all-sharing"),
    ),
    ShareCase(
        "ebs-snapshot-block-all-sharing-keeps-accounts",
        EBS_BPA + " (account shares are not public sharing)",
        copy(
            "ebs-snapshot", public=True, accounts=(OTHER,), block_public_access="block-all-sharing"
        ),
        _X,
        READ,
        latent=READ,
    ),
    ShareCase(
        "ebs-snapshot-block-new-sharing-still-public",
        EBS_BPA,
        copy("ebs-snapshot", public=True, block_public_access="block-new-sharing"),
        _PUB,
        READ,
        reasons=("only stops new public sharing",),
    ),
    ShareCase(
        "ebs-snapshot-bpa-unreadable",
        EBS_BPA + "; Andon's rule: an unreadable part is UNKNOWN",
        copy("ebs-snapshot", public=True, block_public_access=Unknown("not implemented")),
        _UNK,
        unknown=READ,
    ),
    ShareCase(
        "ami-public",
        AMI_SHARE,
        copy("ami", public=True),
        _PUB,
        READ,
        reasons=("launchPermission all",),
    ),
    ShareCase(
        "ami-public-despite-image-bpa",
        AMI_BPA,
        copy("ami", public=True, block_public_access="block-new-sharing"),
        _PUB,
        READ,
    ),
    ShareCase(
        "ami-own-organization",
        AMI_SHARE + "; " + AA_FINDINGS,
        copy("ami", organizations=(f"arn:aws:organizations::{OWNER}:organization/{ORG}",)),
        _PRIV,
        reasons=("the trusted organization",),
    ),
    ShareCase(
        "ami-other-organization",
        AMI_SHARE + "; " + AA_FINDINGS,
        copy("ami", organizations=(f"arn:aws:organizations::{OTHER}:organization/{OTHER_ORG}",)),
        _X,
        READ,
    ),
    ShareCase(
        "ami-organizational-unit-of-own-org",
        AMI_SHARE,
        copy(
            "ami",
            organizational_units=(f"arn:aws:organizations::{OWNER}:ou/{ORG}/ou-ab12-11111111",),
        ),
        _PRIV,
    ),
    ShareCase(
        "ami-shared-with-owner-only",
        AMI_SHARE,
        copy("ami", accounts=(OWNER,)),
        _PRIV,
    ),
]


def test_table_is_sourced_and_unique() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))
    assert len(CASES) >= 20
    for c in CASES:
        assert ".html" in c.source or "Andon's" in c.source, c.id


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case: ShareCase) -> None:
    e = evaluate_share(case.state, trusted_accounts=case.trusted, org_id=ORG)
    got = (e.level, e.access, e.latent_access, e.unknown_access)
    assert got == (case.level, case.access, case.latent, case.unknown), "\n".join(e.reasons)
    for phrase in case.reasons:
        assert any(phrase in r for r in e.reasons), (phrase, e.reasons)
    assert e.reasons


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case_survives_the_stored_form(case: ShareCase) -> None:
    again = SharedCopyState.from_dict(case.state.to_dict())
    assert again == case.state


def test_from_restore_attribute() -> None:
    s = SharedCopyState.from_restore_attribute(
        "rds-snapshot", "snap", ["all", OTHER], account=OWNER
    )
    assert s.public is True and s.accounts == (OTHER,)


def test_from_permissions() -> None:
    perms = [
        {"Group": "all"},
        {"UserId": OTHER},
        {"OrganizationArn": f"arn:aws:organizations::{OWNER}:organization/{ORG}"},
        {"OrganizationalUnitArn": f"arn:aws:organizations::{OWNER}:ou/{ORG}/ou-x"},
    ]
    s = SharedCopyState.from_permissions("ami", "ami-1", perms)
    assert s.public is True and s.accounts == (OTHER,)
    assert len(s.organizations) == 1 and len(s.organizational_units) == 1


def test_org_of_arn() -> None:
    assert org_of_arn(f"arn:aws:organizations::{OWNER}:organization/{ORG}") == ORG
    assert org_of_arn(f"arn:aws:organizations::{OWNER}:ou/{ORG}/ou-ab12-1") == ORG
    assert org_of_arn("garbage") == ""
