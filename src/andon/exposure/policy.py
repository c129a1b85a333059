"""Resource-policy analysis: which kinds of access does a policy give to the public?

Implements Amazon S3's documented "meaning of public" for bucket and access-point policies
(S3 User Guide, "Blocking public access to your Amazon S3 storage"): a grant is public unless
it is limited to fixed principals or to fixed values of the restricting condition keys (see
:mod:`andon.exposure.conditions`). Unlike a pattern check, this evaluator also honours what the
policy language does: ``Deny`` statements take access back (``Deny`` wins), ``NotPrincipal`` in an
``Allow`` grants to everyone else, ``NotAction``/``NotResource`` invert their lists, wildcards in
actions and resources match as IAM matches them (IAM User Guide, "Policy evaluation logic" and
"IAM JSON policy elements").

Everything is decided per action of the service's catalogue (:mod:`andon.exposure.services`;
S3 by default) and per resource level (the resource itself, e.g. the bucket, or something under
it, e.g. an object), then folded into access kinds. The same code serves every service: only the
catalogue, the service's condition keys and the resource's ARNs differ.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from andon.core.model import ACCESS_ORDER, Access
from andon.exposure.conditions import PolicyKind, evaluate_condition
from andon.exposure.globs import (
    covers,
    glob_match,
    has_wildcard,
    matches_all_with_prefix,
    matches_some_with_prefix,
)
from andon.exposure.s3_actions import BUCKET
from andon.exposure.services import S3, ServiceProfile
from andon.exposure.tri import Tri

_ACCOUNT_IN_ARN = re.compile(r"^arn:aws[\w-]*:(?:iam|sts)::(\d{12}):")
_ACCOUNT_ID = re.compile(r"^\d{12}$")
# Federated web-identity providers (domain names) are public: anyone can sign in there.
_FEDERATED_ARN = re.compile(r"^arn:aws[\w-]*:iam::(\d{12}):(saml-provider|oidc-provider)/")


@dataclass(frozen=True)
class PolicyTarget:
    """What a policy is attached to, in the terms its ``Resource`` element uses."""

    resource_arn: str  # arn:aws:s3:::bucket, or the access point's ARN
    object_prefix: str  # arn:aws:s3:::bucket/ , or <access point ARN>/object/
    owner_account: str = ""
    kind: PolicyKind = field(default_factory=PolicyKind)
    service: ServiceProfile = S3

    @property
    def actions(self) -> frozenset[str]:
        return frozenset(self.service.actions)

    @staticmethod
    def bucket(name: str, owner_account: str = "", kind: PolicyKind | None = None) -> PolicyTarget:
        return PolicyTarget(
            f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/", owner_account, kind or PolicyKind()
        )

    @staticmethod
    def access_point(arn: str, owner_account: str = "") -> PolicyTarget:
        return PolicyTarget(
            arn, f"{arn}/object/", owner_account, PolicyKind(access_point_policy=True)
        )


@dataclass(frozen=True)
class PolicyAnalysis:
    """The public access a policy gives, per access kind, with the reasons.

    ``access[kind]`` is ``Tri.YES`` (public), ``Tri.MAYBE`` (cannot tell) or ``Tri.NO``.
    ``is_public`` follows S3's policy status (used for ``RestrictPublicBuckets``).
    """

    access: Mapping[Access, Tri]
    reasons: tuple[str, ...]
    is_public: Tri
    external_accounts: frozenset[str] = frozenset()
    error: str = ""

    def kinds(self, value: Tri) -> frozenset[Access]:
        return frozenset(a for a, t in self.access.items() if t == value)


@dataclass
class Statement:
    """One parsed statement; ``raw`` keeps the JSON for analyses beyond "public"."""

    ref: str
    deny: bool
    applies: Tri  # Allow: granted to the public; Deny: applies to the public
    principal_desc: str
    actions: frozenset[str]
    resources: tuple[str, ...]
    not_resource: bool
    cond: Tri  # Allow: public can satisfy; Deny: public can escape
    cond_notes: tuple[str, ...]
    accounts: frozenset[str]
    raw: Mapping[str, Any] = field(default_factory=dict)


def _as_list(value: Any) -> list[Any] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return None


def _ref(index: int, stmt: Mapping[str, Any]) -> str:
    sid = stmt.get("Sid")
    if isinstance(sid, str) and sid:
        return f"statement `{sid}`"
    return f"statement #{index + 1}"


def _principal(stmt: Mapping[str, Any], deny: bool) -> tuple[Tri, str, frozenset[str]]:
    """Does the statement's principal include an arbitrary member of the public?"""
    if "NotPrincipal" in stmt:
        raw = stmt["NotPrincipal"]
        values = [raw] if raw == "*" else _principal_values(raw)
        if values is None:
            return Tri.MAYBE, "a malformed NotPrincipal", frozenset()
        if "*" in values:
            return Tri.NO, "NotPrincipal `*` (nobody)", frozenset()
        return Tri.YES, f"NotPrincipal (everyone except {', '.join(values)})", frozenset()
    if "Principal" not in stmt:
        return Tri.MAYBE, "no Principal element", frozenset()
    raw = stmt["Principal"]
    if raw == "*":
        return Tri.YES, 'Principal "*" (everyone)', frozenset()
    if not isinstance(raw, Mapping) or not raw:
        return Tri.MAYBE, "a malformed Principal", frozenset()
    public: list[str] = []
    accounts: set[str] = set()
    unknown = False
    for ptype, pvals in raw.items():
        vals = _as_list(pvals)
        if vals is None:
            unknown = True
            continue
        for v in vals:
            if v == "*" or (ptype != "Service" and has_wildcard(v)):
                public.append(f"{ptype}: {v}")
            elif ptype == "AWS":
                m = _ACCOUNT_IN_ARN.match(v)
                if m:
                    accounts.add(m.group(1))
                elif _ACCOUNT_ID.match(v):
                    accounts.add(v)
            elif ptype == "Federated":
                fm = _FEDERATED_ARN.match(v)
                if fm:
                    accounts.add(fm.group(1))
                else:
                    public.append(f"Federated: {v} (anyone who signs in there)")
            elif ptype in ("Service", "CanonicalUser"):
                continue
            else:
                unknown = True
    if public:
        return Tri.YES, f"Principal {'; '.join(public)}", frozenset(accounts)
    if unknown:
        return Tri.MAYBE, "a Principal type Andon does not know", frozenset(accounts)
    return Tri.NO, "fixed principals only", frozenset(accounts)


