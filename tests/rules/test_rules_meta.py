"""Every rule carries complete, usable metadata."""

from __future__ import annotations

import re

import pytest

from andon.rules import Rule, default_registry

RULES = default_registry().all()
ids = [r.id for r in RULES]


@pytest.mark.parametrize("rule", RULES, ids=ids)
def test_metadata_is_complete(rule: Rule) -> None:
    m = rule.meta
    for name in ("title", "risk", "description"):
        assert len(getattr(m, name).strip()) > 20, name
    fix = m.remediation
    assert fix.summary.strip()
    assert fix.console and all(step.strip() for step in fix.console)
    assert fix.cli and any(c.startswith("aws ") for c in fix.cli)
    assert all(c.startswith(("aws ", "# ")) for c in fix.cli)
    assert 'resource "aws_' in fix.terraform
    assert m.references and all(u.startswith("https://docs.aws.amazon.com/") for u in m.references)
    assert len(set(m.references)) == len(m.references)
    assert m.verify and all(c.startswith(("aws ", "# ")) for c in m.verify)
    assert m.categories
    assert m.exemption_note.strip()
    assert m.cloud == "aws"


@pytest.mark.parametrize("rule", RULES, ids=ids)
def test_cli_uses_placeholders_not_real_names(rule: Rule) -> None:
    text = "\n".join((*rule.meta.remediation.cli, *rule.meta.verify))
    assert "<bucket>" in text or "<account-id>" in text
    assert not re.search(r"\b\d{12}\b", text)  # no real account ids


@pytest.mark.parametrize("rule", RULES, ids=ids)
def test_prose_placeholders_are_in_code_spans(rule: Rule) -> None:
    """A bare <bucket> in Markdown prose would render as an unknown HTML tag and vanish."""
    m = rule.meta
    prose = [m.risk, m.description, m.remediation.summary, m.exemption_note, *m.remediation.console]
    for text in prose:
        outside = re.sub(r"`[^`]*`", "", text)
        assert not re.search(r"<[a-z][^>]*>", outside), text


def test_titles_are_unique() -> None:
    titles = [r.meta.title for r in RULES]
    assert len(set(titles)) == len(titles)


def test_compliance_mappings() -> None:
    registry = default_registry()
    bpa = registry.get("s3.account.bpa_off").meta.compliance_map
    assert bpa["CIS AWS Foundations Benchmark v3.0.0"] == ("2.1.4",)
    assert bpa["CIS AWS Foundations Benchmark v1.4.0"] == ("2.1.5",)
    read = registry.get("s3.bucket.public_read").meta.compliance_map
    assert any("APPI" in k and "Art. 26" in v for k, v in read.items())
    for rule in RULES:
        for c in rule.meta.compliance:
            assert c.framework and c.control
            assert str(c).startswith(c.framework)


def test_exemptibility_policy() -> None:
    registry = default_registry()
    never = {"s3.bucket.public_write", "s3.bucket.public_acl_change", "s3.account.bpa_off"}
    for rule in RULES:
        assert rule.meta.exemptible is (rule.id not in never), rule.id
    assert "2.15 million" in registry.get("s3.bucket.latent_exposure").meta.risk
