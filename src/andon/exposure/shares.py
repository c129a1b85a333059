"""Shared copies: RDS DB and cluster snapshots, EBS snapshots, AMIs.

Sources:

* RDS API Reference, ``ModifyDBSnapshotAttribute`` / ``ModifyDBClusterSnapshotAttribute``:
  the ``restore`` attribute lists the accounts that may copy or restore a manual snapshot;
  ``all`` makes it public ("can be copied or restored by all AWS accounts"); an encrypted
  snapshot can be shared only with listed accounts, never with ``all``.
* EC2 API Reference, ``ModifySnapshotAttribute`` (``createVolumePermission``: ``Group: all``
  or ``UserId``) and ``ModifyImageAttribute`` (``launchPermission``: ``Group: all``,
  ``UserId``, ``OrganizationArn``, ``OrganizationalUnitArn``).
* EC2 API Reference, ``EnableSnapshotBlockPublicAccess``: ``block-all-sharing`` treats
  snapshots already shared publicly as private (the attribute still says ``all``; disabling
  the setting makes them public again: *latent*); ``block-new-sharing`` only blocks new
  public sharing. ``EnableImageBlockPublicAccess``: ``block-new-sharing`` blocks new public
  AMI sharing, "if you already have public AMIs, they will remain publicly available".

A copy gives its whole content: the access is ``read``. A share with accounts outside the
trusted set (or with another organization) is CROSS_ACCOUNT; for an encrypted copy the other
account also needs the KMS key, which the reasons say, but the share is reported all the same
(IAM Access Analyzer reports shared snapshots; "Findings for public and cross-account access").
"""

from __future__ import annotations

from andon.core.model import Access, Exposure, Level
from andon.exposure.aws_models import SharedCopyState
from andon.exposure.parties import Trust
from andon.exposure.s3_model import Unknown
from andon.exposure.tri import Tri

READ = frozenset({Access.READ})

_NAMES = {
    "rds-snapshot": ("DB snapshot", "restore attribute"),
    "rds-cluster-snapshot": ("DB cluster snapshot", "restore attribute"),
    "ebs-snapshot": ("EBS snapshot", "createVolumePermission"),
    "ami": ("AMI", "launchPermission"),
}


def org_of_arn(arn: str) -> str:
    """The organization id in an organization or OU ARN
    (``arn:aws:organizations::111122223333:organization/o-abc`` or ``…:ou/o-abc/ou-x``)."""
    for part in arn.split("/"):
        if part.startswith("o-"):
            return part
    return ""


def _public(copy: SharedCopyState, what: str, attr: str, reasons: list[str]) -> tuple[Tri, Tri]:
    """(public now, latent) for the ``all`` share, with the Region's block public access."""
    if isinstance(copy.public, Unknown):
        reasons.append(f"unknown: the {attr} of {what} could not be read ({copy.public.reason})")
        return Tri.MAYBE, Tri.NO
    if not copy.public:
        return Tri.NO, Tri.NO
    if copy.encrypted is True:
        reasons.append(
            f"note: {what} is encrypted, and AWS refuses to share encrypted copies publicly; "
            "the attribute says all all the same"
        )
    bpa = copy.block_public_access
    if copy.kind == "ebs-snapshot" and isinstance(bpa, Unknown):
        reasons.append(
            f"unknown: {what} is shared with all, and block public access for snapshots "
            f"could not be read ({bpa.reason})"
        )
        return Tri.MAYBE, Tri.MAYBE
    if copy.kind == "ebs-snapshot" and bpa == "block-all-sharing":
        reasons.append(
            f"latent: {what} is shared with all, but block public access for snapshots "
            "(block-all-sharing) treats it as private; disabling the setting or switching to "
            "block-new-sharing makes it public again"
        )
        return Tri.NO, Tri.YES
    if bpa == "block-new-sharing":
        reasons.append(
            "block public access is block-new-sharing, which only stops new public sharing"
        )
    reasons.append(f"public: {what} is shared with all AWS accounts ({attr} all)")
    return Tri.YES, Tri.NO


def evaluate_share(
    copy: SharedCopyState,
    *,
    trusted_accounts: frozenset[str] = frozenset(),
    org_id: str | None = None,
) -> Exposure:
    """PUBLIC when shared with ``all``, CROSS_ACCOUNT when shared with accounts or
    organizations outside the trusted set, UNKNOWN when the sharing could not be read."""
    label, attr = _NAMES.get(copy.kind, (copy.kind, "sharing attribute"))
    what = f"{label} {copy.identifier}"
    trust = Trust(copy.account, frozenset(trusted_accounts), org_id)
    reasons: list[str] = []
    public, latent = _public(copy, what, attr, reasons)

    cross = Tri.NO
    if isinstance(copy.accounts, Unknown):
        reasons.append(f"unknown: the accounts {what} is shared with could not be read")
        cross = Tri.MAYBE
        accounts: tuple[str, ...] = ()
    else:
        accounts = copy.accounts
    outside = sorted(a for a in accounts if not trust.account(a))
    inside = sorted(a for a in accounts if trust.account(a))
    orgs = [(arn, org_of_arn(arn)) for arn in (*copy.organizations, *copy.organizational_units)]
    other_orgs = [arn for arn, org in orgs if not trust.org(org)]
    if outside or other_orgs:
        cross = Tri.YES
        targets = [f"account {a}" for a in outside] + other_orgs
        reasons.append(
            f"cross-account: {what} is shared with {', '.join(targets)}, outside the trusted "
            "accounts"
        )
        if copy.encrypted is True:
            reasons.append(
                "note: the copy is encrypted: those accounts also need use of its KMS key"
            )
    if inside:
        reasons.append(f"trusted: {what} is shared with account(s) {', '.join(inside)}")
    for arn, _ in orgs:
        if arn not in other_orgs:
            reasons.append(f"trusted: {what} is shared with {arn} (the trusted organization)")

    unknown = frozenset(READ) if Tri.MAYBE in (public, cross) else frozenset()
    latent_access = READ if latent == Tri.YES else frozenset()
    if public == Tri.YES:
        return Exposure(Level.PUBLIC, READ, latent_access, tuple(reasons))
    if cross == Tri.YES:
        return Exposure(Level.CROSS_ACCOUNT, READ, latent_access, tuple(reasons))
    if unknown:
        return Exposure(Level.UNKNOWN, frozenset(), latent_access, tuple(reasons), unknown)
    if not reasons:
        reasons.append(f"not shared: {what} is shared with no other account")
    return Exposure(Level.PRIVATE, frozenset(), latent_access, tuple(reasons))