def _principal_values(raw: Any) -> list[str] | None:
    if isinstance(raw, Mapping):
        out: list[str] = []
        for v in raw.values():
            vals = _as_list(v)
            if vals is None:
                return None
            out.extend(vals)
        return out
    return _as_list(raw)


def _actions(stmt: Mapping[str, Any], catalogue: frozenset[str]) -> frozenset[str] | None:
    negate = "NotAction" in stmt
    raw = stmt.get("NotAction") if negate else stmt.get("Action")
    patterns = _as_list(raw)
    if patterns is None:
        return None
    hit = {a for a in catalogue if any(glob_match(p, a, ignore_case=True) for p in patterns)}
    return frozenset(set(catalogue) - hit if negate else hit)


def _touches_other_actions(stmt: Mapping[str, Any], namespaces: tuple[str, ...]) -> bool:
    """Whether an Allow also covers actions outside the catalogue (policy status only)."""
    if "NotAction" in stmt:
        return True
    patterns = _as_list(stmt.get("Action")) or []
    prefixes = tuple(f"{ns}:" for ns in namespaces)
    return any(p.lower().startswith(prefixes) or p == "*" for p in patterns)


def _resources(stmt: Mapping[str, Any], target: PolicyTarget) -> tuple[bool, list[str] | None]:
    """``(is NotResource, patterns)``; a service whose policies may omit ``Resource`` (ECR,
    EFS) means the resource the policy is attached to, and shorthand prefixes
    (``execute-api:/``) stand for the resource's own ARN."""
    not_resource = "NotResource" in stmt
    if not not_resource and "Resource" not in stmt and target.service.resource_optional:
        return False, [target.resource_arn, f"{target.object_prefix}*"]
    resources = _as_list(stmt.get("NotResource") if not_resource else stmt.get("Resource"))
    short = target.service.shorthand
    if resources is not None and short:
        resources = [
            f"{target.resource_arn}/{r[len(short) :]}" if r.startswith(short) else r
            for r in resources
        ]
    return not_resource, resources


