"""One engine for every resource policy: PUBLIC, CROSS_ACCOUNT, UNKNOWN or PRIVATE.

The *public* half is :func:`andon.exposure.policy.analyze_policy`, run with the service's
catalogue (:mod:`andon.exposure.services`): S3's documented "meaning of public", which EFS
documents identically with one extra key, applied to the policy language as IAM evaluates it.

The *cross-account* half asks, per action and resource level, which **parties** an Allow reaches
and whether a Deny takes each back. A party is an account (its principals), an organization (its
members), a service acting for an account's resources, or "any account" narrowed only by
non-identity keys (aws:SourceIp, aws:SourceVpce…). Sources:

* IAM User Guide, "How IAM Access Analyzer findings work" (access-analyzer-concepts.md): a
  finding is access by a principal outside the *zone of trust* (the analyzer's account or
  organization); a grant to an account counts whatever principals exist there; conditions count
  only when external users cannot influence them; findings are not reported for AWS service
  principals; when unsure, err towards a finding.
* IAM Access Analyzer filter keys (access-analyzer-reference-filter-keys.md): findings carry
  conditions on aws:PrincipalArn, aws:PrincipalOrgID, aws:PrincipalOrgPaths, aws:SourceIp,
  aws:SourceVpc, aws:UserId, kms:CallerAccount… - a grant narrowed by a network key is still
  external access, so Andon reports it as CROSS_ACCOUNT with the accounts unknown.
* IAM User Guide, "AWS global condition context keys": aws:PrincipalAccount/aws:PrincipalArn/
  aws:PrincipalOrgID are present for principals, aws:SourceAccount/aws:SourceArn/
  aws:SourceOrgID only when a service calls on behalf of a resource; "Condition operators": a
  condition on an absent key is false, except negated operators, ``...IfExists``,
  ``ForAllValues`` and ``Null: true``.

A service principal scoped by aws:SourceAccount or aws:SourceArn to an untrusted account's
resource is counted as cross-account (that account's resources act through the service); an
unscoped service principal is only noted (confused deputy), as Access Analyzer does. A grant that
only a network condition narrows is CROSS_ACCOUNT with the accounts unknown, unless the network
is trusted (``trusted_networks``: VPC ids, VPC endpoint ids, CIDRs) or is an EFS mount target,
which always lies in the file system's own VPC (EFS User Guide, "Default EFS file system
policy": any client that reaches a mount target has access when no policy is set). A guardrail
Deny such as "deny unless aws:PrincipalAccount is A or B" narrows "any account" to A and B.

``access`` in the resulting :class:`~andon.core.model.Exposure` holds the kinds open to the
audience the level names; cross-account grants under a PUBLIC level are in the reasons and in
:class:`ResourcePolicyAnalysis`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from andon.core.model import ACCESS_ORDER, Access, Exposure, Level
from andon.exposure.aws_models import ResourcePolicyState
from andon.exposure.conditions import PolicyKind
from andon.exposure.parties import Party, Trust, audience, blocked, narrow
from andon.exposure.policy import (
    PolicyAnalysis,
    PolicyTarget,
    Statement,
    analyze_policy,
    deny_covers,
    parse_policy,
    reaches,
)
from andon.exposure.s3_model import Unknown
from andon.exposure.services import ServiceProfile, profile
from andon.exposure.tri import Tri

__all__ = [
    "Party",
    "ResourcePolicyAnalysis",
    "ResourceTarget",
    "Trust",
    "analyze_resource_policy",
    "evaluate_resource",
    "evaluate_resource_policy",
]

_ACCOUNT = re.compile(r"^\d{12}$")


@dataclass(frozen=True)
class ResourceTarget:
    """A resource with a policy: service short name (``sqs``, ``kms``…), ARN, owner account,
    and condition keys whose value is a fact of the resource (``lambda:FunctionUrlAuthType``)."""

    service: str
    arn: str
    account: str = ""
    known: Mapping[str, str] = field(default_factory=dict)

    @property
    def profile(self) -> ServiceProfile:
        return profile(self.service)

    @property
    def owner(self) -> str:
        if self.account:
            return self.account
        parts = self.arn.split(":")
        return parts[4] if len(parts) > 4 and _ACCOUNT.match(parts[4]) else ""

    def policy_target(self, service: ServiceProfile | None = None) -> PolicyTarget:
        p = service or self.profile
        kind = PolicyKind(
            restricting_keys=p.restricting_keys,
            open_keys=p.open_keys,
            open_key_prefixes=p.open_key_prefixes,
            restricting_bools=p.restricting_bools,
            known_values=tuple((k.lower(), v) for k, v in sorted(self.known.items())),
        )
        return PolicyTarget(self.arn, p.sub_prefix(self.arn), self.owner, kind, p)


@dataclass(frozen=True)
class ResourcePolicyAnalysis:
    """Per access kind: public (``Tri``), granted to parties outside the trust zone (``Tri``),
    and which parties; with the reasons."""

    public: Mapping[Access, Tri]
    cross: Mapping[Access, Tri]
    parties: Mapping[Access, frozenset[Party]]
    reasons: tuple[str, ...]
    error: str = ""

    def public_kinds(self, value: Tri = Tri.YES) -> frozenset[Access]:
        return frozenset(a for a, t in self.public.items() if t == value)

    def cross_kinds(self, value: Tri = Tri.YES) -> frozenset[Access]:
        return frozenset(a for a, t in self.cross.items() if t == value)

    @property
    def level(self) -> Level:
        if self.public_kinds():
            return Level.PUBLIC
        if self.cross_kinds():
            return Level.CROSS_ACCOUNT
        if self.public_kinds(Tri.MAYBE) or self.cross_kinds(Tri.MAYBE):
            return Level.UNKNOWN
        return Level.PRIVATE

    def exposure(self) -> Exposure:
        """``access`` holds the kinds open to the audience the level names (the public for
        PUBLIC, accounts outside the trust zone for CROSS_ACCOUNT)."""
        level = self.level
        if level == Level.PUBLIC:
            access = self.public_kinds()
        elif level == Level.CROSS_ACCOUNT:
            access = self.cross_kinds()
        else:
            access = frozenset()
        unknown = (self.public_kinds(Tri.MAYBE) | self.cross_kinds(Tri.MAYBE)) - access
        reasons = self.reasons or ("no statement grants access outside the trusted accounts",)
        return Exposure(level, access, frozenset(), reasons, unknown)


@dataclass
class _Cross:
    kinds: dict[Access, Tri] = field(default_factory=lambda: {a: Tri.NO for a in ACCESS_ORDER})
    parties: dict[Access, set[Party]] = field(default_factory=dict)
    grants: dict[tuple[str, Party], dict[Access, Tri]] = field(default_factory=dict)
    taken: dict[tuple[str, Party], set[str]] = field(default_factory=dict)
    narrowed: dict[tuple[str, Party], set[str]] = field(default_factory=dict)
    trusted: dict[tuple[str, Party], set[Access]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _cross(target: PolicyTarget, statements: list[Statement], trust: Trust) -> _Cross:
    allows = [s for s in statements if not s.deny]
    denies = [s for s in statements if s.deny]
    out = _Cross()
    audiences: dict[str, list[tuple[Party, Tri]]] = {}
    for s in allows:
        audiences[s.ref], notes = audience(s, trust, target.kind)
        out.notes += notes
    for action, (kinds, levels) in target.service.actions.items():
        for level in levels:
            for allow in allows:
                if action not in allow.actions or not reaches(allow, level, target):
                    continue
                covering = [
                    d
                    for d in denies
                    if action in d.actions and deny_covers(d, allow, level, target)
                ]
                for party, t0 in _narrowed(audiences[allow.ref], covering, trust):
                    if t0 == Tri.NO:
                        continue
                    key = (allow.ref, party)
                    if party.trusted(trust):
                        out.trusted.setdefault(key, set()).update(kinds)
                        continue
                    t: Tri = t0
                    for deny in covering:
                        b = blocked(deny, party, trust, target.kind)
                        if b != Tri.NO:
                            out.taken.setdefault(key, set()).add(deny.ref)
                        elif deny.raw.get("Condition"):
                            out.narrowed.setdefault(key, set()).add(deny.ref)
                        t = t & ~b
                    per = out.grants.setdefault(key, {})
                    for k in kinds:
                        per[k] = per.get(k, Tri.NO) | t
                        out.kinds[k] = out.kinds[k] | t
                        if t != Tri.NO:
                            out.parties.setdefault(k, set()).add(party)
    return out


def _narrowed(
    parties: list[tuple[Party, Tri]], denies: list[Statement], trust: Trust
) -> list[tuple[Party, Tri]]:
    """Replace "any account" by the accounts or organizations a guardrail Deny names."""
    out: list[tuple[Party, Tri]] = []
    for party, t in parties:
        named = next((n for d in denies if (n := narrow(d, party, trust)) is not None), None)
        out += [(party, t)] if named is None else [(q, t) for q in named]
    return out


def _text(kinds: Iterable[Access]) -> str:
    ks = set(kinds)
    return ", ".join(a.value for a in ACCESS_ORDER if a in ks)


def _cross_reasons(cross: _Cross, public: Mapping[Access, Tri]) -> list[str]:
    out: list[str] = []
    for (ref, party), per in sorted(cross.grants.items()):
        yes = [k for k, t in per.items() if t == Tri.YES]
        maybe = [k for k, t in per.items() if t == Tri.MAYBE]
        if party.kind == "any" and all(public[k] == Tri.YES for k in yes):
            yes = []  # already reported as a public grant
        if yes:
            limits = sorted(cross.narrowed.get((ref, party), ()))
            but = f" (within what Deny {', '.join(limits)} allows)" if limits else ""
            out.append(
                f"cross-account: {ref} grants {_text(yes)} to {party.describe()}{but}, "
                "outside the trusted accounts"
            )
        if maybe:
            out.append(f"undecided: {ref} may grant {_text(maybe)} to {party.describe()}")
        back = sorted(cross.taken.get((ref, party), ()))
        if back and not yes and not maybe:
            out.append(
                f"not cross-account: {ref}'s grant to {party.describe()} is taken back by Deny "
                + ", ".join(back)
            )
    for (ref, party), kinds in sorted(cross.trusted.items()):
        if party.kind == "service":
            out.append(
                f"note: {ref} grants {_text(kinds)} to {party.describe()} with no "
                "aws:SourceArn/aws:SourceAccount: any account's resources in that service may "
                "use it (confused deputy); AWS does not count service principals as external"
            )
        else:
            out.append(f"trusted: {ref} grants {_text(kinds)} to {party.describe()}")
    return out + cross.notes


def analyze_resource_policy(
    text: str,
    target: ResourceTarget,
    *,
    trusted_accounts: frozenset[str] = frozenset(),
    org_id: str | None = None,
    trusted_networks: frozenset[str] = frozenset(),
    service: ServiceProfile | None = None,
) -> ResourcePolicyAnalysis:
    """Public and cross-account access a resource policy gives, per access kind."""
    ptarget = target.policy_target(service)
    trust = Trust(target.owner, frozenset(trusted_accounts), org_id, frozenset(trusted_networks))
    public: PolicyAnalysis = analyze_policy(text, ptarget)
    if public.error:
        maybe = {a: Tri.MAYBE for a in ACCESS_ORDER}
        return ResourcePolicyAnalysis(maybe, maybe, {}, (f"unknown: {public.error}",), public.error)
    parsed = parse_policy(text, ptarget)
    cross = _cross(ptarget, list(parsed.statements), trust)
    for message in parsed.malformed:
        could_deny = "Deny" in message.split(":", 1)[0]
        for a in ACCESS_ORDER:
            t = cross.kinds[a]
            cross.kinds[a] = t & Tri.MAYBE if could_deny else t | Tri.MAYBE
    reasons = [*public.reasons, *_cross_reasons(cross, public.access)]
    parties = {k: frozenset(v) for k, v in cross.parties.items()}
    return ResourcePolicyAnalysis(dict(public.access), dict(cross.kinds), parties, tuple(reasons))


def evaluate_resource_policy(
    text: str,
    target: ResourceTarget,
    *,
    trusted_accounts: frozenset[str] = frozenset(),
    org_id: str | None = None,
    trusted_networks: frozenset[str] = frozenset(),
) -> Exposure:
    """PUBLIC / CROSS_ACCOUNT / UNKNOWN / PRIVATE for one resource policy, with reasons that
    name the statements. The owner's account is always trusted; ``trusted_networks`` (VPC ids,
    VPC endpoint ids, CIDRs) are trusted for grants that only a network condition narrows."""
    analysis = analyze_resource_policy(
        text,
        target,
        trusted_accounts=trusted_accounts,
        org_id=org_id,
        trusted_networks=trusted_networks,
    )
    return analysis.exposure()


def evaluate_resource(
    state: ResourcePolicyState,
    *,
    trusted_accounts: frozenset[str] = frozenset(),
    org_id: str | None = None,
    trusted_networks: frozenset[str] = frozenset(),
) -> Exposure:
    """The stored form: no policy is PRIVATE (only the owner's identity policies grant), an
    unreadable one UNKNOWN."""
    name = f"{profile(state.service).title} {state.arn}"
    if state.policy is None:
        return Exposure(Level.PRIVATE, reasons=(f"not shared: {name} has no resource policy",))
    if isinstance(state.policy, Unknown):
        why = f"unknown: the policy of {name} could not be read ({state.policy.reason})"
        return Exposure(Level.UNKNOWN, reasons=(why,), unknown_access=frozenset(Access))
    target = ResourceTarget(state.service, state.arn, state.account, dict(state.known))
    return evaluate_resource_policy(
        state.policy,
        target,
        trusted_accounts=trusted_accounts,
        org_id=org_id,
        trusted_networks=trusted_networks,
    )
