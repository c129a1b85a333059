"""Rules for resource policies beyond S3: public and cross-account grants, per service.

Each service with a resource-based policy gets two rules, built from one :class:`PolicySpec`:

``<service>.<noun>.public_policy``
    the resource's exposure (:func:`andon.exposure.resource_policy.evaluate_resource`) is
    PUBLIC: a statement lets anyone (``"*"``) act with no condition pinning the caller;
``<service>.<noun>.cross_account``
    the exposure is CROSS_ACCOUNT: a statement grants accounts (or an organization) outside
    the trust zone (the owner, the ``[trust]`` accounts and organization of the config file,
    the organization itself with ``--org``).

The matchers read only the :class:`~andon.core.model.Exposure`; the reasons name the
statements.
"""

from __future__ import annotations

from dataclasses import dataclass

from andon.core.model import Exposure, Level, Resource, Severity, sorted_access
from andon.rules.base import Compliance, Evidence, Matcher, Remediation, Rule, RuleMeta
from andon.rules.s3 import APPI_26, FSBP, GDPR_32, GDPR_33

REF_ANALYZER = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-resources.html"
REF_ORG_ID = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/"
    "reference_policies_condition-keys.html#condition-keys-principalorgid"
)
REF_PRINCIPAL = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html"
)

TRUST_NOTE = (
    "An account you own but did not list is reported too: add it to `[trust] accounts` (or "
    "the organization to `[trust] org_id`, or scan with `--org`) in the config file and it "
    "counts as yours. A grant that must stay, such as a partner account reading a queue, is "
    "an intended exception: tag the resource `andon:public=<reason>`."
)


@dataclass(frozen=True)
class PolicySpec:
    """What differs between services: names, what a grant lets someone do, how to fix it."""

    service: str  # rule id prefix, e.g. "sqs"
    noun: str  # rule id middle, e.g. "queue"
    kind: str  # canonical resource kind
    what: str  # "SQS queue"
    grants: str  # what the public could do, as a verb phrase
    risk: str  # service-specific sentences of why it matters
    public_severity: Severity
    cross_severity: Severity
    console: str  # where to edit the policy
    verify: str  # the read command (CLI)
    fix_cli: tuple[str, ...]
    terraform: str
    references: tuple[str, ...]
    compliance: tuple[Compliance, ...] = ()
    intended: str = ""  # what an intended public case looks like


def article(what: str) -> str:
    """``a`` or ``an`` before ``what`` (acronyms by the sound of their first letter)."""
    word = what.split()[0]
    if word.isupper() or word[:2] == "S3":
        return "an" if word[0] in "AEFHILMNORSX" else "a"
    return "an" if word[0].lower() in "aeiou" else "a"


def _evidence(exposure: Exposure) -> dict[str, object]:
    return {
        "level": exposure.level.value,
        "access": [a.value for a in sorted_access(exposure.access)],
        "unknown_access": [a.value for a in sorted_access(exposure.unknown_access)],
    }


def level_is(level: Level) -> Matcher:
    """Matches when the resource's exposure is at ``level``."""

    def match(resource: Resource, exposure: Exposure) -> Evidence | None:
        return _evidence(exposure) if exposure.level is level else None

    match.__name__ = f"level_{level.value.lower()}"
    return match


