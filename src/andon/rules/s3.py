"""Rules for S3 buckets (resource kind ``storage.bucket``, cloud ``aws``).

Every bucket rule reads the :class:`~andon.core.Exposure` computed by ``andon.exposure``: a
"public" rule fires only when ``exposure.level`` is ``PUBLIC`` and the access kind it is about
is in ``exposure.access`` (what the world can do *now*, after every Block Public Access
setting). The latent rule reads ``exposure.latent`` and is independent of the level.
"""

from __future__ import annotations

from typing import Any

from andon.core.model import Access, Exposure, Level, Resource, Severity, sorted_access
from andon.rules.base import Compliance, Evidence, Matcher, Remediation, Rule, RuleMeta

BUCKET = ("storage.bucket",)

# --- references -------------------------------------------------------------------------------
_S3 = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/"
REF_BPA = _S3 + "access-control-block-public-access.html"
REF_BPA_BUCKET = _S3 + "configuring-block-public-access-bucket.html"
REF_ACL = _S3 + "acl-overview.html"
REF_OWNERSHIP = _S3 + "about-object-ownership.html"
REF_POLICY = _S3 + "bucket-policies.html"
REF_WEBSITE = _S3 + "WebsiteHosting.html"
REF_OAC = (
    "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/"
    "private-content-restricting-access-to-s3.html"
)
REF_SECURITYHUB = "https://docs.aws.amazon.com/securityhub/latest/userguide/s3-controls.html"
_CONFIG = "https://docs.aws.amazon.com/config/latest/developerguide/"
REF_CONFIG_READ = _CONFIG + "s3-bucket-public-read-prohibited.html"
REF_CONFIG_WRITE = _CONFIG + "s3-bucket-public-write-prohibited.html"

# --- compliance -------------------------------------------------------------------------------
FSBP = "AWS Security Hub (Foundational Security Best Practices)"
APPI = "Japan APPI (Act on the Protection of Personal Information)"
GDPR = "EU GDPR"
APPI_23 = Compliance(APPI, "Art. 23", "security control measures")
APPI_26 = Compliance(APPI, "Art. 26", "report to the PPC when personal data may have leaked")
GDPR_32 = Compliance(GDPR, "Art. 32", "security of processing")
GDPR_33 = Compliance(GDPR, "Art. 33", "notify the supervisory authority within 72 hours")

# --- shared remediation pieces ----------------------------------------------------------------
CLI_BPA_BUCKET = (
    "aws s3api put-public-access-block --bucket <bucket> --public-access-block-configuration "
    "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true"
)
CLI_POLICY_EDIT = (
    "aws s3api get-bucket-policy --bucket <bucket> --query Policy --output text > policy.json",
    '# edit policy.json: delete or narrow each statement whose Principal is "*" (or '
    '{"AWS": "*"}) and that has no restricting condition',
    "aws s3api put-bucket-policy --bucket <bucket> --policy file://policy.json",
)
CLI_ACL_PRIVATE = (
    "aws s3api put-bucket-acl --bucket <bucket> --acl private  # only while ACLs are enabled"
)
CLI_DISABLE_ACLS = (
    "aws s3api put-bucket-ownership-controls --bucket <bucket> "
    "--ownership-controls 'Rules=[{ObjectOwnership=BucketOwnerEnforced}]'"
)
CLI_CHECK = (
    "aws s3api get-public-access-block --bucket <bucket>",
    "aws s3control get-public-access-block --account-id <account-id>",
    "aws s3api get-bucket-policy-status --bucket <bucket>  # IsPublic covers the policy only",
    "aws s3api get-bucket-policy --bucket <bucket> --query Policy --output text",
    "aws s3api get-bucket-acl --bucket <bucket>",
    "aws s3api get-bucket-ownership-controls --bucket <bucket>",
)

TF_BPA_BUCKET = """\
resource "aws_s3_bucket_public_access_block" "this" {
  bucket                  = aws_s3_bucket.this.id
  block_public_acls       = true
  ignore_public_acls      = true
  block_public_policy     = true
  restrict_public_buckets = true
}"""
TF_DISABLE_ACLS = """\
# ACLs off: the bucket owner owns every object and only policies grant access.
resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}"""
TF_CLEANUP = """\
# Delete any aws_s3_bucket_acl with acl = "public-read", "public-read-write" or
# "authenticated-read", and every aws_s3_bucket_policy statement whose principal is "*"
# unless a condition pins it to fixed values (aws:SourceArn, aws:SourceVpce,
# aws:PrincipalOrgID...)."""
TF_STANDARD = f"{TF_BPA_BUCKET}\n\n{TF_DISABLE_ACLS}\n\n{TF_CLEANUP}\n"

