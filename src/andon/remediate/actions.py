"""The action table: every remediation action by id, and which proposer handles which rule.

Rules without an entry in :data:`PROPOSERS` (cross-account grants, API Gateway methods without
authorization, Lambda function policies) have no automatic fix: the plan lists them as
skipped with the reason, and ``andon explain RULE`` says how to fix them by hand.
"""

from __future__ import annotations

from collections.abc import Mapping

from andon.core.errors import NotFound
from andon.remediate import ec2, lambda_, policies, rds, s3
from andon.remediate.model import Action, Propose

ACTIONS: Mapping[str, Action] = {
    a.id: a for a in (*s3.ACTIONS, *rds.ACTIONS, *ec2.ACTIONS, *lambda_.ACTIONS, *policies.ACTIONS)
}

PROPOSERS: Mapping[str, Propose] = {
    **{
        rule: s3.propose
        for rule in (
            "s3.bucket.public_read",
            "s3.bucket.public_list",
            "s3.bucket.public_write",
            "s3.bucket.public_acl_read",
            "s3.bucket.public_acl_change",
            "s3.bucket.public_website",
            "s3.bucket.latent_exposure",
            "s3.account.bpa_off",
        )
    },
    "rds.database.public": rds.propose,
    "rds.database.latent_public": rds.propose,
    "redshift.cluster.public": rds.propose,
    "redshift.cluster.latent_public": rds.propose,
    "rds.snapshot.public": rds.propose,
    "ec2.snapshot.public": ec2.propose,
    "ec2.image.public": ec2.propose,
    "ec2.instance.public_data_port": ec2.propose,
    "lambda.function_url.public": lambda_.propose,
    **{
        f"{prefix}.public_policy": policies.propose
        for prefix in (
            "sqs.queue",
            "sns.topic",
            "kms.key",
            "secretsmanager.secret",
            "ecr.repository",
            "efs.filesystem",
            "glacier.vault",
            "backup.vault",
            "dynamodb.table",
        )
    },
    "opensearch.domain.public": policies.propose,
}
"""Rule id → the function proposing its fix."""


def action(action_id: str) -> Action:
    """The action with this id; :class:`NotFound` otherwise."""
    try:
        return ACTIONS[action_id]
    except KeyError:
        raise NotFound(f"no remediation action {action_id!r}") from None


def fixable(rule_id: str) -> bool:
    """Whether Andon can propose a fix for findings of this rule."""
    return rule_id in PROPOSERS