def _parse(index: int, stmt: Any, target: PolicyTarget) -> Statement | str:
    """A parsed statement, or a message ``"<Effect>: <what is wrong>"`` for a malformed one."""
    if not isinstance(stmt, Mapping):
        return f"Unknown: statement #{index + 1} is not an object"
    ref = _ref(index, stmt)
    effect = stmt.get("Effect")
    if effect not in ("Allow", "Deny"):
        return f"Unknown: {ref} has Effect {effect!r}, neither Allow nor Deny"
    deny = effect == "Deny"
    actions = _actions(stmt, target.actions)
    if actions is None:
        return f"{effect}: {ref} has no valid Action or NotAction"
    not_resource, resources = _resources(stmt, target)
    if resources is None:
        return f"{effect}: {ref} has no valid Resource or NotResource"
    applies, desc, accounts = _principal(stmt, deny)
    cond = evaluate_condition(stmt.get("Condition"), deny=deny, kind=target.kind)
    return Statement(
        ref,
        deny,
        applies,
        desc,
        actions,
        tuple(resources),
        not_resource,
        cond.value,
        cond.reasons,
        accounts,
        stmt,
    )


def _scope(st: Statement, level: str, target: PolicyTarget) -> bool:
    """Does the statement reach the bucket itself (BUCKET) or some object in it (OBJECT)?"""
    if level == BUCKET:
        hit = any(glob_match(p, target.resource_arn) for p in st.resources)
        return hit != st.not_resource
    if st.not_resource:
        return not any(matches_all_with_prefix(p, target.object_prefix) for p in st.resources)
    return any(matches_some_with_prefix(p, target.object_prefix) for p in st.resources)


def _deny_covers(deny: Statement, allow: Statement, level: str, target: PolicyTarget) -> bool:
    """Does the Deny reach every resource the Allow grants at this level?"""
    if level == BUCKET:
        return _scope(deny, BUCKET, target)
    if deny.not_resource:
        return not any(matches_some_with_prefix(p, target.object_prefix) for p in deny.resources)
    if any(matches_all_with_prefix(p, target.object_prefix) for p in deny.resources):
        return True
    if allow.not_resource:
        return False
    granted = [p for p in allow.resources if matches_some_with_prefix(p, target.object_prefix)]
    return all(any(covers(d, a) for d in deny.resources) for a in granted)


@dataclass(frozen=True)
class ParsedPolicy:
    """A policy's statements, the malformed ones (``"<Effect>: <why>"``), and Allows that also
    touch actions outside the catalogue; ``error`` when the document itself is unreadable."""

    statements: tuple[Statement, ...] = ()
    malformed: tuple[str, ...] = ()
    other_actions: tuple[Statement, ...] = ()
    error: str = ""


def parse_policy(text: str, target: PolicyTarget) -> ParsedPolicy:
    """Parse a policy document for ``target`` (statements that fail to parse are listed)."""
    try:
        doc = json.loads(text)
    except (ValueError, TypeError) as exc:
        return ParsedPolicy(error=f"the policy is not valid JSON ({exc})")
    if not isinstance(doc, Mapping):
        return ParsedPolicy(error="the policy is not a JSON object")
    raw_statements = doc.get("Statement")
    if isinstance(raw_statements, Mapping):
        raw_statements = [raw_statements]
    if not isinstance(raw_statements, list):
        return ParsedPolicy(error="the policy has no Statement list")
    statements: list[Statement] = []
    other_actions: list[Statement] = []
    malformed: list[str] = []
    for i, raw in enumerate(raw_statements):
        parsed = _parse(i, raw, target)
        if isinstance(parsed, str):
            malformed.append(parsed)
            continue
        statements.append(parsed)
        if not parsed.deny and _touches_other_actions(raw, target.service.namespaces):
            other_actions.append(parsed)
    return ParsedPolicy(tuple(statements), tuple(malformed), tuple(other_actions))


def reaches(st: Statement, level: str, target: PolicyTarget) -> bool:
    """Does the statement reach the resource itself (``RESOURCE``) or something under it?"""
    return _scope(st, level, target)


def deny_covers(deny: Statement, allow: Statement, level: str, target: PolicyTarget) -> bool:
    """Does the Deny reach every resource the Allow grants at this level?"""
    return _deny_covers(deny, allow, level, target)