CONSOLE_BPA = (
    "S3 console → Buckets → `<bucket>` → Permissions → Block public access (bucket settings) → "
    "Edit → tick 'Block all public access' → Save. This is the fastest containment: public "
    "policies stop working and public ACLs are ignored at once."
)
CONSOLE_POLICY = (
    "Permissions → Bucket policy → Edit: delete or narrow every statement whose Principal is "
    '"*" without a restricting condition. Grant a CloudFront distribution, a partner or a '
    'service by fixed principal, aws:SourceArn or aws:SourceVpce instead of "*".'
)
CONSOLE_ACL = (
    "Permissions → Access control list (ACL) → Edit: remove every grant to 'Everyone (public "
    "access)' and 'Authenticated users group (anyone with an AWS account)'."
)
CONSOLE_OWNERSHIP = (
    "Permissions → Object Ownership → Edit → 'ACLs disabled (recommended)'. S3 refuses this "
    "while the bucket ACL still grants access outside the account, so clean the ACL first; "
    "once ACLs are off, no bucket or object ACL grants anything."
)
CONSOLE_BPA_KEEP = (
    "Keep Block Public Access on at both levels: S3 console → Buckets → `<bucket>` → "
    "Permissions → Block public access (bucket settings) → 'Block all public access', and the "
    "same under 'Block Public Access settings for this account'. With both on, one switched-off "
    "setting no longer exposes the bucket."
)
CONSOLE_STANDARD = (CONSOLE_BPA, CONSOLE_POLICY, CONSOLE_ACL, CONSOLE_OWNERSHIP)
CLI_STANDARD = (CLI_BPA_BUCKET, *CLI_POLICY_EDIT, CLI_ACL_PRIVATE, CLI_DISABLE_ACLS)

INTENDED_SITE = (
    "Content that is meant to be public (a website, a download mirror, an open data set) "
    "is an intended exception: keep only that content in the bucket and tag it "
    "`andon:public=<reason>`. Better still, serve it through CloudFront with origin access "
    "control so the bucket itself can stay private with Block Public Access on."
)


# --- matchers ---------------------------------------------------------------------------------
def _names(access: frozenset[Access]) -> list[str]:
    return [a.value for a in sorted_access(access)]


def _evidence(exposure: Exposure, matched: Access) -> dict[str, Any]:
    return {
        "matched": matched.value,
        "level": exposure.level.value,
        "access": _names(exposure.access),
        "latent_access": _names(exposure.latent_access),
    }


def public_access(access: Access) -> Matcher:
    """Matches when the bucket is PUBLIC and the world has ``access`` now."""

    def match(resource: Resource, exposure: Exposure) -> Evidence | None:
        if exposure.level is not Level.PUBLIC or access not in exposure.access:
            return None
        return _evidence(exposure, access)

    match.__name__ = f"public_{access.name.lower()}"
    return match


def latent_exposure(resource: Resource, exposure: Exposure) -> Evidence | None:
    """Matches when a stored public grant is held back only by Block Public Access."""
    if not exposure.latent:
        return None
    return {
        "level": exposure.level.value,
        "access": _names(exposure.access),
        "latent_access": _names(exposure.latent_access),
        "latent_only": _names(exposure.latent_access - exposure.access),
    }


def public_website(resource: Resource, exposure: Exposure) -> Evidence | None:
    """Matches a bucket with static website hosting on whose objects the world can read."""
    if resource.attributes.get("website") is not True:
        return None
    if exposure.level is not Level.PUBLIC or Access.READ not in exposure.access:
        return None
    return {**_evidence(exposure, Access.READ), "website": True}


