"""explain() and the generated docs/rules.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from andon.rules import Registry, default_registry, explain, render_docs
from andon.rules.docs import main

DOCS = Path(__file__).resolve().parents[2] / "docs" / "rules.md"


def test_docs_rules_md_is_up_to_date() -> None:
    expected = render_docs(default_registry().all())
    assert DOCS.read_text(encoding="utf-8") == expected, (
        "docs/rules.md is stale: run `.venv/bin/python -m andon.rules.docs > docs/rules.md`"
    )


def test_docs_check_mode(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--check", str(DOCS)]) == 0
    stale = tmp_path / "rules.md"
    stale.write_text("# old\n", encoding="utf-8")
    assert main(["--check", str(stale)]) == 1
    assert "out of date" in capsys.readouterr().err
    assert main(["--check", str(tmp_path / "missing.md")]) == 1


def test_docs_main_prints_the_document(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    assert capsys.readouterr().out == render_docs(default_registry().all())


def test_docs_have_a_table_row_and_a_section_per_rule(registry: Registry) -> None:
    text = render_docs(registry.all())
    assert text.startswith("# Andon rules\n")
    assert text.endswith("\n") and not text.endswith("\n\n")
    for rule in registry.all():
        assert f"| [`{rule.id}`](#" in text
        assert f"\n## `{rule.id}`: {rule.meta.title}\n" in text
    assert text.count("\n## ") == len(registry)


def test_docs_order_does_not_depend_on_input_order(registry: Registry) -> None:
    rules = registry.all()
    assert render_docs(rules) == render_docs(list(reversed(rules)))


def test_explain_has_every_section(registry: Registry) -> None:
    rule = registry.get("s3.bucket.public_read")
    text = explain(rule)
    assert text.startswith(f"# `{rule.id}`: {rule.meta.title}\n")
    for heading in (
        "## What it means",
        "## Why it matters",
        "## How to check",
        "## How to fix",
        "### Console",
        "### AWS CLI",
        "### Terraform",
        "## Intended exceptions",
        "## Compliance",
        "## References",
    ):
        assert f"\n{heading}\n" in text, heading
    assert rule.meta.risk in text
    assert rule.meta.remediation.terraform.strip() in text
    for command in rule.meta.remediation.cli:
        assert command in text
    for url in rule.meta.references:
        assert f"<{url}>" in text
    assert "andon:public=<reason>" in text
    assert text.count("```") % 2 == 0


def test_explain_non_exemptible_and_custom_tag(registry: Registry) -> None:
    write = explain(registry.get("s3.bucket.public_write"))
    assert "| Intended exception | none |" in write
    assert "put-bucket-tagging" not in write
    custom = explain(registry.get("s3.bucket.public_read"), exemption_tag="corp:public")
    assert "corp:public=<reason>" in custom
    assert "andon:public" not in custom


def test_explain_heading_level(registry: Registry) -> None:
    text = explain(registry.get("s3.account.bpa_off"), level=3)
    assert text.startswith("### `s3.account.bpa_off`")
    assert "\n#### What it means\n" in text
    assert "\n##### Console\n" in text