def analyze_policy(text: str, target: PolicyTarget) -> PolicyAnalysis:
    """Decide, per access kind, whether the policy gives it to the public."""
    unknown_all = {a: Tri.MAYBE for a in ACCESS_ORDER}
    parsed_policy = parse_policy(text, target)
    if parsed_policy.error:
        why = parsed_policy.error
        return PolicyAnalysis(unknown_all, (why,), Tri.MAYBE, error=why)
    statements = list(parsed_policy.statements)
    other_actions = list(parsed_policy.other_actions)
    malformed = list(parsed_policy.malformed)
    is_public = Tri.NO

    allows = [s for s in statements if not s.deny]
    denies = [s for s in statements if s.deny]
    access: dict[Access, Tri] = {a: Tri.NO for a in ACCESS_ORDER}
    # statement ref → (access kinds granted YES / MAYBE, deny refs that took access back)
    granted: dict[str, dict[Access, Tri]] = {}
    taken_back: dict[str, set[str]] = {}
    for action, (kinds, levels) in target.service.actions.items():
        for level in levels:
            for allow in allows:
                if action not in allow.actions or not _scope(allow, level, target):
                    continue
                t = allow.applies & allow.cond
                if t == Tri.NO:
                    continue
                for deny in denies:
                    if action in deny.actions and _deny_covers(deny, allow, level, target):
                        blocked = deny.applies & ~deny.cond
                        if blocked != Tri.NO:
                            taken_back.setdefault(allow.ref, set()).add(deny.ref)
                        t = t & ~blocked
                per = granted.setdefault(allow.ref, {})
                for kind in kinds:
                    per[kind] = per.get(kind, Tri.NO) | t
                    access[kind] = access[kind] | t
    for message in malformed:
        # A statement Andon cannot read may grant anything (Allow) or take anything back (Deny).
        could_deny = "Deny" in message.split(":", 1)[0]
        for a in ACCESS_ORDER:
            access[a] = access[a] & Tri.MAYBE if could_deny else access[a] | Tri.MAYBE
    for a in ACCESS_ORDER:
        is_public = is_public | access[a]
    for allow in other_actions:
        # S3 calls a policy public for any public grant, even of actions that expose no data
        # (s3:GetBucketLocation); a grant that Deny statements took back does not count.
        if allow.ref not in taken_back:
            is_public = is_public | (allow.applies & allow.cond)

    reasons = _reasons(allows, denies, granted, taken_back, malformed)
    external = frozenset(
        acct
        for s in allows
        for acct in s.accounts
        if target.owner_account and acct != target.owner_account
    )
    return PolicyAnalysis(access, tuple(reasons), is_public, external)


def _with_notes(ref: str, notes: tuple[str, ...]) -> str:
    return f"{ref} ({'; '.join(notes)})" if notes else ref


def _kinds_text(kinds: dict[Access, Tri], value: Tri) -> str:
    return ", ".join(a.value for a in ACCESS_ORDER if kinds.get(a) == value)


def _reasons(
    allows: list[Statement],
    denies: list[Statement],
    granted: dict[str, dict[Access, Tri]],
    taken_back: dict[str, set[str]],
    malformed: list[str],
) -> list[str]:
    out: list[str] = []
    deny_by_ref = {d.ref: d for d in denies}
    for s in allows:
        kinds = granted.get(s.ref, {})
        notes = f" ({'; '.join(s.cond_notes)})" if s.cond_notes else ""
        yes = _kinds_text(kinds, Tri.YES)
        maybe = _kinds_text(kinds, Tri.MAYBE)
        back = sorted(taken_back.get(s.ref, ()))
        if yes:
            cond = notes or " with no restricting condition"
            out.append(f"public grant: {s.ref} grants {yes} to {s.principal_desc}{cond}")
        if maybe:
            out.append(f"undecided: {s.ref} may grant {maybe} to {s.principal_desc}{notes}")
        if back:
            why = "; ".join(_with_notes(r, deny_by_ref[r].cond_notes) for r in back)
            out.append(f"not public: {s.ref} is taken back from the public by Deny {why}")
        if not yes and not maybe and not back and s.applies != Tri.NO and s.cond == Tri.NO:
            out.append(
                f"not public: {s.ref} grants to {s.principal_desc} but is {'; '.join(s.cond_notes)}"
            )
        if s.applies == Tri.NO and s.accounts:
            accounts = ", ".join(sorted(s.accounts))
            out.append(f"not public: {s.ref} grants to fixed principals of account(s) {accounts}")
    out.extend(f"undecided: {m.split(': ', 1)[1]}" for m in malformed)
    return out