# --- rules ------------------------------------------------------------------------------------
PUBLIC_READ = Rule(
    RuleMeta(
        id="s3.bucket.public_read",
        title="S3 bucket lets anyone on the internet read its objects",
        severity=Severity.CRITICAL,
        resource_kinds=BUCKET,
        risk=(
            "Anyone who knows or guesses the bucket name can download the objects the public "
            "grant covers with a plain HTTPS GET: no AWS account, no credentials, no trace in "
            "CloudTrail management events (object reads are data events, logged only if you "
            "turned data events or server access logging on). Bucket names leak through app "
            "binaries, web pages, DNS and certificates, and scanners try names all day long. "
            "If the objects hold personal data, for example vehicle locations keyed by "
            "customer, you probably have a reportable leak: Japan's PPC treats personal data "
            "that was viewable on the internet as leaked unless access logs show that no "
            "third party viewed it, and GDPR Art. 33 gives you 72 hours to notify. Andon "
            "exists because one such setting exposed 2.15 million customers' vehicle "
            "locations for ten years."
        ),
        description=(
            "Fires when the bucket's effective exposure is PUBLIC and includes object read: "
            "a bucket or access-point policy allows s3:GetObject to everyone with no "
            "restricting condition, or an object ACL grants READ or FULL_CONTROL to AllUsers "
            "or AuthenticatedUsers (any AWS account holder), and no Block Public Access "
            "setting at account, bucket or access-point level cancels it."
        ),
        remediation=Remediation(
            summary=(
                "Turn on all four Block Public Access settings for the bucket now, then "
                "remove the public grant (policy statement or ACL) and disable ACLs. If the "
                "content must be public, serve it through CloudFront with origin access "
                "control and tag the bucket `andon:public=<reason>`."
            ),
            console=CONSOLE_STANDARD,
            cli=CLI_STANDARD,
            terraform=TF_STANDARD,
        ),
        references=(
            REF_BPA,
            REF_POLICY,
            REF_ACL,
            REF_OWNERSHIP,
            REF_OAC,
            REF_CONFIG_READ,
            REF_SECURITYHUB,
        ),
        verify=(
            *CLI_CHECK,
            "aws s3api head-object --bucket <bucket> --key <key> --no-sign-request  "
            "# anonymous metadata request: 200 means public",
        ),
        categories=("internet-exposed", "data-protection"),
        compliance=(Compliance(FSBP, "S3.2"), APPI_26, GDPR_32, GDPR_33),
        exemption_note=INTENDED_SITE,
    ),
    public_access(Access.READ),
)

PUBLIC_LIST = Rule(
    RuleMeta(
        id="s3.bucket.public_list",
        title="S3 bucket lets anyone on the internet list its object keys",
        severity=Severity.HIGH,
        resource_kinds=BUCKET,
        risk=(
            "The key listing is a map of your data. Keys often carry customer ids, VINs, "
            "e-mail addresses, dates and system names, so the listing can be a leak by itself. "
            "It tells an attacker exactly what to fetch and when new files arrive; where the "
            "objects are readable too, it turns guessing into a one-line bulk download "
            "(`aws s3 sync s3://<bucket> . --no-sign-request`). It also reveals your naming "
            "scheme, which helps to find your other buckets."
        ),
        description=(
            "Fires when the bucket's effective exposure is PUBLIC and includes listing: a "
            "policy allows s3:ListBucket (or ListBucketVersions) to everyone with no "
            "restricting condition, or the bucket ACL grants READ or FULL_CONTROL to AllUsers "
            "or AuthenticatedUsers (bucket READ means 'list objects'), and Block Public Access "
            "does not cancel it."
        ),
        remediation=Remediation(
            summary=(
                'Turn on Block Public Access for the bucket, remove s3:ListBucket for "*" '
                "from the policy and READ for AllUsers/AuthenticatedUsers from the bucket ACL, "
                "then disable ACLs. Even a public website never needs public listing."
            ),
            console=CONSOLE_STANDARD,
            cli=CLI_STANDARD,
            terraform=TF_STANDARD,
        ),
        references=(REF_BPA, REF_POLICY, REF_ACL, REF_OWNERSHIP, REF_CONFIG_READ, REF_SECURITYHUB),
        verify=(
            *CLI_CHECK,
            "aws s3api list-objects-v2 --bucket <bucket> --max-items 1 --no-sign-request  "
            "# anonymous listing: any answer but AccessDenied means public",
        ),
        categories=("internet-exposed", "data-protection"),
        compliance=(Compliance(FSBP, "S3.2"), APPI_26, GDPR_32),
        exemption_note=(
            "Public listing is almost never needed: websites and download links work "
            "without it. An open data set that is meant to be browsable may be tagged "
            "`andon:public=<reason>`."
        ),
    ),
    public_access(Access.LIST),
)

