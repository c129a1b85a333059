"""Who can reach an S3 bucket: ACLs, policies, access points and Block Public Access combined.

Sources (Amazon S3 User Guide, "Blocking public access to your Amazon S3 storage"):

* BPA has four settings at account, bucket and access-point level; S3 applies the most
  restrictive combination. ``BlockPublicAcls`` and ``BlockPublicPolicy`` only reject *new*
  public ACLs and policies: what is stored stays in force. ``IgnorePublicAcls`` makes S3
  ignore public ACLs on the bucket and its objects. ``RestrictPublicBuckets`` limits a bucket
  or access point *with a public policy* to AWS service principals and the owner's account.
  Removing a setting re-activates what it held back - that is what Andon calls *latent*.
* Object Ownership ``BucketOwnerEnforced`` disables ACLs (S3 User Guide, "Controlling
  ownership of objects and disabling ACLs").
* An access point with a VPC network origin is never public; a request through an access
  point needs both the access-point policy and the bucket policy to allow it (S3 User Guide,
  "Configuring IAM policies for using access points": the bucket policy delegates).

Anything unreadable turns the affected access into ``unknown_access`` and the level into
``UNKNOWN`` when nothing is known to be public - never into ``PRIVATE``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from andon.core.model import ACCESS_ORDER, Access, Exposure, Level
from andon.exposure.acl import has_unreadable_public_grant, public_acl_access
from andon.exposure.conditions import PolicyKind
from andon.exposure.policy import PolicyAnalysis, PolicyTarget, analyze_policy
from andon.exposure.s3_model import AccessPointState, Bpa, BpaOrUnknown, S3BucketState, Unknown
from andon.exposure.tri import Tri

ACL_KINDS = frozenset({Access.READ, Access.LIST, Access.WRITE, Access.READ_ACL, Access.WRITE_ACL})
BUCKET_ACL_KINDS = frozenset({Access.LIST, Access.WRITE, Access.READ_ACL, Access.WRITE_ACL})
OBJECT_ACL_KINDS = frozenset({Access.READ, Access.READ_ACL, Access.WRITE_ACL})

_SETTING_ATTR = {
    "BlockPublicAcls": "block_public_acls",
    "IgnorePublicAcls": "ignore_public_acls",
    "BlockPublicPolicy": "block_public_policy",
    "RestrictPublicBuckets": "restrict_public_buckets",
}


def setting(name: str, levels: list[tuple[str, BpaOrUnknown]]) -> tuple[Tri, str]:
    """Is one BPA setting in force for a request, given the levels that apply to it?"""
    attr = _SETTING_ATTR[name]
    on = [lvl for lvl, b in levels if isinstance(b, Bpa) and getattr(b, attr)]
    unknown = [(lvl, b.reason) for lvl, b in levels if isinstance(b, Unknown)]
    if on:
        return Tri.YES, f"{name} is on at the {' and '.join(on)} level"
    if unknown:
        where = "; ".join(f"{lvl} level: {why}" for lvl, why in unknown)
        return Tri.MAYBE, f"{name} could not be read ({where})"
    return Tri.NO, f"{name} is off at the {' and '.join(lvl for lvl, _ in levels)} level"


@dataclass
class _Tally:
    access: set[Access] = field(default_factory=set)
    latent: set[Access] = field(default_factory=set)
    unknown: set[Access] = field(default_factory=set)
    reasons: list[str] = field(default_factory=list)

    def add(self, kinds: frozenset[Access], blocked: tuple[Tri, str], source: str) -> None:
        """Record public kinds from one source, held back or not by one BPA setting."""
        if not kinds:
            return
        state, why = blocked
        text = ", ".join(a.value for a in ACCESS_ORDER if a in kinds)
        gives = "give" if source.startswith("the ACLs of") else "gives"
        if state == Tri.YES:
            self.latent |= kinds
            self.reasons.append(
                f"latent: {source} would give {text} to the public; held back only because {why}"
            )
        elif state == Tri.NO:
            self.access |= kinds
            self.reasons.append(f"not blocked: {why}, so {source} {gives} {text} to the public")
        else:
            self.unknown |= kinds
            self.reasons.append(f"unknown: {source} {gives} {text} unless blocked, but {why}")

    def maybe(self, kinds: frozenset[Access], blocked: tuple[Tri, str], source: str) -> None:
        """Kinds a source *might* give (unreadable part): unknown unless surely blocked."""
        if not kinds:
            return
        if blocked[0] == Tri.YES:
            self.reasons.append(f"{source} cannot make the bucket public: {blocked[1]}")
            return
        self.unknown |= kinds


def _kinds(analysis: PolicyAnalysis, value: Tri) -> frozenset[Access]:
    return analysis.kinds(value)


def _acls(state: S3BucketState, tally: _Tally, levels: list[tuple[str, BpaOrUnknown]]) -> None:
    ignore = setting("IgnorePublicAcls", levels)
    block = setting("BlockPublicAcls", levels)
    own = state.ownership
    if own == "BucketOwnerEnforced":
        tally.reasons.append("ACLs are disabled (Object Ownership is BucketOwnerEnforced)")
        return
    if isinstance(own, Unknown):
        ownership_note = f"Object Ownership could not be read ({own.reason})"
        tally.reasons.append(ownership_note)
    if isinstance(state.acl, Unknown):
        tally.reasons.append(f"unknown: the bucket ACL could not be read ({state.acl.reason})")
        tally.maybe(BUCKET_ACL_KINDS, ignore, "the unreadable bucket ACL")
    else:
        kinds, why = public_acl_access(state.acl, on_object=False, where="the bucket ACL")
        tally.reasons.extend(why)
        if kinds and block[0] == Tri.YES and ignore[0] != Tri.YES:
            tally.reasons.append(f"{block[1]}, but it only rejects new public ACLs")
        tally.add(kinds, ignore, "the bucket ACL")
        if has_unreadable_public_grant(state.acl):
            tally.maybe(BUCKET_ACL_KINDS, ignore, "the bucket ACL")
    if isinstance(state.object_acls, Unknown):
        tally.reasons.append(f"unknown: object ACLs could not be read ({state.object_acls.reason})")
        tally.maybe(OBJECT_ACL_KINDS, ignore, "unreadable object ACLs")
        return
    public_keys: list[str] = []
    object_kinds: frozenset[Access] = frozenset()
    for obj in state.object_acls:
        if isinstance(obj.grants, Unknown):
            tally.reasons.append(
                f"unknown: the ACL of object {obj.key!r} could not be read ({obj.grants.reason})"
            )
            tally.maybe(OBJECT_ACL_KINDS, ignore, "an unreadable object ACL")
            continue
        kinds, why = public_acl_access(
            obj.grants, on_object=True, where=f"the ACL of object {obj.key!r}"
        )
        if has_unreadable_public_grant(obj.grants):
            tally.maybe(OBJECT_ACL_KINDS, ignore, f"the ACL of object {obj.key!r}")
        if kinds:
            public_keys.append(obj.key)
            object_kinds |= kinds
            if len(public_keys) <= 3:
                tally.reasons.extend(why)
    if public_keys:
        source = f"the ACLs of {len(public_keys)} sampled object(s)"
        tally.add(object_kinds, ignore, source)
    sampled = len(state.object_acls)
    if sampled and not state.objects_sampled_all:
        tally.reasons.append(
            f"object ACLs were sampled ({sampled} objects); objects outside the sample may carry "
            "other ACLs"
        )


def _policy(
    state: S3BucketState, tally: _Tally, levels: list[tuple[str, BpaOrUnknown]]
) -> PolicyAnalysis | None:
    rpb = setting("RestrictPublicBuckets", levels)
    if state.policy is None:
        return None
    if isinstance(state.policy, Unknown):
        tally.reasons.append(
            f"unknown: the bucket policy could not be read ({state.policy.reason})"
        )
        tally.maybe(frozenset(ACL_KINDS), rpb, "the unreadable bucket policy")
        return None
    analysis = analyze_policy(state.policy, PolicyTarget.bucket(state.name, state.account))
    tally.reasons.extend(analysis.reasons)
    yes = _kinds(analysis, Tri.YES)
    if yes:
        block = setting("BlockPublicPolicy", levels)
        if block[0] == Tri.YES and rpb[0] != Tri.YES:
            tally.reasons.append(f"{block[1]}, but it only rejects new public policies")
        tally.add(yes, rpb, "the bucket policy")
        if rpb[0] == Tri.YES and analysis.external_accounts:
            tally.reasons.append(
                "RestrictPublicBuckets also cuts the policy's grants to other accounts "
                f"({', '.join(sorted(analysis.external_accounts))})"
            )
    tally.maybe(_kinds(analysis, Tri.MAYBE), rpb, "the bucket policy")
    return analysis


def _access_points(
    state: S3BucketState, tally: _Tally, levels: list[tuple[str, BpaOrUnknown]]
) -> None:
    if isinstance(state.access_points, Unknown):
        tally.reasons.append(
            f"unknown: access points could not be listed ({state.access_points.reason})"
        )
        if state.policy is not None:
            # Account and bucket BPA apply to every access point of the bucket.
            rpb = setting("RestrictPublicBuckets", levels)
            tally.maybe(frozenset(ACL_KINDS), rpb, "unlisted access points")
        return
    for ap in state.access_points:
        _access_point(state, ap, tally, levels)


def _access_point(
    state: S3BucketState,
    ap: AccessPointState,
    tally: _Tally,
    levels: list[tuple[str, BpaOrUnknown]],
) -> None:
    where = f"access point {ap.name!r}"
    if ap.network_origin.upper() == "VPC":
        tally.reasons.append(f"{where} has a VPC network origin and is never public")
        return
    if ap.policy is None:
        return
    ap_levels = [("access point", ap.bpa), *levels]
    rpb = setting("RestrictPublicBuckets", ap_levels)
    if isinstance(ap.policy, Unknown):
        tally.reasons.append(
            f"unknown: the policy of {where} could not be read ({ap.policy.reason})"
        )
        if state.policy is not None:
            tally.maybe(frozenset(ACL_KINDS), rpb, f"the policy of {where}")
        return
    arn = ap.arn or f"arn:aws:s3:{state.region}:{ap.account or state.account}:accesspoint/{ap.name}"
    ap_analysis = analyze_policy(
        ap.policy, PolicyTarget.access_point(arn, ap.account or state.account)
    )
    ap_yes, ap_maybe = _kinds(ap_analysis, Tri.YES), _kinds(ap_analysis, Tri.MAYBE)
    if not ap_yes and not ap_maybe:
        return
    # The bucket policy must also let the public in through this access point.
    if state.policy is None:
        tally.reasons.append(
            f"{where} has a public policy, but the bucket has no policy delegating to access "
            "points, so no data is reachable through it"
        )
        return
    if isinstance(state.policy, Unknown):
        tally.maybe(ap_yes | ap_maybe, rpb, f"{where} (bucket policy unreadable)")
        return
    via = PolicyKind(via_access_point_arn=arn, via_access_point_account=ap.account or state.account)
    bucket_via = analyze_policy(state.policy, PolicyTarget.bucket(state.name, state.account, via))
    through_yes = frozenset(a for a in ap_yes if bucket_via.access[a] == Tri.YES)
    through_maybe = frozenset(
        a for a in (ap_yes | ap_maybe) if bucket_via.access[a] != Tri.NO and a not in through_yes
    )
    tally.reasons.extend(f"{where}: {r}" for r in ap_analysis.reasons)
    if not through_yes and not through_maybe:
        tally.reasons.append(
            f"{where} has a public policy, but the bucket policy does not let the public in "
            "through it"
        )
        return
    tally.add(through_yes, rpb, f"the policy of {where} (delegated by the bucket policy)")
    tally.maybe(through_maybe, rpb, f"the policy of {where}")


def evaluate_bucket(state: S3BucketState) -> Exposure:
    """The bucket's exposure to the public, with the reasons a person can check."""
    levels: list[tuple[str, BpaOrUnknown]] = [
        ("account", state.account_bpa),
        ("bucket", state.bucket_bpa),
    ]
    tally = _Tally()
    _acls(state, tally, levels)
    _policy(state, tally, levels)
    _access_points(state, tally, levels)
    if isinstance(state.website, bool) and state.website and Access.READ in tally.access:
        tally.reasons.append(
            "static website hosting is on: the website endpoint serves the objects"
        )

    access = frozenset(tally.access)
    unknown = frozenset(tally.unknown - tally.access)
    latent = frozenset(tally.latent)
    if access:
        level = Level.PUBLIC
    elif unknown:
        level = Level.UNKNOWN
    else:
        level = Level.PRIVATE
        if not tally.reasons or not latent:
            tally.reasons.append("no ACL grant or policy statement gives the public any access")
    return Exposure(level, access, latent, tuple(tally.reasons), unknown)
