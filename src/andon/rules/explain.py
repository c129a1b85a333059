"""Markdown rendered from rule metadata: ``andon explain RULE_ID`` and ``docs/rules.md``.

Both texts come from :class:`~andon.rules.base.RuleMeta` only, so the documentation cannot
drift from the rules; ``tests/rules/test_docs.py`` fails when ``docs/rules.md`` is stale.
"""

from __future__ import annotations

from collections.abc import Iterable

from andon.rules.base import DEFAULT_EXEMPTION_TAG, Rule

GENERATED_NOTE = (
    "<!-- Generated from the rule metadata in src/andon/rules/ by "
    "`python -m andon.rules.docs > docs/rules.md`. Do not edit by hand. -->"
)


def _h(level: int, text: str) -> str:
    return f"{'#' * level} {text}"


def _code(lang: str, lines: Iterable[str]) -> str:
    body = "\n".join(lines).rstrip("\n")
    return f"```{lang}\n{body}\n```"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _exception_text(rule: Rule, tag: str) -> str:
    meta = rule.meta
    if not meta.exemptible:
        return meta.exemption_note or "This rule has no exception: the exemption tag is ignored."
    parts = [
        f"Tag the resource `{tag}=<reason>` (a short reason is required: an empty value does "
        "not count). Andon still reports the finding, with status `exempt` and your reason, "
        "so every exception stays visible in reports and can be reviewed."
    ]
    if meta.exemption_note:
        parts.append(meta.exemption_note)
    if "storage.bucket" in meta.resource_kinds:
        parts.append(
            "With the AWS CLI (`put-bucket-tagging` replaces the whole tag set, so repeat the "
            "bucket's existing tags):\n\n"
            + _code(
                "bash",
                [
                    "aws s3api get-bucket-tagging --bucket <bucket>",
                    "aws s3api put-bucket-tagging --bucket <bucket> --tagging "
                    f"""'{{"TagSet": [{{"Key": "{tag}", "Value": "<reason>"}}]}}'""",
                ],
            )
        )
    return "\n\n".join(parts)


def explain(rule: Rule, *, exemption_tag: str = DEFAULT_EXEMPTION_TAG, level: int = 1) -> str:
    """The Markdown text of one rule: what it means, why it matters, how to check, how to fix
    (console, CLI, Terraform), how to declare an intended exception, and references.

    ``level`` is the heading level of the title (sections are one level deeper).
    """
    meta = rule.meta
    sub, subsub = level + 1, level + 2
    kinds = ", ".join(f"`{k}`" for k in meta.resource_kinds)
    exception = f"tag `{exemption_tag}=<reason>`" if meta.exemptible else "none"
    out = [
        _h(level, f"`{meta.id}`: {meta.title}"),
        "\n".join(
            [
                "| | |",
                "|---|---|",
                f"| Severity | **{meta.severity.value}** |",
                f"| Resource kinds | {kinds} ({meta.cloud}) |",
                f"| Categories | {', '.join(meta.categories) or '-'} |",
                f"| Intended exception | {exception} |",
            ]
        ),
        _h(sub, "What it means"),
        meta.description,
        _h(sub, "Why it matters"),
        meta.risk,
    ]
    if meta.verify:
        out += [_h(sub, "How to check"), _code("bash", meta.verify)]
    fix = meta.remediation
    out += [
        _h(sub, "How to fix"),
        fix.summary,
        _h(subsub, "Console"),
        "\n".join(f"{i}. {step}" for i, step in enumerate(fix.console, 1)),
        _h(subsub, "AWS CLI"),
        _code("bash", fix.cli),
        _h(subsub, "Terraform"),
        _code("hcl", [fix.terraform]),
        _h(sub, "Intended exceptions"),
        _exception_text(rule, exemption_tag),
    ]
    if meta.compliance:
        out += [_h(sub, "Compliance"), "\n".join(f"- {c}" for c in meta.compliance)]
    out += [_h(sub, "References"), "\n".join(f"- <{url}>" for url in meta.references)]
    text = "\n\n".join(out) + "\n"
    # The metadata names the default tag; show the tag this installation actually reads.
    return text.replace(DEFAULT_EXEMPTION_TAG, exemption_tag)


def render_docs(rules: Iterable[Rule]) -> str:
    """``docs/rules.md``: a table of every rule, then one section per rule."""
    ordered = sorted(rules, key=lambda r: r.id)
    table = [
        "| Rule | Severity | Resource kinds | Title |",
        "|---|---|---|---|",
        *(
            f"| [`{r.id}`](#{r.id.replace('.', '')}-{_anchor(r.meta.title)}) "
            f"| {r.meta.severity.value} | {', '.join(f'`{k}`' for k in r.meta.resource_kinds)} "
            f"| {_cell(r.meta.title)} |"
            for r in ordered
        ),
    ]
    head = [
        "# Andon rules",
        GENERATED_NOTE,
        f"Andon ships {len(ordered)} rules. `andon explain <rule-id>` prints the same text "
        "as a section below. A bucket rule fires only on the exposure that is in force now "
        "(after every Block Public Access setting); `s3.bucket.latent_exposure` reports what "
        "one switched-off setting would expose.",
        "\n".join(table),
    ]
    sections = [explain(r, level=2).rstrip("\n") for r in ordered]
    return "\n\n".join(head + sections) + "\n"


def _anchor(title: str) -> str:
    """GitHub's heading anchor for the part of a rule heading after the id."""
    keep = "".join(c for c in title.lower() if c.isalnum() or c in " -_")
    return keep.replace(" ", "-")