PUBLIC_WRITE = Rule(
    RuleMeta(
        id="s3.bucket.public_write",
        title="S3 bucket lets anyone on the internet write objects",
        severity=Severity.CRITICAL,
        resource_kinds=BUCKET,
        risk=(
            "Strangers can upload and overwrite objects (and delete them where the grant "
            "allows it). Writable buckets are used to host malware and phishing pages under "
            "your name, to replace JavaScript or firmware your users and devices download, to "
            "plant files that your pipelines then ingest as trusted input, and to run up your "
            "storage and request bill. Overwritten data is gone unless versioning is on, and "
            "you pay for every byte they store."
        ),
        description=(
            "Fires when the bucket's effective exposure is PUBLIC and includes write: a "
            "policy allows s3:PutObject (or DeleteObject) to everyone with no restricting "
            "condition, or the bucket ACL grants WRITE or FULL_CONTROL to AllUsers or "
            "AuthenticatedUsers, and Block Public Access does not cancel it."
        ),
        remediation=Remediation(
            summary=(
                "Turn on Block Public Access for the bucket now, remove the public write "
                "grant from the policy and ACL, disable ACLs, then look for objects written "
                "by strangers (server access logs or CloudTrail data events, object owners, "
                "recent LastModified dates) before anything consumes them."
            ),
            console=CONSOLE_STANDARD,
            cli=(
                *CLI_STANDARD,
                "aws s3api put-bucket-versioning --bucket <bucket> "
                "--versioning-configuration Status=Enabled  # keep overwritten versions",
            ),
            terraform=TF_STANDARD,
        ),
        references=(REF_BPA, REF_POLICY, REF_ACL, REF_OWNERSHIP, REF_CONFIG_WRITE, REF_SECURITYHUB),
        verify=(
            *CLI_CHECK,
            "# never test by writing into the bucket: the grants above are the evidence",
        ),
        categories=("internet-exposed", "data-integrity"),
        compliance=(Compliance(FSBP, "S3.3"), APPI_23, APPI_26, GDPR_32),
        exemptible=False,
        exemption_note=(
            "There is no exception for anonymous write: the exemption tag does not silence "
            "this rule. Uploads from the public go through presigned URLs or an "
            "authenticated API, never through a bucket anyone can write to."
        ),
    ),
    public_access(Access.WRITE),
)

PUBLIC_ACL_CHANGE = Rule(
    RuleMeta(
        id="s3.bucket.public_acl_change",
        title="Anyone on the internet can rewrite the S3 bucket's access control",
        severity=Severity.CRITICAL,
        resource_kinds=BUCKET,
        risk=(
            "Write access to the ACL is a takeover of access control: one anonymous "
            "PutBucketAcl call can grant the caller, or everyone, FULL_CONTROL, and the bucket "
            "is then readable, listable and writable by whoever the attacker chooses. Nothing "
            "changes until it is used, so the bucket can look harmless in a console review. "
            'The same holds for policy write (s3:PutBucketPolicy to "*") and for object '
            "ACLs that grant WRITE_ACP to the public."
        ),
        description=(
            "Fires when the bucket's effective exposure is PUBLIC and includes write-acl: the "
            "bucket ACL grants WRITE_ACP or FULL_CONTROL to AllUsers or AuthenticatedUsers, "
            "a sampled object ACL does, or a policy lets everyone change the ACL or policy, "
            "and Block Public Access does not cancel it."
        ),
        remediation=Remediation(
            summary=(
                "Turn on Block Public Access for the bucket (IgnorePublicAcls stops S3 "
                "honouring the public grant), reset the ACL to private and disable ACLs, then "
                "check CloudTrail for PutBucketAcl and PutBucketPolicy calls you did not make."
            ),
            console=(
                *CONSOLE_STANDARD,
                "CloudTrail → Event history → filter 'Resource name' = `<bucket>`: review every "
                "PutBucketAcl, PutBucketPolicy and DeleteBucketPolicy event of the last 90 days.",
            ),
            cli=(
                *CLI_STANDARD,
                "aws cloudtrail lookup-events --lookup-attributes "
                "AttributeKey=ResourceName,AttributeValue=<bucket> --max-results 50",
            ),
            terraform=TF_STANDARD,
        ),
        references=(REF_BPA, REF_ACL, REF_OWNERSHIP, REF_POLICY),
        verify=(
            *CLI_CHECK,
            "aws s3api get-object-acl --bucket <bucket> --key <key>  # object ACLs too",
        ),
        categories=("internet-exposed", "access-control"),
        compliance=(APPI_23, GDPR_32),
        exemptible=False,
        exemption_note=(
            "There is no exception: no design needs strangers to edit a bucket's access "
            "control, so the exemption tag does not silence this rule."
        ),
    ),
    public_access(Access.WRITE_ACL),
)

