"""Who a resource-policy grant reaches, in account terms, and whether a Deny takes it back.

A :class:`Party` is an account (its principals), an organization (its members), a service
acting for an account's resources, "any account" narrowed only by network keys, or a network
the owner trusts. Each condition is evaluated for a party's callers with what their requests
carry (IAM User Guide, "AWS global condition context keys"): aws:PrincipalAccount,
aws:PrincipalArn and aws:PrincipalOrgID are present for principals; aws:SourceAccount,
aws:SourceArn and aws:SourceOrgID only when a service calls on behalf of a resource; a
condition on an absent key is false, except negated operators, ``...IfExists``,
``ForAllValues`` and ``Null: true`` (IAM User Guide, "Condition operators").

For a Deny the question is whether a caller of the party *outside the trust zone* can make a
condition false: escaping ``StringNotEquals aws:PrincipalOrgID <trusted org>`` takes
membership of the trusted organization, so no outsider escapes.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from andon.exposure.conditions import Clause, Operator, PolicyKind, clauses, holds_for, key_class
from andon.exposure.globs import glob_match, has_wildcard
from andon.exposure.policy import Statement
from andon.exposure.tri import Tri

_ACCOUNT = re.compile(r"^\d{12}$")
_ARN_ACCOUNT = re.compile(r"^arn:aws[\w-]*:(?:iam|sts)::(\d{12}):")
_FEDERATED = re.compile(r"^arn:aws[\w-]*:iam::(\d{12}):(?:saml-provider|oidc-provider)/")
_VARIABLE = re.compile(r"\$\{[^}]*\}")

PRINCIPAL_ACCOUNT = frozenset({"aws:principalaccount", "kms:calleraccount"})
SOURCE_ACCOUNT = frozenset({"aws:sourceaccount", "aws:sourceowner"})
PRINCIPAL_ARN = frozenset({"aws:principalarn"})
SOURCE_ARN = frozenset({"aws:sourcearn"})
PRINCIPAL_ORG = frozenset({"aws:principalorgid", "aws:principalorgpaths"})
SOURCE_ORG = frozenset({"aws:sourceorgid", "aws:sourceorgpaths"})
IS_SERVICE = "aws:principalisawsservice"
MOUNT_TARGET = "elasticfilesystem:accessedviamounttarget"
NETWORK_KEYS = frozenset({"aws:sourceip", "aws:sourcevpc", "aws:sourcevpce", MOUNT_TARGET})
_PRINCIPAL_SIDE = PRINCIPAL_ACCOUNT | PRINCIPAL_ARN | PRINCIPAL_ORG
_SOURCE_SIDE = SOURCE_ACCOUNT | SOURCE_ARN | SOURCE_ORG
IDENTITY_KEYS = _PRINCIPAL_SIDE | _SOURCE_SIDE | {IS_SERVICE}


@dataclass(frozen=True)
class Trust:
    """The zone of trust: the owner's account, the trusted accounts, the organization, and
    optionally trusted networks (VPC ids, VPC endpoint ids, CIDRs) for grants that a network
    condition alone narrows."""

    owner: str = ""
    accounts: frozenset[str] = frozenset()
    org_id: str | None = None
    networks: frozenset[str] = frozenset()

    def account(self, account: str) -> bool:
        return bool(account) and (account == self.owner or account in self.accounts)

    def org(self, org: str) -> bool:
        return self.org_id is not None and org == self.org_id

    def network(self, key: str, value: str) -> bool:
        """Whether a fixed value of a network key stays inside trusted networks."""
        if key == MOUNT_TARGET:
            return value.lower() == "true"  # mount targets live in the file system's VPC
        if key != "aws:sourceip":
            return value in self.networks
        try:
            net = ipaddress.ip_network(value.strip(), strict=False)
        except ValueError:
            return False
        for n in self.networks:
            try:
                t = ipaddress.ip_network(n, strict=False)
            except ValueError:
                continue
            if t.version == net.version and net.subnet_of(t):  # type: ignore[arg-type]
                return True
        return False


@dataclass(frozen=True, order=True)
class Party:
    """Who a grant reaches, in account terms.

    ``kind``: ``account`` (its principals), ``org`` (its members), ``service`` (an AWS service
    not scoped to any account), ``any`` (any account, perhaps narrowed by network keys, see
    ``note``) or ``unknown``. ``service`` on an account or org party means the caller is a
    service acting for that account's (or organization's) resources.
    """

    kind: str
    value: str = ""
    service: str = ""
    note: str = ""

    def trusted(self, trust: Trust) -> bool:
        if self.kind == "account":
            return trust.account(self.value)
        if self.kind == "org":
            return trust.org(self.value)
        return self.kind in ("service", "network")

    def describe(self) -> str:
        via = f" through {self.service}" if self.service else ""
        if self.kind == "account":
            return f"account {self.value}{via}"
        if self.kind == "org":
            return f"members of organization {self.value}{via}"
        if self.kind == "service":
            return f"service {self.value}"
        if self.kind == "any":
            return f"any account ({self.note})" if self.note else "any account"
        if self.kind == "network":
            return f"callers inside trusted networks ({self.note})"
        return self.value or "an unreadable principal"


def _as_list(value: Any) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return None


def _account_of(value: str) -> str:
    if _ACCOUNT.match(value):
        return value
    m = _ARN_ACCOUNT.match(value) or _FEDERATED.match(value)
    return m.group(1) if m else ""


def _principal_parties(raw: Mapping[str, Any]) -> list[Party] | None:
    """The parties of a statement's Principal (``None``: malformed). NotPrincipal and
    wildcards are ``any``."""
    if "NotPrincipal" in raw:
        return [Party("any")]
    principal = raw.get("Principal")
    if principal == "*":
        return [Party("any")]
    if not isinstance(principal, Mapping) or not principal:
        return None
    out: list[Party] = []
    for ptype, pvals in principal.items():
        vals = _as_list(pvals)
        if vals is None:
            return None
        for v in vals:
            if v == "*" or (ptype != "Service" and has_wildcard(v)):
                out.append(Party("any"))
            elif ptype == "Service":
                out.append(Party("service", v))
            elif ptype in ("AWS", "Federated") and _account_of(v):
                out.append(Party("account", _account_of(v)))
            elif ptype == "Federated":
                out.append(Party("any", note=f"anyone who signs in with {v}"))
            else:
                out.append(Party("unknown", f"principal {ptype}: {v} (account unknown)"))
    return out


def _org_of_path(value: str) -> str:
    return value.split("/", 1)[0]


def _arn_account_field(value: str) -> str | None:
    parts = value.split(":", 5)
    return parts[4] if len(parts) == 6 else None


# --- what a party's requests carry --------------------------------------------------------
def _identity(party: Party, key: str) -> tuple[str, str]:
    """``(state, value)``: state is ``value`` (known), ``absent``, ``unknown`` (present, value
    unknown) or ``either`` (the party mixes callers with and without the key)."""
    if party.kind in ("any", "unknown"):
        return "either", ""
    via_service = party.kind == "service" or bool(party.service)
    if key == IS_SERVICE:
        return "value", "true" if via_service else "false"
    principal_side = key in _PRINCIPAL_SIDE
    if principal_side == via_service:
        return "absent", ""
    if party.kind == "service":
        return "unknown", ""
    org_key = key in PRINCIPAL_ORG or key in SOURCE_ORG
    if (party.kind == "org") != org_key:
        return "unknown", ""
    return "value", party.value


def _absent_holds(op: Operator, values: tuple[str, ...]) -> Tri:
    """A condition on a key the request lacks (IAM User Guide, "Condition operators")."""
    if op.family == "null":
        return Tri.of(values[0].lower() == "true")
    if op.qualifier == "forallvalues" or op.if_exists or op.negated:
        return Tri.YES
    return Tri.NO


def _arn_hit(values: tuple[str, ...], account: str) -> bool:
    """Whether some ARN of ``account`` can match one of the patterns (an ARN without an
    account field, like an S3 bucket's, may belong to anyone)."""
    for v in values:
        f = _arn_account_field(v)
        if f is None or f == "" or glob_match(f, account):
            return True
    return False


def _value_clause(c: Clause, op: Operator, key: str, actual: str, deny: bool) -> Tri:
    """A clause on an identity key whose value the party's callers carry: ``actual``."""
    assert c.values is not None
    if op.family == "null":
        present = Tri.of(c.values[0].lower() == "false")
        return ~present if deny else present
    if key in PRINCIPAL_ARN or key in SOURCE_ARN:
        hit = _arn_hit(c.values, actual)
        if deny:
            # Deny if ARN matches: other principals/resources of the account escape. Deny if
            # ARN does not match: escaping takes an ARN of the account that matches.
            return Tri.of(hit) if op.negated else Tri.YES
        return Tri.YES if op.negated else Tri.of(hit)
    values = list(c.values)
    if key in ("aws:principalorgpaths", "aws:sourceorgpaths"):
        values = [_org_of_path(v) for v in values]
    holds = holds_for(op, values, actual)
    return ~holds if deny else holds


def _untrusted_value(key: str, value: str, trust: Trust) -> bool:
    """Whether a caller identified by this condition value may lie outside the trust zone."""
    if _VARIABLE.search(value):
        return True
    if key in PRINCIPAL_ORG or key in SOURCE_ORG:
        org = _org_of_path(value)
        return has_wildcard(org) or not trust.org(org)
    if key in PRINCIPAL_ARN or key in SOURCE_ARN:
        f = _arn_account_field(value)
        return f is None or has_wildcard(f) or not trust.account(f)
    return has_wildcard(value) or not trust.account(_account_of(value) or value)


def _clause(c: Clause, party: Party, trust: Trust, kind: PolicyKind, deny: bool) -> Tri:
    """Allow: can the party's callers satisfy the clause? Deny: can a caller of the party
    that lies outside the trust zone make it false (escape)?"""
    op = c.op
    if op is None or c.values is None:
        return Tri.MAYBE
    key = c.key.lower()
    if key in IDENTITY_KEYS:
        state, actual = _identity(party, key)
        if state == "value":
            return _value_clause(c, op, key, actual, deny)
        absent = _absent_holds(op, c.values)
        if state == "absent":
            return ~absent if deny else absent
        if not deny:
            return Tri.YES
        # Escaping a negated test takes an identity among its values: from outside the trust
        # zone only if one of them lies outside.
        if op.family == "null":
            present_escape = Tri.of(c.values[0].lower() == "true")
        else:
            present_escape = Tri.of(
                not op.negated or any(_untrusted_value(key, v, trust) for v in c.values)
            )
        return present_escape | (~absent if state == "either" else Tri.NO)
    known = kind.known(key)
    if known is not None:
        holds = holds_for(op, list(c.values), known)
        return ~holds if deny else holds
    if key_class(key, kind) == "unknown":
        return Tri.MAYBE
    if (
        deny
        and party.kind == "any"
        and key in NETWORK_KEYS
        and not op.if_exists
        and op.qualifier != "foranyvalue"
    ):
        # Deny unless inside trusted networks: an unnamed caller escapes only from inside one.
        # A named outside account stays outside whatever network it comes through.
        negated = op.negated or (key == MOUNT_TARGET and c.values == ("false",))
        values = ("true",) if key == MOUNT_TARGET else c.values
        if negated and all(trust.network(key, v) for v in values):
            return Tri.NO
    # Network and request keys do not tell accounts apart: someone outside may satisfy them.
    return Tri.YES


def _conditions(st: Statement) -> tuple[Clause, ...] | None:
    return clauses(st.raw.get("Condition"))


def _satisfies(cl: tuple[Clause, ...], party: Party, trust: Trust, kind: PolicyKind) -> Tri:
    value = Tri.YES
    for c in cl:
        value = value & _clause(c, party, trust, kind, deny=False)
    return value


def _pins(cl: Iterable[Clause]) -> tuple[list[Party], set[str], set[str]]:
    """Parties named by positive, fixed identity conditions, and the organizations those
    conditions pin principals (first set) and services' source resources (second set) to."""
    parties: dict[Party, None] = {}
    principal_orgs: set[str] = set()
    source_orgs: set[str] = set()
    for c in cl:
        op = c.op
        if op is None or c.values is None or op.negated or op.if_exists:
            continue
        if op.qualifier == "forallvalues" or op.family not in ("string", "like"):
            continue
        if any(_VARIABLE.search(v) for v in c.values):
            continue
        key = c.key.lower()
        service = "an AWS service" if key in _SOURCE_SIDE else ""
        if key in PRINCIPAL_ACCOUNT | SOURCE_ACCOUNT:
            if not any(has_wildcard(v) for v in c.values):
                for v in c.values:
                    parties[Party("account", _account_of(v) or v, service)] = None
        elif key in PRINCIPAL_ARN | SOURCE_ARN:
            fields = [_arn_account_field(v) or "" for v in c.values]
            if all(_ACCOUNT.match(f) for f in fields):
                parties.update((Party("account", f, service), None) for f in fields)
        elif key in PRINCIPAL_ORG | SOURCE_ORG:
            ids = [_org_of_path(v) for v in c.values]
            if not any(has_wildcard(i) for i in ids):
                parties.update((Party("org", i, service), None) for i in ids)
                (source_orgs if service else principal_orgs).update(ids)
    return list(parties), principal_orgs, source_orgs


def audience(
    st: Statement, trust: Trust, kind: PolicyKind
) -> tuple[list[tuple[Party, Tri]], list[str]]:
    """Every party an Allow reaches, with whether its callers satisfy the conditions."""
    cl = _conditions(st)
    principals = _principal_parties(st.raw)
    if cl is None or principals is None:
        why = "a malformed Condition" if cl is None else "a malformed Principal"
        return [(Party("unknown", f"principals behind {why}"), Tri.MAYBE)], []
    pinned, principal_orgs, source_orgs = _pins(cl)
    notes: list[str] = []
    out: list[tuple[Party, Tri]] = []
    for p in principals:
        if p.kind == "any":
            if pinned:
                candidates = pinned
            elif _services_only(cl):
                candidates = [Party("service", "any AWS service")]
            else:
                restricted = st.cond != Tri.YES and st.cond_notes
                note = p.note or ("; ".join(st.cond_notes) if restricted else "")
                kind_ = "network" if _trusted_network(cl, trust) else "any"
                candidates = [Party(kind_, note=note)]
        elif p.kind == "service":
            source = [q for q in pinned if q.service]
            candidates = [Party(q.kind, q.value, p.value) for q in source] or [p]
        else:
            candidates = [p]
        for q in candidates:
            t = _satisfies(cl, q, trust, kind)
            if q.kind == "unknown":
                t = t & Tri.MAYBE
            orgs = source_orgs if (q.service or q.kind == "service") else principal_orgs
            if orgs and all(trust.org(o) for o in orgs) and q.kind in ("account", "any"):
                notes.append(
                    f"{st.ref} reaches {q.describe()} only inside trusted organization "
                    f"{trust.org_id}"
                )
                q = Party("org", trust.org_id or "", q.service)
            out.append((q, t))
    return out, notes


def _services_only(cl: Iterable[Clause]) -> bool:
    return any(
        c.key.lower() == IS_SERVICE
        and c.op is not None
        and c.op.family == "bool"
        and not c.op.if_exists
        and c.values == ("true",)
        for c in cl
    )


def _trusted_network(cl: Iterable[Clause], trust: Trust) -> bool:
    """Whether a positive condition pins callers to trusted networks (or to the mount targets
    of an EFS file system, which are in its own VPC)."""
    for c in cl:
        op, key = c.op, c.key.lower()
        if op is None or c.values is None or key not in NETWORK_KEYS or op.negated:
            continue
        if op.if_exists or op.qualifier == "forallvalues":
            continue
        if all(trust.network(key, v) for v in c.values):
            return True
    return False


def _names(raw: Any) -> list[str] | None:
    if raw == "*":
        return ["*"]
    if isinstance(raw, Mapping):
        out: list[str] = []
        for v in raw.values():
            vals = _as_list(v)
            if vals is None:
                return None
            out += vals
        return out
    return _as_list(raw)


def _deny_reaches(st: Statement, party: Party, trust: Trust) -> Tri:
    """Does a Deny's Principal/NotPrincipal cover every caller of the party that lies outside
    the trust zone?"""
    if "NotPrincipal" in st.raw:
        names = _names(st.raw["NotPrincipal"])
        if names is None:
            return Tri.MAYBE
        if "*" in names:
            return Tri.NO
        excluded = [_account_of(n) for n in names]
        if party.kind == "account":
            return Tri.of(party.value not in excluded and party.value not in names)
        if party.kind == "service":
            return Tri.of(party.value not in names)
        # Everyone except the listed principals: covers outsiders if all listed are trusted.
        return Tri.of(all(a and trust.account(a) for a in excluded))
    names = _names(st.raw.get("Principal"))
    if names is None:
        return Tri.MAYBE
    if any(n == "*" or has_wildcard(n) for n in names):
        return Tri.YES
    if party.kind == "account" and not party.service:
        return Tri.of(party.value in names or f"arn:aws:iam::{party.value}:root" in names)
    if party.kind == "service" or party.service:
        return Tri.of(party.service in names or party.value in names)
    return Tri.NO


def blocked(deny: Statement, party: Party, trust: Trust, kind: PolicyKind) -> Tri:
    covers = _deny_reaches(deny, party, trust)
    if covers == Tri.NO:
        return Tri.NO
    cl = _conditions(deny)
    if cl is None:
        return Tri.MAYBE
    escape = Tri.NO
    for c in cl:
        escape = escape | _clause(c, party, trust, kind, deny=True)
    return covers & ~escape


def narrow(deny: Statement, party: Party, trust: Trust) -> list[Party] | None:
    """The callers of an "any account" party that a guardrail Deny lets through.

    A Deny whose Principal covers everyone and whose only condition is a negated identity test
    with fixed values (``StringNotEquals aws:PrincipalAccount [A, B]``, the same with
    aws:PrincipalOrgID…) leaves exactly the named accounts or organizations. ``None`` when the
    Deny has another shape (the general escape rule then applies).
    """
    if party.kind != "any" or _deny_reaches(deny, party, trust) != Tri.YES:
        return None
    cl = _conditions(deny)
    if not cl or len(cl) != 1:
        return None
    c = cl[0]
    op, key = c.op, c.key.lower()
    if op is None or c.values is None or not op.negated or op.if_exists or op.qualifier:
        return None
    if op.family not in ("string", "like") or any(has_wildcard(v) for v in c.values):
        return None
    service = "an AWS service" if key in _SOURCE_SIDE else ""
    if key in PRINCIPAL_ACCOUNT | SOURCE_ACCOUNT:
        return [Party("account", _account_of(v) or v, service) for v in c.values]
    if key in PRINCIPAL_ORG | SOURCE_ORG:
        return [Party("org", _org_of_path(v), service) for v in c.values]
    return None