def _public_rule(s: PolicySpec) -> Rule:
    return Rule(
        RuleMeta(
            id=f"{s.service}.{s.noun}.public_policy",
            title=f"{s.what} policy lets anyone {s.grants}",
            severity=s.public_severity,
            resource_kinds=(s.kind,),
            risk=(
                f"{s.risk} A policy statement whose principal is everyone (`*`) with no "
                "condition pinning the caller to your accounts, organization or network is "
                "open to every AWS account holder, and to anonymous callers where the service "
                "accepts unsigned requests. Attackers list such resources with the same APIs "
                "you use, and a grant to `*` is exactly what IAM Access Analyzer and AWS "
                "Security Hub flag as public."
            ),
            description=(
                f"Fires when the {s.what}'s resource policy is PUBLIC: an Allow statement "
                "grants everyone, with no condition that restricts the caller to fixed "
                "accounts, organizations, source ARNs, VPCs or VPC endpoints, and no Deny "
                "statement takes it back. The finding's reasons name the statement. A policy "
                "that could not be read gives UNKNOWN and a coverage gap, not this finding."
            ),
            remediation=Remediation(
                summary=(
                    f"Remove the statement that grants `*` from the {s.what}'s policy, or pin "
                    "it with a condition (aws:PrincipalOrgID for your organization, "
                    "aws:SourceArn or aws:SourceAccount for a service integration). Then "
                    "look for use of the grant in CloudTrail since it was added."
                ),
                console=(
                    s.console,
                    'Delete the statement whose Principal is `*` or `{"AWS": "*"}`, or add '
                    "a condition such as `StringEquals aws:PrincipalOrgID = o-...`; save.",
                    "CloudTrail → Event history: filter on the resource name to see who used "
                    "it while the grant was open.",
                ),
                cli=(f"{s.verify}  # the current policy", *s.fix_cli),
                terraform=s.terraform,
            ),
            references=(*s.references, REF_ANALYZER, REF_ORG_ID),
            verify=(s.verify,),
            categories=("internet-exposed", "resource-policy"),
            compliance=s.compliance,
            exemption_note=s.intended
            or (
                f"{article(s.what).capitalize()} {s.what} is almost never meant for everyone. "
                "If it is (a public "
                "integration endpoint, say), tag it `andon:public=<reason>`: the finding stays "
                "visible with status `exempt`."
            ),
        ),
        level_is(Level.PUBLIC),
    )


def _cross_rule(s: PolicySpec) -> Rule:
    return Rule(
        RuleMeta(
            id=f"{s.service}.{s.noun}.cross_account",
            title=f"{s.what} policy grants accounts outside your trust zone",
            severity=s.cross_severity,
            resource_kinds=(s.kind,),
            risk=(
                f"Another AWS account can {s.grants} through this policy, whoever controls "
                "that account today: a vendor, a former subsidiary, an account you closed and "
                "someone re-registered the name of, or a typo in an account id. Such grants "
                "outlive the project that needed them and are rarely reviewed. "
                f"{s.risk}"
            ),
            description=(
                f"Fires when the {s.what}'s resource policy is CROSS_ACCOUNT: an Allow "
                "statement grants an account or organization outside the trust zone (the "
                "owner's account, the `[trust]` accounts and organization of the config file, "
                "and with `--org` the scanned organization), or any account narrowed only by "
                "a network condition, and no Deny takes it back. Service principals acting for "
                "the owner's own resources do not count."
            ),
            remediation=Remediation(
                summary=(
                    "Check that each outside account in the reasons still needs access. "
                    "Remove the grant if not; otherwise narrow it to the exact actions and "
                    "principals needed, and record the exception (or trust the account in "
                    "the config file if it is yours)."
                ),
                console=(
                    s.console,
                    "For each statement named in the finding, check the account ids in the "
                    "Principal (or the aws:SourceAccount / aws:PrincipalAccount condition); "
                    "delete grants nobody can justify and narrow the rest.",
                ),
                cli=(f"{s.verify}  # the current policy", *s.fix_cli),
                terraform=s.terraform,
            ),
            references=(*s.references, REF_ANALYZER, REF_PRINCIPAL),
            verify=(s.verify,),
            categories=("cross-account", "resource-policy"),
            exemption_note=TRUST_NOTE,
        ),
        level_is(Level.CROSS_ACCOUNT),
    )


_TF_DOC = """\
data "aws_iam_policy_document" "{name}" {{
  statement {{
    sid       = "OrganizationOnly"
    actions   = [{actions}]
    resources = [{resource}]
    principals {{
      type        = "AWS"
      identifiers = ["*"]
    }}
    condition {{
      test     = "StringEquals"
      variable = "aws:PrincipalOrgID"
      values   = ["o-exampleorgid"]
    }}
  }}
}}
"""