PUBLIC_ACL_READ = Rule(
    RuleMeta(
        id="s3.bucket.public_acl_read",
        title="Anyone on the internet can read the S3 bucket's ACL",
        severity=Severity.LOW,
        resource_kinds=BUCKET,
        risk=(
            "The ACL tells a stranger who owns the bucket (the owner's canonical user id) and "
            "which accounts and groups hold which rights: a map for the next step rather "
            "than a leak of data. It rarely comes alone; FULL_CONTROL for AllUsers includes "
            "it, so read the rest of the ACL with the same suspicion."
        ),
        description=(
            "Fires when the bucket's effective exposure is PUBLIC and includes read-acl: the "
            "bucket ACL (or a sampled object ACL) grants READ_ACP or FULL_CONTROL to AllUsers "
            "or AuthenticatedUsers, or a policy allows s3:GetBucketAcl to everyone, and Block "
            "Public Access does not cancel it."
        ),
        remediation=Remediation(
            summary=(
                "Remove READ_ACP/FULL_CONTROL for AllUsers and AuthenticatedUsers from the "
                "ACL and disable ACLs (Object Ownership: bucket owner enforced); turn on "
                "Block Public Access so public ACLs are ignored."
            ),
            console=(CONSOLE_ACL, CONSOLE_OWNERSHIP, CONSOLE_BPA),
            cli=(CLI_ACL_PRIVATE, CLI_DISABLE_ACLS, CLI_BPA_BUCKET),
            terraform=f"{TF_DISABLE_ACLS}\n\n{TF_BPA_BUCKET}\n",
        ),
        references=(REF_ACL, REF_OWNERSHIP, REF_BPA),
        verify=(
            "aws s3api get-bucket-acl --bucket <bucket>",
            "aws s3api get-bucket-ownership-controls --bucket <bucket>",
            "aws s3api get-public-access-block --bucket <bucket>",
        ),
        categories=("internet-exposed", "access-control"),
        exemption_note=INTENDED_SITE,
    ),
    public_access(Access.READ_ACL),
)

LATENT_EXPOSURE = Rule(
    RuleMeta(
        id="s3.bucket.latent_exposure",
        title="S3 bucket keeps a public grant that only Block Public Access holds back",
        severity=Severity.HIGH,
        resource_kinds=BUCKET,
        risk=(
            "The bucket policy or ACL still says 'public'; today a Block Public Access "
            "setting overrides it. BPA gets switched off for unrelated reasons: a website "
            "launch, a troubleshooting session, an organization-wide change, a Terraform "
            "refactor that drops the aws_s3_account_public_access_block resource. The moment "
            "that happens the stored grant is live again, with no change to the bucket's "
            "policy or ACL, so reviews and alerts that watch PutBucketPolicy and PutBucketAcl "
            "see nothing. One setting away from public is exactly how a connected-car cloud "
            "left 2.15 million customers' vehicle locations readable for ten years."
        ),
        description=(
            "Fires when the exposure has latent access: access the world would gain if one "
            "Block Public Access setting (account, bucket or access point) were switched off, "
            "beyond what it has now. Independent of the current level, so it also fires on a "
            "bucket that is PRIVATE today."
        ),
        remediation=Remediation(
            summary=(
                'Remove the stored public grant (the policy statement with Principal "*" '
                "or the ACL grant to AllUsers/AuthenticatedUsers) so that Block Public Access "
                "is a second line of defence, not the only one; keep BPA on."
            ),
            console=(CONSOLE_POLICY, CONSOLE_ACL, CONSOLE_OWNERSHIP, CONSOLE_BPA_KEEP),
            cli=(*CLI_POLICY_EDIT, CLI_ACL_PRIVATE, CLI_DISABLE_ACLS, CLI_BPA_BUCKET),
            terraform=f"{TF_CLEANUP}\n\n{TF_DISABLE_ACLS}\n\n{TF_BPA_BUCKET}\n",
        ),
        references=(REF_BPA, REF_BPA_BUCKET, REF_POLICY, REF_ACL, REF_OWNERSHIP),
        verify=CLI_CHECK,
        categories=("latent-exposure", "data-protection"),
        compliance=(APPI_23, GDPR_32),
        exemption_note=(
            "A bucket that is public on purpose (tagged `andon:public=<reason>`) may keep its "
            "grant; the finding is then EXEMPT."
        ),
    ),
    latent_exposure,
)

