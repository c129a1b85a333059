"""Rules for shared copies: RDS DB and cluster snapshots, EBS snapshots and AMIs.

The matchers read the :class:`~andon.core.model.Exposure` computed by
:mod:`andon.exposure.shares`: a "public" rule fires on level PUBLIC (shared with ``all`` and
not held back by block public access), a "cross-account" rule on CROSS_ACCOUNT (shared with
an account or organization outside the trust zone).
"""

from __future__ import annotations

from andon.core.model import Level, Severity
from andon.rules.aws_services import REF_ANALYZER, TRUST_NOTE, article, level_is
from andon.rules.base import Remediation, Rule, RuleMeta
from andon.rules.s3 import APPI_26, GDPR_32, GDPR_33

RDS_SNAPSHOTS = ("snapshot.database", "snapshot.database_cluster")

_RDS = "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/"
_EC2 = "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/"
_SH = "https://docs.aws.amazon.com/securityhub/latest/userguide/"


def _share_rule(
    rid: str,
    what: str,
    kinds: tuple[str, ...],
    level: Level,
    severity: Severity,
    fix: tuple[str, ...],
    verify: str,
    tf: str,
    refs: tuple[str, ...],
    guard: str | None,
    example: str = "a published sample data set, say",
) -> Rule:
    public = level is Level.PUBLIC
    then = (
        f", then turn on {guard} in every region so it cannot happen again"
        if guard
        else ", and review who may call the sharing APIs (an SCP can deny them)"
    )
    return Rule(
        RuleMeta(
            id=rid,
            title=(
                f"{what} is shared with every AWS account"
                if public
                else f"{what} is shared with accounts outside your trust zone"
            ),
            severity=severity,
            resource_kinds=kinds,
            risk=(
                (
                    f"A public {what} is a full copy of the data: anyone with an AWS account "
                    "can find it by listing public copies and restore or launch it in their "
                    "own account, where none of your access controls, logs or encryption "
                    "apply. Researchers and attackers scan public snapshots and images "
                    "continuously; credentials, keys and customer data are found in them "
                    "every week."
                )
                if public
                else (
                    f"The {what} can be copied by the accounts it is shared with, and once "
                    "copied it is out of your control: review that each account still needs "
                    "it and still belongs to whom you think."
                )
            ),
            description=(
                f"Fires when the {what}'s sharing attribute "
                + (
                    "includes the group all (public) and no block public access setting "
                    "treats it as private."
                    if public
                    else "lists an account or organization outside the trust zone (the "
                    "owner, the `[trust]` accounts and organization, the organization of "
                    "`--org`)."
                )
            ),
            remediation=Remediation(
                summary=(
                    (
                        f"Remove the public share now{then}. Assume anything in the copy "
                        "(passwords, keys, personal data) was taken while it was public."
                    )
                    if public
                    else "Remove the accounts that no longer need the copy; keep the rest "
                    "and trust them in the config file if they are yours."
                ),
                console=(
                    f"Console → the {what} → Actions → Modify permissions (or Share "
                    "snapshot): set it to Private, or remove the outside accounts → Save.",
                    *(
                        (
                            f"EC2 console → Dashboard → Data protection and security → {guard} "
                            "→ Manage → block.",
                        )
                        if public and guard
                        else ()
                    ),
                ),
                cli=fix,
                terraform=tf,
            ),
            references=(*refs, REF_ANALYZER),
            verify=(verify,),
            categories=(
                ("internet-exposed", "data-protection")
                if public
                else ("cross-account", "data-protection")
            ),
            compliance=(APPI_26, GDPR_32, GDPR_33) if public else (),
            exemption_note=(
                f"{article(what).capitalize()} {what} meant for everyone ({example}) may be "
                "tagged `andon:public=<reason>`; never share copies of production data."
            )
            if public
            else TRUST_NOTE,
        ),
        level_is(level),
    )


