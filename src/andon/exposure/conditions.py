"""Condition blocks: can an arbitrary member of the public satisfy (or escape) them?

Source: Amazon S3 User Guide, "Blocking public access to your Amazon S3 storage" → "The
meaning of 'public'". A policy grant is non-public only when it is limited to *fixed* values
(no wildcard, no policy variable) of one of these keys: an AWS principal, user, role or service
principal (e.g. ``aws:PrincipalOrgID``), ``aws:SourceIp`` (IPv4 ranges no broader than /8,
IPv6 no broader than /32; RFC 1918 ranges excluded), ``aws:SourceArn``, ``aws:SourceVpc``,
``aws:SourceVpce``, ``aws:SourceOwner``, ``aws:SourceAccount``,
``s3:x-amz-server-side-encryption-aws-kms-key-id``, ``aws:userid`` (outside the pattern
``AROLEID:*``), ``s3:DataAccessPointArn`` (in a bucket policy the access-point name may be a
wildcard when the account is fixed; in an access-point policy any value is public) and
``s3:DataAccessPointAccount``.

Operator semantics follow the IAM User Guide, "IAM JSON policy elements: Condition operators":
negated operators and ``...IfExists`` match when the key is absent; ``ForAllValues:`` matches
when the key is absent (empty set); ``Null`` tests presence only.

We model "the public" as an attacker who controls every request value except the restricting
keys above. For an ``Allow`` we ask whether the attacker can satisfy every condition; for a
``Deny`` whether the attacker can falsify at least one (escape it). Both answers are
:class:`Tri`: ``MAYBE`` for an operator or key Andon does not know.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from andon.exposure.globs import glob_match, has_wildcard
from andon.exposure.tri import Tri

# Keys that restrict the grant when bound to fixed values (lower-cased).
RESTRICTING_KEYS = frozenset(
    {
        "aws:sourceip",
        "aws:sourcearn",
        "aws:sourcevpc",
        "aws:sourcevpce",
        "aws:sourceowner",
        "aws:sourceaccount",
        "aws:sourceorgid",
        "aws:sourceorgpaths",
        "s3:x-amz-server-side-encryption-aws-kms-key-id",
        "aws:userid",
        "s3:dataaccesspointarn",
        "s3:dataaccesspointaccount",
        "aws:principalorgid",
        "aws:principalorgpaths",
        "aws:principalaccount",
        "aws:principalarn",
        "aws:principalservicename",
        "aws:principalisawsservice",
    }
)

# Keys the requester controls, or that do not narrow who may make the request (lower-cased).
# A condition on one of these never makes a grant non-public.
OPEN_KEYS = frozenset(
    {
        "aws:securetransport",
        "aws:referer",
        "aws:useragent",
        "aws:currenttime",
        "aws:epochtime",
        "aws:tokenissuetime",
        "aws:multifactorauthpresent",
        "aws:multifactorauthage",
        "aws:principaltype",
        "aws:requestedregion",
        "aws:username",
        "aws:viaawsservice",
        "aws:calledvia",
        "aws:calledviafirst",
        "aws:calledvialast",
        "aws:sourceidentity",
        "aws:federatedprovider",
        "aws:vpcsourceip",
        "aws:tagkeys",
        "aws:isMfaPresent".lower(),
        "aws:resourceaccount",
        "aws:resourceorgid",
        "aws:resourceorgpaths",
        "s3:resourceaccount",
        "s3:prefix",
        "s3:delimiter",
        "s3:max-keys",
        "s3:versionid",
        "s3:x-amz-acl",
        "s3:x-amz-content-sha256",
        "s3:x-amz-copy-source",
        "s3:x-amz-grant-full-control",
        "s3:x-amz-grant-read",
        "s3:x-amz-grant-read-acp",
        "s3:x-amz-grant-write",
        "s3:x-amz-grant-write-acp",
        "s3:x-amz-metadata-directive",
        "s3:x-amz-server-side-encryption",
        "s3:x-amz-server-side-encryption-customer-algorithm",
        "s3:x-amz-storage-class",
        "s3:x-amz-website-redirect-location",
        "s3:x-amz-object-ownership",
        "s3:authtype",
        "s3:signatureversion",
        "s3:signatureage",
        "s3:tlsversion",
        "s3:locationconstraint",
        "s3:accesspointnetworkorigin",
        "s3:object-lock-mode",
        "s3:object-lock-retain-until-date",
        "s3:object-lock-remaining-retention-days",
        "s3:object-lock-legal-hold",
        "s3:requestobjecttagkeys",
        "s3:if-match",
        "s3:if-none-match",
    }
)
# Tag-valued key families: the requester controls its own tags and the request's tags.
OPEN_KEY_PREFIXES = (
    "aws:principaltag/",
    "aws:requesttag/",
    "aws:resourcetag/",
    "s3:existingobjecttag/",
    "s3:requestobjecttag/",
    "s3:bucketTag/".lower(),
)

_BASE_OPERATORS = {
    # name (lower) → (family, negated)
    "stringequals": ("string", False),
    "stringnotequals": ("string", True),
    "stringequalsignorecase": ("string", False),
    "stringnotequalsignorecase": ("string", True),
    "stringlike": ("like", False),
    "stringnotlike": ("like", True),
    "numericequals": ("other", False),
    "numericnotequals": ("other", True),
    "numericlessthan": ("other", False),
    "numericlessthanequals": ("other", False),
    "numericgreaterthan": ("other", False),
    "numericgreaterthanequals": ("other", False),
    "dateequals": ("other", False),
    "datenotequals": ("other", True),
    "datelessthan": ("other", False),
    "datelessthanequals": ("other", False),
    "dategreaterthan": ("other", False),
    "dategreaterthanequals": ("other", False),
    "bool": ("bool", False),
    "binaryequals": ("string", False),
    "ipaddress": ("ip", False),
    "notipaddress": ("ip", True),
    "arnequals": ("like", False),
    "arnlike": ("like", False),
    "arnnotequals": ("like", True),
    "arnnotlike": ("like", True),
    "null": ("null", False),
}

_AP_KEYS = ("s3:dataaccesspointarn", "s3:dataaccesspointaccount")
_POLICY_VARIABLE = re.compile(r"\$\{(?![*?$]\})[^}]*\}")
_ROLE_SESSION_PATTERN = re.compile(r"^AROA[A-Z0-9]+:\*$")


@dataclass(frozen=True)
class Operator:
    name: str  # as written
    family: str  # string | like | ip | bool | null | other
    negated: bool
    if_exists: bool
    qualifier: str  # "" | "foranyvalue" | "forallvalues"


def parse_operator(name: str) -> Operator | None:
    """Parse ``ForAnyValue:StringLikeIfExists`` and friends; ``None`` when unknown."""
    raw = name
    qualifier = ""
    lower = name.lower()
    if ":" in lower:
        qualifier, lower = lower.split(":", 1)
        if qualifier not in ("foranyvalue", "forallvalues"):
            return None
    if_exists = lower.endswith("ifexists") and lower != "null"
    base = lower[: -len("ifexists")] if if_exists else lower
    spec = _BASE_OPERATORS.get(base)
    if spec is None or (if_exists and base == "null"):
        return None
    return Operator(raw, spec[0], spec[1], if_exists, qualifier)


def key_class(key: str, kind: PolicyKind | None = None) -> str:
    """``restricting``, ``open`` or ``unknown`` (a service profile may add its own keys)."""
    k = key.lower()
    if k in RESTRICTING_KEYS or (kind is not None and k in kind.restricting_keys):
        return "restricting"
    if k in OPEN_KEYS or k.startswith(OPEN_KEY_PREFIXES):
        return "open"
    if kind is not None and (k in kind.open_keys or k.startswith(kind.open_key_prefixes)):
        return "open"
    return "unknown"


def _values(raw: Any) -> list[str] | None:
    if isinstance(raw, str | bool | int | float):
        raw = [raw]
    if not isinstance(raw, list) or not raw:
        return None
    out = []
    for v in raw:
        if isinstance(v, bool):
            out.append("true" if v else "false")
        elif isinstance(v, str | int | float):
            out.append(str(v))
        else:
            return None
    return out


def _has_variable(value: str) -> bool:
    return _POLICY_VARIABLE.search(value) is not None


def _ip_is_broad(value: str) -> bool | None:
    """True when a CIDR is broader than AWS allows for a non-public grant; None if invalid."""
    try:
        net = ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return None
    # RFC 1918 ranges are all /8 or narrower, so they never count as broad.
    if net.version == 4:
        return net.prefixlen < 8
    return net.prefixlen < 32


@dataclass(frozen=True)
class PolicyKind:
    """Where a condition appears: the rules differ slightly for access-point policies."""

    access_point_policy: bool = False
    # For a bucket policy evaluated for requests through a given access point, the
    # access-point keys are known values rather than attacker-controlled ones.
    via_access_point_arn: str = ""
    via_access_point_account: str = ""
    # A service's own keys (lower-case), from its profile in :mod:`andon.exposure.services`.
    restricting_keys: frozenset[str] = frozenset()
    open_keys: frozenset[str] = frozenset()
    open_key_prefixes: tuple[str, ...] = ()
    # Bool keys that pin the caller when true (EFS elasticfilesystem:AccessedViaMountTarget).
    restricting_bools: frozenset[str] = frozenset()
    # Keys whose value is a known fact of the resource (lambda:FunctionUrlAuthType = NONE).
    known_values: tuple[tuple[str, str], ...] = ()

    def known(self, key: str) -> str | None:
        k = key.lower()
        return next((v for name, v in self.known_values if name == k), None)


def _value_is_fixed(key: str, op: Operator, value: str, kind: PolicyKind) -> tuple[bool, str]:
    """Whether one value of a restricting key pins the requester down; with a short why."""
    k = key.lower()
    if _has_variable(value):
        return False, f"value {value!r} contains a policy variable"
    if op.family == "ip":
        broad = _ip_is_broad(value)
        if broad is None:
            return False, f"{value!r} is not an IP range"
        if broad:
            return False, f"{value} is broader than /8 (IPv4) or /32 (IPv6)"
        return True, ""
    wildcard = op.family == "like" and has_wildcard(value)
    if k == "aws:userid" and wildcard:
        if _ROLE_SESSION_PATTERN.match(value):
            return True, ""
        return False, f"value {value!r} has a wildcard"
    if k == "s3:dataaccesspointarn":
        if kind.access_point_policy:
            return False, "s3:DataAccessPointArn in an access-point policy is public"
        if wildcard:
            m = re.match(r"^arn:aws[\w-]*:s3:[\w-]+:(\d{12}):accesspoint/.*$", value)
            if m and not has_wildcard(value.split(":accesspoint/")[0]):
                return True, ""
            return False, f"value {value!r} has a wildcard outside the access-point name"
        return True, ""
    if wildcard:
        return False, f"value {value!r} has a wildcard"
    return True, ""


def _ap_key_holds(key: str, op: Operator, values: list[str], kind: PolicyKind) -> Tri | None:
    """For a bucket policy evaluated through a known access point: does the condition hold?"""
    k = key.lower()
    if not kind.via_access_point_arn or k not in (
        "s3:dataaccesspointarn",
        "s3:dataaccesspointaccount",
    ):
        return None
    actual = (
        kind.via_access_point_arn if k == "s3:dataaccesspointarn" else kind.via_access_point_account
    )
    if op.family == "like":
        hit = any(glob_match(v, actual) for v in values)
    elif op.family == "string":
        hit = any(
            v.lower() == actual.lower() if "ignorecase" in op.name.lower() else v == actual
            for v in values
        )
    elif op.family == "null":
        return Tri.of(values[0].lower() == "false")
    else:
        return Tri.MAYBE
    return Tri.of(hit != op.negated)


def holds_for(op: Operator, values: list[str], actual: str) -> Tri:
    """Does one condition hold for a request whose (single-valued) key is ``actual``?

    The key is present, so ``...IfExists`` and the set qualifiers behave like the base
    operator (IAM User Guide, "Condition operators" and "set operators").
    """
    if op.family == "like":
        hit = any(glob_match(v, actual, ignore_case=False) for v in values)
    elif op.family in ("string", "bool"):
        ignore = "ignorecase" in op.name.lower() or op.family == "bool"
        hit = any(v.lower() == actual.lower() if ignore else v == actual for v in values)
    elif op.family == "null":
        return Tri.of(values[0].lower() == "false")
    else:
        return Tri.MAYBE
    return Tri.of(hit != op.negated)


def _known_holds(key: str, op: Operator, values: list[str], kind: PolicyKind) -> Tri | None:
    actual = kind.known(key)
    return None if actual is None else holds_for(op, values, actual)


def _restricting_bool(key: str, kind: PolicyKind) -> bool:
    k = key.lower()
    return k == "aws:principalisawsservice" or k in kind.restricting_bools


@dataclass(frozen=True)
class ConditionResult:
    """``value``: for an Allow, can the public satisfy the block; for a Deny, can it escape."""

    value: Tri
    reasons: tuple[str, ...]


def _one_allow(op: Operator, key: str, values: list[str], kind: PolicyKind) -> tuple[Tri, str]:
    """Can the public satisfy one (operator, key, values) condition of an Allow?"""
    ap = _ap_key_holds(key, op, values, kind)
    if ap is not None:
        return ap, "" if ap else f"{key} does not match the access point"
    known = _known_holds(key, op, values, kind)
    if known is not None:
        return known, "" if known else f"limited by {key}, which is {kind.known(key)} here"
    cls = key_class(key, kind)
    if cls == "unknown":
        return Tri.MAYBE, f"condition key {key} is not known to Andon"
    if cls == "open":
        return Tri.YES, ""
    if op.family == "null":
        return Tri.YES, ""  # presence alone never pins a value
    if op.family == "bool":
        if _restricting_bool(key, kind) and values == ["true"]:
            if key.lower() == "aws:principalisawsservice":
                return Tri.NO, f"{op.name} {key} = true limits it to AWS service principals"
            return Tri.NO, f"limited to callers with {key} = true"
        return Tri.YES, ""
    if op.family == "other":
        return Tri.YES, ""
    if op.negated:
        if op.family == "ip" and _covers_all_ips(values):
            return Tri.NO, f"{op.name} {key} excludes every address"
        return Tri.YES, f"{op.name} {key} admits every other value"
    # No restricting key is always present: even aws:SourceIp is absent from requests made
    # through a VPC endpoint (IAM User Guide, "AWS global condition context keys" →
    # aws:SourceIp → Availability), and anyone can send a request through their own endpoint.
    if op.if_exists:
        return Tri.YES, f"{op.name} {key} also matches requests without {key}"
    if op.qualifier == "forallvalues":
        return Tri.YES, f"{op.name} {key} also matches requests without {key}"
    for v in values:
        fixed, why = _value_is_fixed(key, op, v, kind)
        if not fixed:
            return Tri.YES, f"{op.name} {key} does not limit the caller: {why}"
    return Tri.NO, f"limited to fixed {key} ({', '.join(values)})"


def _covers_all_ips(values: list[str]) -> bool:
    nets = []
    for v in values:
        try:
            nets.append(ipaddress.ip_network(v.strip(), strict=False))
        except ValueError:
            return False
    return any(n.version == 4 and n.prefixlen == 0 for n in nets) and any(
        n.version == 6 and n.prefixlen == 0 for n in nets
    )


def _one_escape(op: Operator, key: str, values: list[str], kind: PolicyKind) -> tuple[Tri, str]:
    """Can the public make one condition of a Deny false (and so escape the Deny)?"""
    ap = _ap_key_holds(key, op, values, kind)
    if ap is not None:
        return ~ap, ""
    known = _known_holds(key, op, values, kind)
    if known is not None:
        return ~known, ""
    cls = key_class(key, kind)
    if cls == "unknown":
        return Tri.MAYBE, f"condition key {key} is not known to Andon"
    if cls == "open":
        return Tri.YES, ""
    if op.family in ("null", "other", "bool"):
        if op.family == "bool" and _restricting_bool(key, kind) and values == ["false"]:
            if key.lower() == "aws:principalisawsservice":
                return Tri.NO, f"only AWS service principals escape the Deny ({key})"
            return Tri.NO, f"only callers with {key} = true escape the Deny"
        return Tri.YES, ""
    if not op.negated:
        # Deny when key equals/likes values: the public simply uses another value.
        return Tri.YES, ""
    if op.qualifier == "foranyvalue":
        # ForAnyValue is false for a request without the key (IAM User Guide, "Creating a
        # condition with multiple keys or values"): the public escapes by omitting it.
        return Tri.YES, f"{op.name} {key} is false for requests without {key}"
    # Deny when key is NOT one of the values: escaping needs exactly those values.
    for v in values:
        fixed, why = _value_is_fixed(key, op, v, kind)
        if not fixed:
            return Tri.YES, f"the Deny's {key} exception does not pin the caller: {why}"
    return Tri.NO, f"the Deny applies unless {key} is one of {', '.join(values)}"


def evaluate_condition(block: Any, *, deny: bool, kind: PolicyKind) -> ConditionResult:
    """Evaluate a statement's whole ``Condition`` block for the public.

    Allow: conditions are ANDed, so one restricting condition makes the grant non-public.
    Deny: the public escapes when it can falsify at least one condition.
    """
    if block is None:
        return ConditionResult(Tri.YES if not deny else Tri.NO, ())
    if not isinstance(block, Mapping) or not block:
        if isinstance(block, Mapping):
            return ConditionResult(Tri.YES if not deny else Tri.NO, ())
        return ConditionResult(Tri.MAYBE, ("the Condition element is malformed",))
    results: list[tuple[Tri, str]] = []
    for op_name, body in block.items():
        op = parse_operator(str(op_name))
        if op is None:
            results.append((Tri.MAYBE, f"condition operator {op_name} is not known to Andon"))
            continue
        if not isinstance(body, Mapping) or not body:
            results.append((Tri.MAYBE, f"condition {op_name} is malformed"))
            continue
        for key, raw in body.items():
            values = _values(raw)
            if values is None:
                results.append((Tri.MAYBE, f"condition {op_name} {key} has malformed values"))
                continue
            one = _one_escape if deny else _one_allow
            results.append(one(op, str(key), values, kind))
    if deny:
        value = Tri.NO
        for r, _ in results:
            value = value | r
        if value == Tri.YES:
            return ConditionResult(value, tuple(w for r, w in results if w and r == Tri.YES))
        return ConditionResult(value, tuple(w for r, w in results if w and r != Tri.YES))
    value = Tri.YES
    for r, _ in results:
        value = value & r
    if value == Tri.YES:
        return ConditionResult(value, tuple(w for _, w in results if w))
    return ConditionResult(value, tuple(w for r, w in results if w and r != Tri.YES))


@dataclass(frozen=True)
class Clause:
    """One (operator, key, values) test of a Condition block; ``None`` parts are malformed."""

    op_name: str
    op: Operator | None
    key: str
    values: tuple[str, ...] | None


def clauses(block: Any) -> tuple[Clause, ...] | None:
    """The clauses of a Condition block (``()`` when absent); ``None`` when it is malformed."""
    if block is None:
        return ()
    if not isinstance(block, Mapping):
        return None
    out: list[Clause] = []
    for op_name, body in block.items():
        op = parse_operator(str(op_name))
        if not isinstance(body, Mapping) or not body:
            out.append(Clause(str(op_name), None, "", None))
            continue
        for key, raw in body.items():
            values = _values(raw)
            vals = None if values is None else tuple(values)
            out.append(Clause(str(op_name), op, str(key), vals))
    return tuple(out)
