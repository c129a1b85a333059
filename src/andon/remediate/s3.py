"""S3 actions: bucket Block Public Access, disabling ACLs, removing only the public grants,
and the account's Block Public Access.

The least-damaging choice (:func:`propose`):

* a bucket that declares intended public access - it has a website configuration, or part of
  its findings is exempt - keeps it: only the public ACL grants and the public policy
  statements that give the finding's kind of access (write, list, ACL...) are removed;
  Block Public Access would cut the intended access too;
* a latent exposure (a public grant held back only by BPA) is closed by removing the stored
  grant, so that switching one BPA setting off no longer exposes the bucket;
* any other bucket gets bucket-level BPA (all four settings): the fastest containment, and it
  leaves the policy and the ACL in place for review. When a public ACL grant is a cause and
  ACLs are enabled, a second entry switches Object Ownership to ``BucketOwnerEnforced`` (with
  the ACL reset to owner-only, which S3 requires first), so the ACL cannot come back.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from andon.collect.aws.transport import AwsClients
from andon.core.model import Access, Finding, Resource
from andon.exposure.acl import BUCKET_PERMISSIONS, is_public_grant
from andon.exposure.policy import PolicyTarget, analyze_policy
from andon.exposure.s3_model import Bpa, Grant, S3BucketState, Unknown
from andon.exposure.tri import Tri
from andon.remediate.model import (
    Action,
    CannotPlan,
    Config,
    PlanContext,
    Proposal,
    Target,
    base_target,
    call,
    read_or_gone,
)

BPA_ALL = Bpa(True, True, True, True).to_dict()
_NO_BUCKET = frozenset({"NoSuchBucket"})
RULE_ACCESS: Mapping[str, frozenset[Access]] = {
    "s3.bucket.public_read": frozenset({Access.READ}),
    "s3.bucket.public_website": frozenset({Access.READ}),
    "s3.bucket.public_list": frozenset({Access.LIST}),
    "s3.bucket.public_write": frozenset({Access.WRITE}),
    "s3.bucket.public_acl_read": frozenset({Access.READ_ACL}),
    "s3.bucket.public_acl_change": frozenset({Access.WRITE_ACL}),
}


# -- reading -----------------------------------------------------------------------------


def _grants(answer: Mapping[str, Any]) -> list[dict[str, str]]:
    out = []
    for g in answer.get("Grants") or []:
        grantee = g["Grantee"]
        kind = str(grantee["Type"])
        who = grantee.get("URI") if kind == "Group" else grantee.get("ID")
        if kind == "AmazonCustomerByEmail":
            who = grantee.get("EmailAddress") or who
        out.append({"type": kind, "grantee": str(who or ""), "permission": str(g["Permission"])})
    return out


def _read_bpa(clients: AwsClients, t: Target) -> dict[str, bool] | None:
    answer = read_or_gone(
        clients,
        t,
        "s3",
        "GetPublicAccessBlock",
        _NO_BUCKET,
        frozenset({"NoSuchPublicAccessBlockConfiguration"}),
        Bucket=t["bucket"],
    )
    return (
        None
        if answer is None
        else Bpa.from_dict(answer["PublicAccessBlockConfiguration"]).to_dict()
    )


def _read_acl(clients: AwsClients, t: Target) -> dict[str, Any]:
    answer = read_or_gone(clients, t, "s3", "GetBucketAcl", _NO_BUCKET, Bucket=t["bucket"])
    assert answer is not None
    return {"owner": str((answer.get("Owner") or {}).get("ID") or ""), "grants": _grants(answer)}


def _read_policy(clients: AwsClients, t: Target) -> str | None:
    answer = read_or_gone(
        clients,
        t,
        "s3",
        "GetBucketPolicy",
        _NO_BUCKET,
        frozenset({"NoSuchBucketPolicy"}),
        Bucket=t["bucket"],
    )
    return None if answer is None else str(answer["Policy"])


def _read_ownership(clients: AwsClients, t: Target) -> str | None:
    answer = read_or_gone(
        clients,
        t,
        "s3",
        "GetBucketOwnershipControls",
        _NO_BUCKET,
        frozenset({"OwnershipControlsNotFoundError"}),
        Bucket=t["bucket"],
    )
    return (
        None if answer is None else str(answer["OwnershipControls"]["Rules"][0]["ObjectOwnership"])
    )


def _known(value: Any, what: str) -> Any:
    if isinstance(value, Unknown):
        raise CannotPlan(f"the bucket's {what} could not be read ({value.reason})")
    return value


def _state(resource: Resource) -> S3BucketState:
    return S3BucketState.from_dict(resource.attributes)


def _acl_dict(state: S3BucketState) -> dict[str, Any]:
    grants = _known(state.acl, "ACL")
    return {"owner": state.owner_id, "grants": [g.to_dict() for g in grants]}


# -- writing -----------------------------------------------------------------------------


def _grantee(g: Mapping[str, str]) -> dict[str, str]:
    if g["type"] == "Group":
        return {"Type": "Group", "URI": g["grantee"]}
    if g["type"] == "AmazonCustomerByEmail":
        return {"Type": "AmazonCustomerByEmail", "EmailAddress": g["grantee"]}
    return {"Type": "CanonicalUser", "ID": g["grantee"]}


def _put_acl(clients: AwsClients, t: Target, acl: Mapping[str, Any]) -> None:
    call(
        clients,
        t,
        "s3",
        "PutBucketAcl",
        Bucket=t["bucket"],
        AccessControlPolicy={
            "Owner": {"ID": acl["owner"]},
            "Grants": [
                {"Grantee": _grantee(g), "Permission": g["permission"]} for g in acl["grants"]
            ],
        },
    )


def _put_bpa(clients: AwsClients, t: Target, bpa: Mapping[str, bool] | None) -> None:
    if bpa is None:
        call(clients, t, "s3", "DeletePublicAccessBlock", Bucket=t["bucket"])
    else:
        call(
            clients,
            t,
            "s3",
            "PutPublicAccessBlock",
            Bucket=t["bucket"],
            PublicAccessBlockConfiguration=dict(bpa),
        )


def _put_policy(clients: AwsClients, t: Target, policy: str | None) -> None:
    if policy is None:
        call(clients, t, "s3", "DeleteBucketPolicy", Bucket=t["bucket"])
    else:
        call(clients, t, "s3", "PutBucketPolicy", Bucket=t["bucket"], Policy=policy)


def _put_ownership(clients: AwsClients, t: Target, ownership: str | None) -> None:
    if ownership is None:
        call(clients, t, "s3", "DeleteBucketOwnershipControls", Bucket=t["bucket"])
    else:
        call(
            clients,
            t,
            "s3",
            "PutBucketOwnershipControls",
            Bucket=t["bucket"],
            OwnershipControls={"Rules": [{"ObjectOwnership": ownership}]},
        )


# -- bucket BPA --------------------------------------------------------------------------


def _bpa_offline(resource: Resource, t: Target) -> Config:
    bpa = _known(_state(resource).bucket_bpa, "Block Public Access")
    return {"bpa": None if bpa is None else bpa.to_dict()}


def _bpa_write(clients: AwsClients, t: Target, current: Config, desired: Config) -> None:
    if current.get("bpa") != desired.get("bpa"):
        _put_bpa(clients, t, desired.get("bpa"))


BUCKET_BPA = Action(
    id="s3.bucket.block_public_access",
    title="turn on the bucket's Block Public Access (all four settings)",
    offline=_bpa_offline,
    read=lambda clients, t: {"bpa": _read_bpa(clients, t)},
    transform=lambda before, t, p: {"bpa": dict(BPA_ALL)},
    write=_bpa_write,
)


# -- ACLs off ----------------------------------------------------------------------------


def _acls_offline(resource: Resource, t: Target) -> Config:
    state = _state(resource)
    return {"ownership": _known(state.ownership, "Object Ownership"), "acl": _acl_dict(state)}


def _acls_transform(before: Config, t: Target, p: Mapping[str, Any]) -> Config:
    owner = str(before["acl"]["owner"])
    return {
        "ownership": "BucketOwnerEnforced",
        "acl": {
            "owner": owner,
            "grants": [{"type": "CanonicalUser", "grantee": owner, "permission": "FULL_CONTROL"}],
        },
    }


def _acls_write(clients: AwsClients, t: Target, current: Config, desired: Config) -> None:
    acl_differs = current.get("acl") != desired.get("acl")
    own_differs = current.get("ownership") != desired.get("ownership")
    if desired.get("ownership") == "BucketOwnerEnforced":
        if acl_differs and current.get("ownership") != "BucketOwnerEnforced":
            _put_acl(clients, t, desired["acl"])  # S3 refuses to disable ACLs that grant
        if own_differs:
            _put_ownership(clients, t, desired["ownership"])
    else:
        if own_differs:
            _put_ownership(clients, t, desired.get("ownership"))
        if acl_differs:
            _put_acl(clients, t, desired["acl"])


BUCKET_DISABLE_ACLS = Action(
    id="s3.bucket.disable_acls",
    title="reset the ACL to owner-only and switch Object Ownership to BucketOwnerEnforced",
    offline=_acls_offline,
    read=lambda clients, t: {
        "ownership": _read_ownership(clients, t),
        "acl": _read_acl(clients, t),
    },
    transform=_acls_transform,
    write=_acls_write,
)


# -- only the public grants ----------------------------------------------------------------


def _grant_gives(grant: Mapping[str, str], kinds: frozenset[Access]) -> bool:
    g = Grant.from_dict(grant)
    if not is_public_grant(g):
        return False
    gives = BUCKET_PERMISSIONS.get(g.permission.upper())
    return gives is None or bool(gives & kinds)


def public_statements(policy: str, target: PolicyTarget, kinds: frozenset[Access]) -> list[int]:
    """Indexes of the Allow statements that, alone, give the public (or may give) one of
    ``kinds``. Raises :class:`CannotPlan` on a policy that cannot be parsed."""
    try:
        doc = json.loads(policy)
        statements = doc["Statement"]
    except (ValueError, TypeError, KeyError) as exc:
        raise CannotPlan(f"the policy cannot be parsed ({exc})") from exc
    if isinstance(statements, Mapping):
        statements = [statements]
    hits = []
    for i, st in enumerate(statements):
        if not isinstance(st, Mapping) or st.get("Effect") != "Allow":
            continue
        single = json.dumps({"Version": doc.get("Version", "2012-10-17"), "Statement": [st]})
        analysis = analyze_policy(single, target)
        if any(analysis.access.get(k, Tri.NO) != Tri.NO for k in kinds):
            hits.append(i)
    return hits


def without_statements(policy: str, drop: list[int]) -> str | None:
    """The policy without the statements at ``drop``; None when no statement is left."""
    doc = json.loads(policy)
    statements = doc["Statement"]
    if isinstance(statements, Mapping):
        statements = [statements]
    kept = [s for i, s in enumerate(statements) if i not in set(drop)]
    if not kept:
        return None
    return json.dumps({**doc, "Statement": kept})


def _kinds(p: Mapping[str, Any]) -> frozenset[Access]:
    return frozenset(Access(k) for k in p.get("access", ()))


def _grants_offline(resource: Resource, t: Target) -> Config:
    state = _state(resource)
    return {"acl": _acl_dict(state), "policy": _known(state.policy, "policy")}


def _grants_transform(before: Config, t: Target, p: Mapping[str, Any]) -> Config:
    kinds = _kinds(p)
    acl = before["acl"]
    grants = [g for g in acl["grants"] if not _grant_gives(g, kinds)]
    policy = before.get("policy")
    if policy is not None:
        target = PolicyTarget.bucket(str(t["bucket"]), str(t.get("account") or ""))
        policy = without_statements(policy, public_statements(policy, target, kinds))
    return {"acl": {"owner": acl["owner"], "grants": grants}, "policy": policy}


def _grants_write(clients: AwsClients, t: Target, current: Config, desired: Config) -> None:
    if current.get("acl") != desired.get("acl"):
        _put_acl(clients, t, desired["acl"])
    if current.get("policy") != desired.get("policy"):
        _put_policy(clients, t, desired.get("policy"))


BUCKET_PUBLIC_GRANTS = Action(
    id="s3.bucket.remove_public_grants",
    title="remove only the public ACL grants and policy statements giving this access",
    offline=_grants_offline,
    read=lambda clients, t: {"acl": _read_acl(clients, t), "policy": _read_policy(clients, t)},
    transform=_grants_transform,
    write=_grants_write,
)


# -- account BPA ---------------------------------------------------------------------------


def _account_read(clients: AwsClients, t: Target) -> Config:
    answer = read_or_gone(
        clients,
        t,
        "s3control",
        "GetPublicAccessBlock",
        frozenset(),
        frozenset({"NoSuchPublicAccessBlockConfiguration"}),
        AccountId=t["account"],
    )
    if answer is None:
        return {"bpa": None}
    return {"bpa": Bpa.from_dict(answer["PublicAccessBlockConfiguration"]).to_dict()}


def _account_offline(resource: Resource, t: Target) -> Config:
    raw = resource.attributes.get("public_access_block")
    if isinstance(raw, Mapping) and set(raw) == {"unknown"}:
        raise CannotPlan(f"the account's Block Public Access could not be read ({raw['unknown']})")
    return {"bpa": None if raw is None else Bpa.from_dict(raw).to_dict()}


def _account_write(clients: AwsClients, t: Target, current: Config, desired: Config) -> None:
    if current.get("bpa") == desired.get("bpa"):
        return
    if desired.get("bpa") is None:
        call(clients, t, "s3control", "DeletePublicAccessBlock", AccountId=t["account"])
    else:
        call(
            clients,
            t,
            "s3control",
            "PutPublicAccessBlock",
            AccountId=t["account"],
            PublicAccessBlockConfiguration=dict(desired["bpa"]),
        )


ACCOUNT_BPA = Action(
    id="s3.account.block_public_access",
    title="turn on the account's Block Public Access (all four settings)",
    offline=_account_offline,
    read=_account_read,
    transform=lambda before, t, p: {"bpa": dict(BPA_ALL)},
    write=_account_write,
)

ACTIONS = (BUCKET_BPA, BUCKET_DISABLE_ACLS, BUCKET_PUBLIC_GRANTS, ACCOUNT_BPA)


# -- choosing ------------------------------------------------------------------------------


def propose(finding: Finding, resource: Resource, ctx: PlanContext) -> list[Proposal]:
    """The least-damaging change for an S3 finding (see the module docstring)."""
    if resource.kind == "account.settings":
        return [_account(resource, ctx)]
    state = _state(resource)
    target = base_target(resource, bucket=state.name, account=state.account or resource.account)
    kinds_text = ", ".join(a.value for a in sorted(RULE_ACCESS.get(finding.rule_id, ())))
    if finding.rule_id == "s3.bucket.latent_exposure":
        latent = sorted(a.value for a in finding.exposure.latent_access) or ["read"]
        return [
            Proposal(
                BUCKET_PUBLIC_GRANTS.id,
                target,
                {"access": latent},
                (
                    "latent exposure: removes the stored public grants ("
                    + ", ".join(latent)
                    + ") that Block Public Access holds back today, so switching a BPA "
                    "setting off can no longer expose the bucket",
                ),
                "remove the latent public grants",
            )
        ]
    serving = state.website is True or bool(ctx.exempt_rules)
    if serving:
        why = (
            "the bucket hosts a static website"
            if state.website is True
            else "part of the bucket's findings is exempt ("
            + ", ".join(sorted(ctx.exempt_rules))
            + ")"
        )
        notes = [
            f"{why}: Block Public Access would cut that intended access too, so only the "
            f"public ACL grants and policy statements giving {kinds_text or 'this access'} "
            "are removed"
        ]
        if Access.READ in RULE_ACCESS.get(finding.rule_id, frozenset()):
            notes.append(
                "this removes public read: a website served from this bucket stops working; "
                "if that read is intended, exempt it instead (andon exempt)"
            )
        access = sorted(a.value for a in RULE_ACCESS.get(finding.rule_id, frozenset(Access)))
        return [
            Proposal(
                BUCKET_PUBLIC_GRANTS.id,
                target,
                {"access": access},
                tuple(notes),
                "remove the public grants",
            )
        ]
    out = [
        Proposal(
            BUCKET_BPA.id,
            target,
            {},
            (
                "no declared public use (no website, no exemption): bucket-level Block Public "
                "Access stops every public policy and ACL at once; anything that reads this "
                "bucket anonymously (a public link, an unauthenticated client) stops working",
            ),
            "Block Public Access on",
        )
    ]
    grants = state.acl if not isinstance(state.acl, Unknown) else ()
    if state.ownership != "BucketOwnerEnforced" and any(is_public_grant(g) for g in grants):
        out.append(
            Proposal(
                BUCKET_DISABLE_ACLS.id,
                target,
                {},
                (
                    "a public ACL grant is a cause: ACLs are switched off (BucketOwnerEnforced) "
                    "after resetting the bucket ACL to owner-only; objects uploaded by other "
                    "accounts become the bucket owner's, and clients that still send ACLs "
                    "other than bucket-owner-full-control get errors",
                ),
                "ACLs off",
            )
        )
    return out


def _account(resource: Resource, ctx: PlanContext) -> Proposal:
    notes = [
        "account-level Block Public Access applies to every bucket of the account, "
        "current and future"
    ]
    exposed = sorted(
        r.name
        for r in ctx.resources.values()
        if r.kind == "storage.bucket"
        and r.account == resource.account
        and (r.attributes.get("website") is True or r.uid in ctx.exempt_uids)
    )
    if exposed:
        notes.append(
            "it would cut the intended public access of: "
            + ", ".join(exposed[:10])
            + (" ..." if len(exposed) > 10 else "")
        )
    return Proposal(
        ACCOUNT_BPA.id,
        base_target(resource, region=""),
        {},
        tuple(notes),
        "account Block Public Access on",
    )
