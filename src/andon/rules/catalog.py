"""The built-in rule set."""

from __future__ import annotations

from andon.rules import aws_network, aws_services, aws_shares, s3, s3_account
from andon.rules.base import Registry, Rule

BUILTIN: tuple[Rule, ...] = (
    *s3.RULES,
    *s3_account.RULES,
    *aws_services.RULES,
    *aws_network.RULES,
    *aws_shares.RULES,
)


def default_registry() -> Registry:
    """A fresh registry holding every built-in rule (a new object on each call)."""
    return Registry(BUILTIN)
