"""Rules for account-wide S3 settings (resource kind ``account.settings``, cloud ``aws``).

The account-settings resource carries ``attributes["public_access_block"]``:

* a mapping of the four settings (``BlockPublicAcls``, ``IgnorePublicAcls``,
  ``BlockPublicPolicy``, ``RestrictPublicBuckets``; snake_case keys are accepted too);
* ``None`` when the account has no configuration at all (every setting off);
* ``{"unknown": reason}`` when it could not be read: no finding, the gap is reported elsewhere.

A resource without the key was not collected for this rule and gets no finding either.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from andon.core.model import Exposure, Resource, Severity
from andon.rules.base import Compliance, Evidence, Remediation, Rule, RuleMeta
from andon.rules.s3 import FSBP, REF_BPA, REF_SECURITYHUB

ACCOUNT = ("account.settings",)
SETTINGS: tuple[tuple[str, str], ...] = (
    ("BlockPublicAcls", "block_public_acls"),
    ("IgnorePublicAcls", "ignore_public_acls"),
    ("BlockPublicPolicy", "block_public_policy"),
    ("RestrictPublicBuckets", "restrict_public_buckets"),
)

REF_BPA_ACCOUNT = (
    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/"
    "configuring-block-public-access-account.html"
)
REF_PUT_ACCOUNT_BPA = (
    "https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_PutPublicAccessBlock.html"
)
REF_CONFIG_ACCOUNT = (
    "https://docs.aws.amazon.com/config/latest/developerguide/"
    "s3-account-level-public-access-blocks-periodic.html"
)

CLI_BPA_ACCOUNT = (
    "aws s3control put-public-access-block --account-id <account-id> "
    "--public-access-block-configuration "
    "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true"
)
TF_BPA_ACCOUNT = """\
resource "aws_s3_account_public_access_block" "this" {
  block_public_acls       = true
  ignore_public_acls      = true
  block_public_policy     = true
  restrict_public_buckets = true
}
"""


def _is_unknown(value: Any) -> bool:
    return isinstance(value, Mapping) and set(value) == {"unknown"}


def _setting(config: Mapping[str, Any], aws_name: str, snake_name: str) -> bool:
    value = config.get(aws_name, config.get(snake_name, False))
    return value is True


def bpa_off(resource: Resource, exposure: Exposure) -> Evidence | None:
    """Matches when any of the four account-level settings is off or absent."""
    if "public_access_block" not in resource.attributes:
        return None
    config = resource.attributes["public_access_block"]
    if _is_unknown(config):
        return None
    if config is None:
        return {"public_access_block": None, "off": [aws for aws, _ in SETTINGS]}
    if not isinstance(config, Mapping):
        return None  # malformed attributes are the normalizer's bug, not a finding
    off = [aws for aws, snake in SETTINGS if not _setting(config, aws, snake)]
    if not off:
        return None
    return {
        "public_access_block": {aws: _setting(config, aws, snake) for aws, snake in SETTINGS},
        "off": off,
    }


BPA_OFF = Rule(
    RuleMeta(
        id="s3.account.bpa_off",
        title="Account-level S3 Block Public Access is not fully on",
        severity=Severity.MEDIUM,
        resource_kinds=ACCOUNT,
        risk=(
            "Account-level Block Public Access is the one switch that keeps every bucket in "
            "the account (including the ones a script, a vendor tool or a Terraform module "
            "creates tomorrow) from becoming public by mistake. With a setting off, a single "
            "PutBucketPolicy or PutBucketAcl is enough to expose data, and stored public "
            "grants on existing buckets may already be live. Each setting closes a different "
            "door: BlockPublicAcls rejects new public ACLs, IgnorePublicAcls makes S3 ignore "
            "existing ones, BlockPublicPolicy rejects new public bucket policies, and "
            "RestrictPublicBuckets cuts public and cross-account access through policies that "
            "are already public."
        ),
        description=(
            "Fires on the account-settings resource when the account-level "
            "PublicAccessBlock configuration is missing, or when any of BlockPublicAcls, "
            "IgnorePublicAcls, BlockPublicPolicy and RestrictPublicBuckets is false or "
            "absent. An unreadable configuration gives no finding; it is reported as a "
            "coverage gap."
        ),
        remediation=Remediation(
            summary=(
                "List the buckets that are public on purpose and move them behind CloudFront "
                "with origin access control (or to a dedicated account), then turn on all "
                "four Block Public Access settings for the account."
            ),
            console=(
                "Before switching it on, find the buckets that rely on public access (the "
                "s3.bucket.public_* findings, or IAM Access Analyzer) so that no intended "
                "site breaks unannounced.",
                "S3 console → Block Public Access settings for this account → Edit → tick "
                "'Block all public access' → Save changes → confirm.",
                "If the account is governed by an AWS Organizations S3 policy, the account "
                "setting cannot be edited there: change the organization policy instead.",
            ),
            cli=(
                "aws s3control get-public-access-block --account-id <account-id>",
                CLI_BPA_ACCOUNT,
            ),
            terraform=TF_BPA_ACCOUNT,
        ),
        references=(
            REF_BPA,
            REF_BPA_ACCOUNT,
            REF_PUT_ACCOUNT_BPA,
            REF_SECURITYHUB,
            REF_CONFIG_ACCOUNT,
        ),
        verify=("aws s3control get-public-access-block --account-id <account-id>",),
        categories=("guardrail", "internet-exposed"),
        compliance=(
            Compliance("CIS AWS Foundations Benchmark v1.4.0", "2.1.5"),
            Compliance("CIS AWS Foundations Benchmark v3.0.0", "2.1.4"),
            Compliance(FSBP, "S3.1"),
        ),
        exemptible=False,
        exemption_note=(
            "This account-wide guard has no per-resource exception. An account that must "
            "serve public content is better split: keep public sites in a dedicated account, "
            "or behind CloudFront with origin access control so Block Public Access stays on."
        ),
    ),
    bpa_off,
)

RULES: tuple[Rule, ...] = (BPA_OFF,)