def _tf(name: str, actions: str, resource: str, attach: str) -> str:
    return _TF_DOC.format(name=name, actions=actions, resource=resource) + "\n" + attach


SPECS: tuple[PolicySpec, ...] = (
    PolicySpec(
        service="sqs",
        noun="queue",
        kind="messaging.queue",
        what="SQS queue",
        grants="read, delete or send its messages",
        risk=(
            "Messages often carry orders, customer records or vehicle events: whoever can "
            "receive them reads the data and, since receiving hides a message and deleting "
            "removes it, can also make your consumers miss it. Whoever can send injects "
            "forged work into your pipeline."
        ),
        public_severity=Severity.HIGH,
        cross_severity=Severity.MEDIUM,
        console="Amazon SQS console → Queues → `<queue>` → Access policy → Edit.",
        verify=(
            "aws sqs get-queue-attributes --queue-url "
            "https://sqs.<region>.amazonaws.com/<account-id>/<queue> --attribute-names Policy"
        ),
        fix_cli=(
            "# write the narrowed policy as a JSON string under the key Policy in attrs.json",
            "aws sqs set-queue-attributes --queue-url "
            "https://sqs.<region>.amazonaws.com/<account-id>/<queue> --attributes file://attrs.json",
        ),
        terraform=_tf(
            "queue",
            '"sqs:SendMessage"',
            "aws_sqs_queue.this.arn",
            'resource "aws_sqs_queue_policy" "this" {\n'
            "  queue_url = aws_sqs_queue.this.id\n"
            "  policy    = data.aws_iam_policy_document.queue.json\n}",
        ),
        references=(
            "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/"
            "sqs-basic-examples-of-sqs-policies.html",
            "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/"
            "sqs-security-best-practices.html",
        ),
        compliance=(APPI_26, GDPR_32),
    ),
    PolicySpec(
        service="sns",
        noun="topic",
        kind="messaging.topic",
        what="SNS topic",
        grants="publish to it or subscribe to its messages",
        risk=(
            "A subscriber receives every message published to the topic, so a public "
            "subscribe permission copies your notifications to a stranger's endpoint. A "
            "public publish permission lets anyone send messages that your subscribers (by "
            "e-mail, SMS or application) trust as yours: ready-made phishing."
        ),
        public_severity=Severity.HIGH,
        cross_severity=Severity.MEDIUM,
        console="Amazon SNS console → Topics → `<topic>` → Edit → Access policy.",
        verify=(
            "aws sns get-topic-attributes --topic-arn arn:aws:sns:<region>:<account-id>:<topic> "
            "--query Attributes.Policy --output text"
        ),
        fix_cli=(
            "aws sns set-topic-attributes --topic-arn arn:aws:sns:<region>:<account-id>:<topic> "
            "--attribute-name Policy --attribute-value file://policy.json",
        ),
        terraform=_tf(
            "topic",
            '"sns:Publish"',
            "aws_sns_topic.this.arn",
            'resource "aws_sns_topic_policy" "this" {\n'
            "  arn    = aws_sns_topic.this.arn\n"
            "  policy = data.aws_iam_policy_document.topic.json\n}",
        ),
        references=(
            "https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html",
            "https://docs.aws.amazon.com/sns/latest/dg/sns-security-best-practices.html",
        ),
    ),
    PolicySpec(
        service="kms",
        noun="key",
        kind="crypto.key",
        what="KMS key",
        grants="use or manage the key",
        risk=(
            "Encryption protects data only while the key is private. With kms:Decrypt open, "
            "anyone who gets hold of the ciphertext (a shared snapshot, a backup copy, an "
            "object in a leaked bucket) can decrypt it; with key administration open, anyone "
            "can change the policy or schedule the key's deletion and make your data "
            "unreadable for good."
        ),
        public_severity=Severity.CRITICAL,
        cross_severity=Severity.HIGH,
        console="AWS KMS console → Customer managed keys → `<key-id>` → Key policy → Edit.",
        verify="aws kms get-key-policy --key-id <key-id> --policy-name default --output text",
        fix_cli=(
            "aws kms put-key-policy --key-id <key-id> --policy-name default "
            "--policy file://key-policy.json  # keep the statement giving <account-id> access",
        ),
        terraform=_tf(
            "key",
            '"kms:Decrypt"',
            '"*"',
            'resource "aws_kms_key_policy" "this" {\n'
            "  key_id = aws_kms_key.this.id\n"
            "  policy = data.aws_iam_policy_document.key.json\n}",
        ),
        references=(
            "https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html",
            "https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html",
            "https://docs.aws.amazon.com/securityhub/latest/userguide/kms-controls.html",
        ),
        compliance=(APPI_26, GDPR_32, GDPR_33),
    ),
    PolicySpec(
        service="secretsmanager",
        noun="secret",
        kind="secrets.secret",
        what="Secrets Manager secret",
        grants="read the secret value",
        risk=(
            "A secret is a database password, an API key or a signing key: whoever reads it "
            "gets whatever it unlocks, often far more data than the secret itself. Assume a "
            "secret that was readable is known, and rotate it."
        ),
        public_severity=Severity.CRITICAL,
        cross_severity=Severity.HIGH,
        console=(
            "AWS Secrets Manager console → Secrets → `<secret>` → Overview → Resource "
            "permissions → Edit permissions."
        ),
        verify=(
            "aws secretsmanager get-resource-policy --secret-id "
            "arn:aws:secretsmanager:<region>:<account-id>:secret:<secret>"
        ),
        fix_cli=(
            "aws secretsmanager put-resource-policy --secret-id "
            "arn:aws:secretsmanager:<region>:<account-id>:secret:<secret> "
            "--resource-policy file://policy.json --block-public-policy",
            "aws secretsmanager rotate-secret --secret-id "
            "arn:aws:secretsmanager:<region>:<account-id>:secret:<secret>  # it may be known",
        ),
        terraform=_tf(
            "secret",
            '"secretsmanager:GetSecretValue"',
            '"*"',
            'resource "aws_secretsmanager_secret_policy" "this" {\n'
            "  secret_arn          = aws_secretsmanager_secret.this.arn\n"
            "  policy              = data.aws_iam_policy_document.secret.json\n"
            "  block_public_policy = true\n}",
        ),
        references=(
            "https://docs.aws.amazon.com/secretsmanager/latest/userguide/"
            "auth-and-access_resource-policies.html",
            "https://docs.aws.amazon.com/secretsmanager/latest/apireference/"
            "API_PutResourcePolicy.html",
        ),
        compliance=(APPI_26, GDPR_32, GDPR_33),
        intended=(
            "A secret is never meant for everyone: there is no good public case. Tag "
            "`andon:public=<reason>` only for a value that is not secret at all (and then "
            "store it elsewhere)."
        ),
    ),
    PolicySpec(
        service="ecr",
        noun="repository",
        kind="registry.repository",
        what="ECR repository",
        grants="pull or push its images",
        risk=(
            "Container images carry your code, its dependencies and, too often, credentials "
            "baked into layers or environment variables. A public pull hands them out; a "
            "public push lets anyone replace the image your services deploy (a supply-chain "
            "attack)."
        ),
        public_severity=Severity.HIGH,
        cross_severity=Severity.MEDIUM,
        console="Amazon ECR console → Private registry → Repositories → `<repository>` → "
        "Permissions → Edit policy JSON.",
        verify="aws ecr get-repository-policy --repository-name <repository> "
        "--registry-id <account-id>",
        fix_cli=(
            "aws ecr set-repository-policy --repository-name <repository> "
            "--registry-id <account-id> --policy-text file://policy.json",
            "aws ecr delete-repository-policy --repository-name <repository> "
            "--registry-id <account-id>  # when no outside access is needed",
        ),
        terraform=_tf(
            "repository",
            '"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"',
            "aws_ecr_repository.this.arn",
            'resource "aws_ecr_repository_policy" "this" {\n'
            "  repository = aws_ecr_repository.this.name\n"
            "  policy     = data.aws_iam_policy_document.repository.json\n}",
        ),
        references=(
            "https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policies.html",
            "https://docs.aws.amazon.com/AmazonECR/latest/userguide/"
            "repository-policy-examples.html",
        ),
        intended=(
            "Images meant for everyone belong in a public registry (Amazon ECR Public), not "
            "in a private repository with an open policy; if you must, tag it "
            "`andon:public=<reason>`."
        ),
    ),
    PolicySpec(
        service="efs",
        noun="filesystem",
        kind="storage.filesystem",
        what="EFS file system",
        grants="mount, read or write the file system",
        risk=(
            "A file system policy that grants everyone lets any client that reaches a mount "
            "target (a peered VPC, a shared subnet, another account's resources) mount the "
            "files, and with ClientWriteAccess change them. EFS applies the same meaning of "
            "public as S3."
        ),
        public_severity=Severity.CRITICAL,
        cross_severity=Severity.MEDIUM,
        console="Amazon EFS console → File systems → `<file-system-id>` → File system policy "
        "→ Edit.",
        verify="aws efs describe-file-system-policy --file-system-id <file-system-id>  "
        "# in account <account-id>",
        fix_cli=(
            "aws efs put-file-system-policy --file-system-id <file-system-id> "
            "--policy file://policy.json",
        ),
        terraform=_tf(
            "filesystem",
            '"elasticfilesystem:ClientMount"',
            "aws_efs_file_system.this.arn",
            'resource "aws_efs_file_system_policy" "this" {\n'
            "  file_system_id = aws_efs_file_system.this.id\n"
            "  policy         = data.aws_iam_policy_document.filesystem.json\n}",
        ),
        references=(
            "https://docs.aws.amazon.com/efs/latest/ug/iam-access-control-nfs-efs.html",
            "https://docs.aws.amazon.com/efs/latest/ug/access-control-block-public-access.html",
        ),
        compliance=(APPI_26, GDPR_32),
    ),
    PolicySpec(
        service="lambda",
        noun="function",
        kind="compute.function",
        what="Lambda function",
        grants="invoke the function",
        risk=(
            "Invoking a function runs your code with its execution role, on the caller's "
            "input: whatever the function can read or change (tables, buckets, secrets), the "
            "caller reaches through it, and you pay for every invocation."
        ),
        public_severity=Severity.HIGH,
        cross_severity=Severity.MEDIUM,
        console="AWS Lambda console → Functions → `<function>` → Configuration → Permissions "
        "→ Resource-based policy statements.",
        verify="aws lambda get-policy --function-name "
        "arn:aws:lambda:<region>:<account-id>:function:<function>",
        fix_cli=(
            "aws lambda remove-permission --function-name "
            "arn:aws:lambda:<region>:<account-id>:function:<function> --statement-id <sid>",
        ),
        terraform=(
            'resource "aws_lambda_permission" "from_bucket" {\n'
            '  statement_id   = "AllowS3Invoke"\n'
            '  action         = "lambda:InvokeFunction"\n'
            "  function_name  = aws_lambda_function.this.function_name\n"
            '  principal      = "s3.amazonaws.com"\n'
            "  source_arn     = aws_s3_bucket.this.arn  # never leave a service grant unscoped\n"
            "  source_account = data.aws_caller_identity.current.account_id\n}"
        ),
        references=(
            "https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html",
            "https://docs.aws.amazon.com/securityhub/latest/userguide/lambda-controls.html",
        ),
        compliance=(Compliance(FSBP, "Lambda.1"),),
    ),
    PolicySpec(
        service="glacier",
        noun="vault",
        kind="storage.archive_vault",
        what="S3 Glacier vault",
        grants="retrieve or delete its archives",
        risk=(
            "Archives are the long-term copies of your data (often years of it). A vault "
            "policy open to everyone lets strangers start retrieval jobs and download the "
            "archives, or delete them."
        ),
        public_severity=Severity.CRITICAL,
        cross_severity=Severity.MEDIUM,
        console="Amazon S3 Glacier console → Vaults → `<vault>` → Permissions → Edit policy.",
        verify="aws glacier get-vault-access-policy --account-id <account-id> --vault-name <vault>",
        fix_cli=(
            "aws glacier set-vault-access-policy --account-id <account-id> --vault-name <vault> "
            '--policy file://policy.json  # {"Policy": "<narrowed policy as a string>"}',
            "aws glacier delete-vault-access-policy --account-id <account-id> "
            "--vault-name <vault>  # when no outside access is needed",
        ),
        terraform=_tf(
            "vault",
            '"glacier:InitiateJob", "glacier:GetJobOutput"',
            "aws_glacier_vault.this.arn",
            'resource "aws_glacier_vault" "this" {\n'
            '  name          = "<vault>"\n'
            "  access_policy = data.aws_iam_policy_document.vault.json\n}",
        ),
        references=(
            "https://docs.aws.amazon.com/amazonglacier/latest/dev/vault-access-policy.html",
        ),
        compliance=(APPI_26, GDPR_32),
    ),
    PolicySpec(
        service="backup",
        noun="vault",
        kind="backup.vault",
        what="AWS Backup vault",
        grants="copy, restore or delete its recovery points",
        risk=(
            "A backup vault holds full copies of databases, volumes and file systems. A "
            "vault access policy open to everyone lets strangers copy recovery points out or "
            "delete the backups you would restore from after ransomware."
        ),
        public_severity=Severity.CRITICAL,
        cross_severity=Severity.MEDIUM,
        console="AWS Backup console → Backup vaults → `<vault>` → Access policy → Edit.",
        verify="aws backup get-backup-vault-access-policy --backup-vault-name <vault>  "
        "# in account <account-id>",
        fix_cli=(
            "aws backup put-backup-vault-access-policy --backup-vault-name <vault> "
            "--policy file://policy.json",
            "aws backup delete-backup-vault-access-policy --backup-vault-name <vault>",
        ),
        terraform=_tf(
            "vault",
            '"backup:CopyIntoBackupVault"',
            '"*"',
            'resource "aws_backup_vault_policy" "this" {\n'
            "  backup_vault_name = aws_backup_vault.this.name\n"
            "  policy            = data.aws_iam_policy_document.vault.json\n}",
        ),
        references=(
            "https://docs.aws.amazon.com/aws-backup/latest/devguide/"
            "create-a-vault-access-policy.html",
        ),
        compliance=(APPI_26, GDPR_32),
    ),
    PolicySpec(
        service="dynamodb",
        noun="table",
        kind="database.table",
        what="DynamoDB table",
        grants="read or change its items",
        risk=(
            "The table is the data: a resource policy that grants dynamodb:GetItem, Query or "
            "Scan to everyone lets any AWS account holder read every item, and write actions "
            "let them change or delete records."
        ),
        public_severity=Severity.CRITICAL,
        cross_severity=Severity.MEDIUM,
        console="Amazon DynamoDB console → Tables → `<table>` → Permissions → Resource-based "
        "policy → Edit.",
        verify="aws dynamodb get-resource-policy --resource-arn "
        "arn:aws:dynamodb:<region>:<account-id>:table/<table>",
        fix_cli=(
            "aws dynamodb put-resource-policy --resource-arn "
            "arn:aws:dynamodb:<region>:<account-id>:table/<table> --policy file://policy.json",
            "aws dynamodb delete-resource-policy --resource-arn "
            "arn:aws:dynamodb:<region>:<account-id>:table/<table>",
        ),
        terraform=_tf(
            "table",
            '"dynamodb:GetItem", "dynamodb:Query"',
            "aws_dynamodb_table.this.arn",
            'resource "aws_dynamodb_resource_policy" "this" {\n'
            "  resource_arn = aws_dynamodb_table.this.arn\n"
            "  policy       = data.aws_iam_policy_document.table.json\n}",
        ),
        references=(
            "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/"
            "access-control-resource-based.html",
            "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/rbac-bpa-rbp.html",
        ),
        compliance=(APPI_26, GDPR_32, GDPR_33),
    ),
)

RULES: tuple[Rule, ...] = tuple(r for s in SPECS for r in (_public_rule(s), _cross_rule(s)))
