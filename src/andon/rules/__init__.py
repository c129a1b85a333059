"""Rules: what Andon reports, with the metadata to explain and fix it.

Pure code: no I/O, no SDK imports, no global registry. Typical use::

    from andon.rules import default_registry, evaluate

    registry = default_registry()
    rules = registry.select(["s3.*"], exclude=["s3.bucket.public_acl_read"])
    findings = evaluate(rules, resource, exposure, exemption_tag=ctx.exemption_tag)
    print(explain(registry.get("s3.bucket.public_read")))
"""

from andon.rules.base import (
    DEFAULT_EXEMPTION_TAG,
    Compliance,
    Evidence,
    Matcher,
    Registry,
    Remediation,
    Rule,
    RuleMeta,
    evaluate,
    exemption_reason,
)
from andon.rules.catalog import BUILTIN, default_registry
from andon.rules.explain import explain, render_docs

__all__ = [
    "BUILTIN",
    "DEFAULT_EXEMPTION_TAG",
    "Compliance",
    "Evidence",
    "Matcher",
    "Registry",
    "Remediation",
    "Rule",
    "RuleMeta",
    "default_registry",
    "evaluate",
    "exemption_reason",
    "explain",
    "render_docs",
]
