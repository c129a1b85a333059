"""Rules: metadata, the rule type, the registry and the evaluation loop.

A rule is a small predicate over ``(Resource, Exposure)`` plus rich, frozen metadata
(:class:`RuleMeta`) that drives ``andon explain``, ``docs/rules.md`` and compliance mappings.
Everything here is pure: no I/O, no SDK imports, no module-level mutable state.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase
from typing import Any

from andon.core.errors import NotFound
from andon.core.model import Exposure, Finding, Resource, Severity, Status

RULE_ID = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")
DEFAULT_EXEMPTION_TAG = "andon:public"

Exempter = Callable[[Resource, str], str]
"""``(resource, rule id) -> exemption text`` ("" when the rule's finding is not exempt)."""
Evidence = Mapping[str, Any]
Matcher = Callable[[Resource, Exposure], Evidence | None]
"""Returns the evidence (a small JSON-serializable mapping) when the rule matches, else None."""


@dataclass(frozen=True)
class Remediation:
    """How to fix a finding, in four forms.

    ``summary`` is the one-paragraph text copied into :attr:`Finding.remediation`; ``console``
    lists steps in the AWS console; ``cli`` lists commands with placeholders (``<bucket>``,
    ``<account-id>``); ``terraform`` is an HCL snippet.
    """

    summary: str
    console: tuple[str, ...]
    cli: tuple[str, ...]
    terraform: str


@dataclass(frozen=True)
class Compliance:
    """One requirement of a framework that a rule helps to meet."""

    framework: str  # e.g. "CIS AWS Foundations Benchmark v3.0.0"
    control: str  # e.g. "2.1.4"
    note: str = ""

    def __str__(self) -> str:
        text = f"{self.framework} {self.control}"
        return f"{text} ({self.note})" if self.note else text


@dataclass(frozen=True)
class RuleMeta:
    """Everything a person needs to understand, check and fix what a rule reports.

    ``risk`` says why it matters, concretely, to the engineer who made the change;
    ``description`` says exactly what the rule matches; ``verify`` lists commands that confirm
    the finding by hand; ``exemptible`` says whether the exemption tag
    (``andon:public=<reason>``) turns a finding into ``EXEMPT``; ``exemption_note`` explains
    the exception policy in words (why there is none, or what an intended case looks like).
    """

    id: str
    title: str
    severity: Severity
    resource_kinds: tuple[str, ...]
    risk: str
    description: str
    remediation: Remediation
    references: tuple[str, ...]
    verify: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    compliance: tuple[Compliance, ...] = ()
    cloud: str = "aws"
    exemptible: bool = True
    exemption_note: str = ""

    def __post_init__(self) -> None:
        if not RULE_ID.match(self.id):
            raise ValueError(f"rule id {self.id!r} must be dotted lower-case words")
        if not isinstance(self.severity, Severity):
            raise TypeError(f"rule {self.id}: severity must be a Severity")
        if not self.resource_kinds:
            raise ValueError(f"rule {self.id}: at least one resource kind is needed")

    @property
    def compliance_map(self) -> dict[str, tuple[str, ...]]:
        """Framework → controls, in declaration order."""
        out: dict[str, tuple[str, ...]] = {}
        for c in self.compliance:
            out[c.framework] = (*out.get(c.framework, ()), c.control)
        return out


@dataclass(frozen=True)
class Rule:
    """A rule: metadata plus a pure matcher."""

    meta: RuleMeta
    matcher: Matcher = field(repr=False, compare=False)

    @property
    def id(self) -> str:
        return self.meta.id

    def applies_to(self, resource: Resource) -> bool:
        """True when the resource is of a kind (and cloud) this rule looks at."""
        return (
            resource.kind in self.meta.resource_kinds and resource.cloud.lower() == self.meta.cloud
        )

    def check(self, resource: Resource, exposure: Exposure) -> Finding | None:
        """The finding for this resource, or None when the rule does not match."""
        if not self.applies_to(resource):
            return None
        evidence = self.matcher(resource, exposure)
        if evidence is None:
            return None
        return Finding(
            rule_id=self.meta.id,
            title=self.meta.title,
            severity=self.meta.severity,
            resource=resource.ref(),
            exposure=exposure,
            evidence=dict(evidence),
            remediation=self.meta.remediation.summary,
        )


def exemption_reason(resource: Resource, tag: str = DEFAULT_EXEMPTION_TAG) -> str:
    """The reason given in the exemption tag, or "" when the resource has none.

    A tag with an empty value does not exempt anything: an exception needs a reason.
    """
    return str(resource.tags.get(tag, "")).strip()


def evaluate(
    rules: Iterable[Rule],
    resource: Resource,
    exposure: Exposure,
    *,
    exemption_tag: str = DEFAULT_EXEMPTION_TAG,
    exempter: Exempter | None = None,
) -> list[Finding]:
    """Run ``rules`` on one resource; findings of exemptible rules on a resource tagged
    ``<exemption_tag>=<reason>`` come back with status ``EXEMPT`` and that reason.

    ``exempter`` (when given, instead of the tag alone) says per rule whether the resource is
    exempt: it returns the exemption's text, or "" (owners, expiries, recorded and configured
    exemptions: :class:`andon.remediate.exemptions.Exempter`)."""
    tag_reason = exemption_reason(resource, exemption_tag) if exempter is None else ""
    findings: list[Finding] = []
    for rule in rules:
        finding = rule.check(resource, exposure)
        if finding is None:
            continue
        reason = tag_reason if exempter is None else exempter(resource, rule.id)
        if reason and rule.meta.exemptible:
            finding = replace(finding, status=Status.EXEMPT, exemption=reason)
        findings.append(finding)
    return findings


class Registry:
    """A small registry of rules, keyed by id.

    ``all()`` and ``select()`` return rules sorted by id, whatever the registration order.
    Build one with :func:`andon.rules.default_registry`; there is no global instance.
    """

    def __init__(self, rules: Iterable[Rule] = ()) -> None:
        self._rules: dict[str, Rule] = {}
        for rule in rules:
            self.register(rule)

    def register(self, rule: Rule) -> Rule:
        """Add a rule; a second rule with the same id is a programming error (ValueError)."""
        if rule.id in self._rules:
            raise ValueError(f"rule {rule.id!r} is already registered")
        self._rules[rule.id] = rule
        return rule

    def get(self, rule_id: str) -> Rule:
        """The rule with this id; :class:`andon.core.errors.NotFound` (with suggestions) if none."""
        try:
            return self._rules[rule_id]
        except KeyError:
            close = difflib.get_close_matches(rule_id, list(self._rules), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise NotFound(f"no rule {rule_id!r}{hint}") from None

    def all(self) -> list[Rule]:
        return [self._rules[k] for k in sorted(self._rules)]

    def ids(self) -> list[str]:
        return sorted(self._rules)

    def select(self, patterns: Iterable[str] = (), *, exclude: Iterable[str] = ()) -> list[Rule]:
        """Rules whose id matches any of ``patterns`` (fnmatch, case-sensitive) and none of
        ``exclude``. No patterns selects every rule. A pattern that matches no rule raises
        :class:`NotFound`, so a typo on the command line is an error, not an empty scan."""
        include = list(patterns)
        ids = self.ids()
        for pattern in include:
            if not any(fnmatchcase(i, pattern) for i in ids):
                self.get(pattern)  # raises NotFound with suggestions
        drop = list(exclude)
        return [
            self._rules[i]
            for i in ids
            if (not include or any(fnmatchcase(i, p) for p in include))
            and not any(fnmatchcase(i, p) for p in drop)
        ]

    def for_kind(self, kind: str) -> list[Rule]:
        """Rules that look at resources of this canonical kind."""
        return [r for r in self.all() if kind in r.meta.resource_kinds]

    def resource_kinds(self) -> list[str]:
        """Every resource kind some rule needs, sorted: what a collector must gather."""
        return sorted({k for r in self._rules.values() for k in r.meta.resource_kinds})

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self._rules

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.all())

    def __len__(self) -> int:
        return len(self._rules)

    def __repr__(self) -> str:
        return f"Registry({len(self)} rules)"