PUBLIC_WEBSITE = Rule(
    RuleMeta(
        id="s3.bucket.public_website",
        title="S3 bucket is served to the internet as a static website",
        severity=Severity.HIGH,
        resource_kinds=BUCKET,
        risk=(
            "The website endpoint (`http://<bucket>.s3-website-<region>.amazonaws.com`, or "
            "`s3-website.<region>` in some Regions) serves every readable object to anyone, "
            "over plain HTTP only, and search engines index it. Buckets that began as a site "
            "collect other files over the years (exports, backups, logs, test data) and each "
            "becomes public the moment it is uploaded. A site nobody remembers is also a "
            "place where stale or wrong content stays online under your domain."
        ),
        description=(
            "Fires when the bucket has static website hosting configured (attribute "
            "`website` is true) and its effective exposure is PUBLIC with object read."
        ),
        remediation=Remediation(
            summary=(
                "If the site is not wanted: delete the website configuration and make the "
                "bucket private. If it is: serve it through CloudFront with origin access "
                "control on the bucket's REST endpoint, keep only site assets in the bucket, "
                "and tag it `andon:public=<reason>`."
            ),
            console=(
                "S3 console → Buckets → `<bucket>` → Properties → Static website hosting → "
                "Edit → Disable, when the site is not wanted.",
                "For a wanted site: CloudFront → Create distribution → origin = the bucket's "
                "REST endpoint (not the website endpoint) → Origin access control → create "
                "one and copy the bucket policy CloudFront proposes.",
                CONSOLE_BPA,
                "Properties → Tags → add `andon:public=<reason>` when the site stays public "
                "on purpose.",
            ),
            cli=(
                "aws s3api get-bucket-website --bucket <bucket>",
                "aws s3api delete-bucket-website --bucket <bucket>  # site not wanted",
                CLI_BPA_BUCKET,
            ),
            terraform=(
                "# Remove aws_s3_bucket_website_configuration for this bucket, then serve it\n"
                "# privately through CloudFront:\n"
                'resource "aws_cloudfront_origin_access_control" "this" {\n'
                '  name                              = "<bucket>-oac"\n'
                '  origin_access_control_origin_type = "s3"\n'
                '  signing_behavior                  = "always"\n'
                '  signing_protocol                  = "sigv4"\n'
                "}\n\n"
                f"{TF_BPA_BUCKET}\n"
            ),
        ),
        references=(REF_WEBSITE, REF_OAC, REF_BPA, REF_SECURITYHUB),
        verify=(
            "aws s3api get-bucket-website --bucket <bucket>",
            "aws s3api get-bucket-policy --bucket <bucket> --query Policy --output text",
            "aws s3api get-bucket-tagging --bucket <bucket>",
        ),
        categories=("internet-exposed", "data-protection"),
        compliance=(Compliance(FSBP, "S3.2"), APPI_26),
        exemption_note=(
            "A site that is meant to be public is the normal case for this rule: tag the "
            "bucket `andon:public=<reason>` (for example `andon:public=marketing-site`) and "
            "the findings of every exemptible rule on it (public read, list, website, latent "
            "exposure) become EXEMPT; public write and ACL change never do. Keep anything "
            "that is not part of the site out of that bucket."
        ),
    ),
    public_website,
)

RULES: tuple[Rule, ...] = (
    PUBLIC_READ,
    PUBLIC_LIST,
    PUBLIC_WRITE,
    PUBLIC_ACL_CHANGE,
    PUBLIC_ACL_READ,
    LATENT_EXPOSURE,
    PUBLIC_WEBSITE,
)