RDS_SNAP_FIX = (
    "aws rds modify-db-snapshot-attribute --db-snapshot-identifier <snapshot> "
    "--attribute-name restore --values-to-remove all",
    "aws rds modify-db-cluster-snapshot-attribute --db-cluster-snapshot-identifier <snapshot> "
    "--attribute-name restore --values-to-remove all  # cluster snapshots",
    "# for an outside account: --values-to-remove <account-id>",
)
RDS_SNAP_VERIFY = (
    "aws rds describe-db-snapshot-attributes --db-snapshot-identifier <snapshot>  "
    "# restore: all or <account-id>"
)
RDS_SNAP_TF = (
    'resource "aws_db_snapshot" "this" {\n'
    "  db_instance_identifier = aws_db_instance.this.identifier\n"
    '  db_snapshot_identifier = "<snapshot>"\n'
    '  shared_accounts        = []  # never ["all"]\n}'
)
EBS_FIX = (
    "aws ec2 modify-snapshot-attribute --snapshot-id <snapshot-id> --attribute "
    "createVolumePermission --operation-type remove --group-names all",
    "aws ec2 enable-snapshot-block-public-access --state block-all-sharing  # per region",
    "# for an outside account: --user-ids <account-id> instead of --group-names all",
)
EBS_VERIFY = (
    "aws ec2 describe-snapshot-attribute --snapshot-id <snapshot-id> "
    "--attribute createVolumePermission  # owner <account-id>"
)
EBS_TF = (
    'resource "aws_ebs_snapshot_block_public_access" "this" {\n'
    '  state = "block-all-sharing"\n}\n\n'
    "# and remove every aws_snapshot_create_volume_permission naming an outside account"
)
AMI_FIX = (
    'aws ec2 modify-image-attribute --image-id <ami-id> --launch-permission "Remove=[{Group=all}]"',
    "aws ec2 enable-image-block-public-access --image-block-public-access-state "
    "block-new-sharing  # per region",
    "# for an outside account: Remove=[{UserId=<account-id>}]",
)
AMI_VERIFY = (
    "aws ec2 describe-image-attribute --image-id <ami-id> --attribute launchPermission  "
    "# owner <account-id>"
)
AMI_TF = (
    'resource "aws_ec2_image_block_public_access" "this" {\n'
    '  state = "block-new-sharing"\n}\n\n'
    "# and remove every aws_ami_launch_permission naming group all or an outside account"
)
_EBS = "https://docs.aws.amazon.com/ebs/latest/userguide/"
RDS_SNAP_REFS = (_RDS + "USER_ShareSnapshot.html", _SH + "rds-controls.html")
EBS_REFS = (
    _EBS + "ebs-modifying-snapshot-permissions.html",
    _EBS + "block-public-access-snapshots.html",
)
AMI_REFS = (_EC2 + "sharingamis-intro.html", _EC2 + "block-public-access-to-amis.html")


RULES: tuple[Rule, ...] = (
    _share_rule(
        "rds.snapshot.public",
        "RDS snapshot",
        RDS_SNAPSHOTS,
        Level.PUBLIC,
        Severity.CRITICAL,
        RDS_SNAP_FIX,
        RDS_SNAP_VERIFY,
        RDS_SNAP_TF,
        RDS_SNAP_REFS,
        None,
    ),
    _share_rule(
        "rds.snapshot.cross_account",
        "RDS snapshot",
        RDS_SNAPSHOTS,
        Level.CROSS_ACCOUNT,
        Severity.MEDIUM,
        RDS_SNAP_FIX,
        RDS_SNAP_VERIFY,
        RDS_SNAP_TF,
        RDS_SNAP_REFS,
        None,
    ),
    _share_rule(
        "ec2.snapshot.public",
        "EBS snapshot",
        ("snapshot.volume",),
        Level.PUBLIC,
        Severity.CRITICAL,
        EBS_FIX,
        EBS_VERIFY,
        EBS_TF,
        EBS_REFS,
        "Block public access for snapshots",
    ),
    _share_rule(
        "ec2.snapshot.cross_account",
        "EBS snapshot",
        ("snapshot.volume",),
        Level.CROSS_ACCOUNT,
        Severity.MEDIUM,
        EBS_FIX,
        EBS_VERIFY,
        EBS_TF,
        EBS_REFS,
        "Block public access for snapshots",
    ),
    _share_rule(
        "ec2.image.public",
        "AMI",
        ("image.machine",),
        Level.PUBLIC,
        Severity.HIGH,
        AMI_FIX,
        AMI_VERIFY,
        AMI_TF,
        AMI_REFS,
        "Block public access for AMIs",
        "a published community image, say",
    ),
    _share_rule(
        "ec2.image.cross_account",
        "AMI",
        ("image.machine",),
        Level.CROSS_ACCOUNT,
        Severity.LOW,
        AMI_FIX,
        AMI_VERIFY,
        AMI_TF,
        AMI_REFS,
        "Block public access for AMIs",
        "a published community image, say",
    ),
)
