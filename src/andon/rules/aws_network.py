"""Rules for what the network exposes: databases, instances, search domains, function URLs
and APIs (shared snapshots and images are in :mod:`andon.rules.aws_shares`).

Every matcher reads the :class:`~andon.core.model.Exposure` computed by
:mod:`andon.exposure.network`: a "public" rule fires on level PUBLIC, a "latent" rule on a
PRIVATE level with ``latent_access`` (one change away from public), a "cross-account" rule on
CROSS_ACCOUNT.
"""

from __future__ import annotations

from andon.core.model import Exposure, Level, Resource, Severity, sorted_access
from andon.rules.aws_services import REF_ANALYZER, TRUST_NOTE, level_is
from andon.rules.base import Compliance, Evidence, Remediation, Rule, RuleMeta
from andon.rules.s3 import APPI_26, FSBP, GDPR_32, GDPR_33

DATABASES = ("database.instance", "database.cluster")

_RDS = "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/"
_EC2 = "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/"
_SH = "https://docs.aws.amazon.com/securityhub/latest/userguide/"
REF_SG = "https://docs.aws.amazon.com/vpc/latest/userguide/vpc-security-groups.html"
REF_SG_RULES = _EC2 + "security-group-rules-reference.html"

CLI_REVOKE = (
    "aws ec2 revoke-security-group-ingress --group-id <sg-id> --protocol tcp --port <port> "
    "--cidr 0.0.0.0/0  # and --ip-permissions for ::/0 (account <account-id>)"
)
TF_INGRESS = """\
resource "aws_vpc_security_group_ingress_rule" "db" {
  security_group_id            = aws_security_group.db.id
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = aws_security_group.app.id  # never 0.0.0.0/0
}"""


def latent(resource: Resource, exposure: Exposure) -> Evidence | None:
    """Matches a PRIVATE verdict held only by one setting (a latent exposure)."""
    if exposure.level is not Level.PRIVATE or not exposure.latent:
        return None
    return {
        "level": exposure.level.value,
        "latent_access": [a.value for a in sorted_access(exposure.latent_access)],
    }


def _db_public(
    rid: str,
    what: str,
    kinds: tuple[str, ...],
    fix: str,
    verify: str,
    tf: str,
    refs: tuple[str, ...],
) -> Rule:
    return Rule(
        RuleMeta(
            id=rid,
            title=f"{what} is reachable from the internet on its database port",
            severity=Severity.CRITICAL,
            resource_kinds=kinds,
            risk=(
                f"The {what} has a public endpoint and a security group that admits the whole "
                "internet on its port: database scanners find such endpoints within hours and "
                "try default, leaked and weak passwords, and exploit engine vulnerabilities "
                "without any password at all. One success gives every table at once. If the "
                "tables hold personal data, a breach is reportable (APPI Art. 26, GDPR "
                "Art. 33)."
            ),
            description=(
                f"Fires when the {what}'s exposure is PUBLIC: PubliclyAccessible is true (for "
                "an Aurora cluster, on at least one member instance), a security group rule "
                "admits 0.0.0.0/0 or ::/0 (or a public range broader than /8) on the database "
                "port, and the subnets route to an internet gateway where that was collected."
            ),
            remediation=Remediation(
                summary=(
                    "Turn PubliclyAccessible off and remove the world-open security group "
                    "rule; reach the database from inside the VPC (application subnets, a "
                    "bastion through Session Manager, a VPN). Then check the database logs "
                    "for logins from unknown addresses."
                ),
                console=(
                    "RDS / Redshift console → the database → Modify → Connectivity → Public "
                    "access: No → Continue → Apply immediately.",
                    "VPC console → Security groups → the database's group → Inbound rules → "
                    "delete rules whose source is `0.0.0.0/0` or `::/0`; allow the "
                    "application's security group instead.",
                ),
                cli=(fix, CLI_REVOKE),
                terraform=f"{tf}\n\n{TF_INGRESS}",
            ),
            references=(*refs, REF_SG),
            verify=(
                verify,
                "aws ec2 describe-security-groups --group-ids <sg-id>  # account <account-id>",
            ),
            categories=("internet-exposed", "network", "data-protection"),
            compliance=(APPI_26, GDPR_32, GDPR_33),
            exemption_note=(
                "A database is not meant to face the internet. For a deliberate exception "
                "(a managed demo data set, say) tag it `andon:public=<reason>`."
            ),
        ),
        level_is(Level.PUBLIC),
    )


def _db_latent(rid: str, what: str, kinds: tuple[str, ...], fix: str, verify: str, tf: str) -> Rule:
    return Rule(
        RuleMeta(
            id=rid,
            title=f"{what} is publicly accessible but closed by its security groups (latent)",
            severity=Severity.MEDIUM,
            resource_kinds=kinds,
            risk=(
                f"The {what} already has a public endpoint; only the security group (or a "
                "missing internet route) keeps the world out. One rule added for a quick test "
                '("just my IP... 0.0.0.0/0 for now") or a shared security group edited for '
                "another service exposes it at once, with no change to the database itself."
            ),
            description=(
                f"Fires when the {what} has PubliclyAccessible true but its exposure is "
                "PRIVATE because no security group rule admits the world on its port, or "
                "because its subnets have no route to an internet gateway."
            ),
            remediation=Remediation(
                summary=(
                    "Turn PubliclyAccessible off: nothing reaches the database from the "
                    "internet today, so nothing breaks, and a later security group mistake "
                    "no longer exposes it."
                ),
                console=(
                    "RDS / Redshift console → the database → Modify → Connectivity → Public "
                    "access: No → Continue → Apply immediately.",
                ),
                cli=(fix,),
                terraform=tf,
            ),
            references=(_RDS + "USER_VPC.WorkingWithRDSInstanceinaVPC.html", REF_SG),
            verify=(verify,),
            categories=("latent-exposure", "network"),
            exemption_note=(
                "Tag `andon:public=<reason>` when a public endpoint is required (a partner "
                "connecting from fixed addresses through a narrow rule, say)."
            ),
        ),
        latent,
    )


RDS_FIX = (
    "aws rds modify-db-instance --db-instance-identifier <db-instance> --no-publicly-accessible "
    "--apply-immediately  # each instance of an Aurora cluster"
)
RDS_VERIFY = (
    "aws rds describe-db-instances --db-instance-identifier <db-instance> --query "
    "'DBInstances[].[PubliclyAccessible,VpcSecurityGroups]'  # account <account-id>"
)
RDS_TF = 'resource "aws_db_instance" "this" {\n  publicly_accessible = false\n  # ...\n}'
REDSHIFT_FIX = "aws redshift modify-cluster --cluster-identifier <cluster> --no-publicly-accessible"
REDSHIFT_VERIFY = (
    "aws redshift describe-clusters --cluster-identifier <cluster> --query "
    "'Clusters[].[PubliclyAccessible,VpcSecurityGroups]'  # account <account-id>"
)
REDSHIFT_TF = 'resource "aws_redshift_cluster" "this" {\n  publicly_accessible = false\n  # ...\n}'


def _rule(
    rid: str,
    title: str,
    kind: str,
    severity: Severity,
    risk: str,
    description: str,
    summary: str,
    console: tuple[str, ...],
    cli: tuple[str, ...],
    tf: str,
    refs: tuple[str, ...],
    verify: tuple[str, ...],
    categories: tuple[str, ...],
    exemption: str,
    level: Level = Level.PUBLIC,
    compliance: tuple[Compliance, ...] = (APPI_26, GDPR_32),
) -> Rule:
    return Rule(
        RuleMeta(
            id=rid,
            title=title,
            severity=severity,
            resource_kinds=(kind,),
            risk=risk,
            description=description,
            remediation=Remediation(summary, console, cli, tf),
            references=refs,
            verify=verify,
            categories=categories,
            compliance=compliance,
            exemption_note=exemption,
        ),
        level_is(level),
    )


_OS = "https://docs.aws.amazon.com/opensearch-service/latest/developerguide/"
OS_VERIFY = (
    "aws opensearch describe-domain --domain-name <domain> --query "
    "'DomainStatus.[VPCOptions,AccessPolicies]'  # account <account-id>",
)
OS_CLI = (
    "aws opensearch update-domain-config --domain-name <domain> "
    "--access-policies file://policy.json  # principals of account <account-id> only",
)
OS_TF = (
    'resource "aws_opensearch_domain" "this" {\n'
    '  domain_name = "<domain>"\n'
    "  vpc_options {\n"
    "    subnet_ids         = var.private_subnet_ids\n"
    "    security_group_ids = [aws_security_group.search.id]\n"
    "  }\n"
    "  advanced_security_options {\n"
    "    enabled = true\n"
    "  }\n}"
)
OS_REFS = (_OS + "ac.html", _OS + "vpc.html", _OS + "fgac.html", _SH + "opensearch-controls.html")

_LAMBDA = "https://docs.aws.amazon.com/lambda/latest/dg/"
_APIGW = "https://docs.aws.amazon.com/apigateway/latest/developerguide/"

RULES: tuple[Rule, ...] = (
    _db_public(
        "rds.database.public",
        "RDS database",
        DATABASES,
        RDS_FIX,
        RDS_VERIFY,
        RDS_TF,
        (
            _RDS + "USER_VPC.WorkingWithRDSInstanceinaVPC.html",
            _RDS + "Overview.RDSSecurityGroups.html",
            _SH + "rds-controls.html",
        ),
    ),
    _db_latent(
        "rds.database.latent_public", "RDS database", DATABASES, RDS_FIX, RDS_VERIFY, RDS_TF
    ),
    _db_public(
        "redshift.cluster.public",
        "Redshift cluster",
        ("warehouse.cluster",),
        REDSHIFT_FIX,
        REDSHIFT_VERIFY,
        REDSHIFT_TF,
        (
            "https://docs.aws.amazon.com/redshift/latest/mgmt/managing-clusters-vpc.html",
            _SH + "redshift-controls.html",
        ),
    ),
    _db_latent(
        "redshift.cluster.latent_public",
        "Redshift cluster",
        ("warehouse.cluster",),
        REDSHIFT_FIX,
        REDSHIFT_VERIFY,
        REDSHIFT_TF,
    ),
    _rule(
        "ec2.instance.public_data_port",
        "EC2 instance exposes a data store port to the internet",
        "compute.instance",
        Severity.HIGH,
        risk=(
            "The instance has a public address and a security group that admits the world on "
            "a port where data stores listen (PostgreSQL, MySQL, MongoDB, Redis, "
            "Elasticsearch, Kafka...). Self-managed data stores on instances are the classic "
            "source of mass leaks: many ship without authentication or with default "
            "credentials, and search engines for exposed services index them within hours."
        ),
        description=(
            "Fires when the instance's exposure is PUBLIC: a public IPv4 address or an IPv6 "
            "address, a route to an internet gateway where that was collected, and a security "
            "group rule admitting 0.0.0.0/0 or ::/0 (or a public range broader than /8) on a "
            "known data port. The reasons name the port and the rule."
        ),
        summary=(
            "Remove the world-open rule on the data port; reach the store from the "
            "application's security group, or through Session Manager port forwarding for "
            "administration. Check the service's own logs for unknown clients."
        ),
        console=(
            "EC2 console → Instances → `<instance-id>` → Security → the security group → "
            "Edit inbound rules → delete the rule whose source is `0.0.0.0/0` or `::/0` on "
            "the data port.",
        ),
        cli=(CLI_REVOKE,),
        tf=TF_INGRESS,
        refs=(REF_SG, REF_SG_RULES, _SH + "ec2-controls.html"),
        verify=(
            "aws ec2 describe-instances --instance-ids <instance-id> --query "
            "'Reservations[].Instances[].[PublicIpAddress,SecurityGroups]'",
            "aws ec2 describe-security-groups --group-ids <sg-id>  # account <account-id>",
        ),
        categories=("internet-exposed", "network"),
        exemption=(
            "A data store meant for the public (a read-only mirror, say) may be tagged "
            "`andon:public=<reason>`; it should still require authentication."
        ),
        compliance=(Compliance(FSBP, "EC2.19"), APPI_26, GDPR_32),
    ),
    _rule(
        "opensearch.domain.public",
        "OpenSearch domain is open to the internet",
        "search.domain",
        Severity.CRITICAL,
        risk=(
            "A domain outside a VPC has a public endpoint, and its access policy decides who "
            "may send requests. With a policy open to everyone, anyone can search, read and "
            "delete every index (logs, customer records, telemetry) with plain HTTP: open "
            "Elasticsearch and OpenSearch clusters are among the largest sources of leaked "
            "records on record, and ransom bots wipe them automatically."
        ),
        description=(
            "Fires when the domain's exposure is PUBLIC: it has no VPC options (a public "
            "endpoint) and its access policy grants everyone es:ESHttp* actions with no "
            "restricting condition."
        ),
        summary=(
            "Restrict the access policy to your IAM principals now (or to fixed source "
            "addresses as a stopgap); move the domain into a VPC (a new domain: VPC access "
            "cannot be added in place) and turn on fine-grained access control."
        ),
        console=(
            "OpenSearch Service console → Domains → `<domain>` → Security configuration → "
            "Edit → Access policy: only specific IAM principals of your account.",
            "For a lasting fix create the domain with VPC access and migrate (snapshot and "
            "restore).",
        ),
        cli=OS_CLI,
        tf=OS_TF,
        refs=OS_REFS,
        verify=OS_VERIFY,
        categories=("internet-exposed", "data-protection"),
        exemption=(
            "A search domain is almost never meant for anonymous access; a public read-only "
            "demo may be tagged `andon:public=<reason>`."
        ),
        compliance=(Compliance(FSBP, "Opensearch.2"), APPI_26, GDPR_32, GDPR_33),
    ),
    _rule(
        "opensearch.domain.cross_account",
        "OpenSearch domain policy grants accounts outside your trust zone",
        "search.domain",
        Severity.MEDIUM,
        risk=(
            "Principals of another account can query (or change) the domain's indexes "
            "through its access policy, whoever controls that account today."
        ),
        description=(
            "Fires when the domain's exposure is CROSS_ACCOUNT: its access policy grants an "
            "account or organization outside the trust zone."
        ),
        summary=(
            "Check that each outside account in the reasons still needs the domain; remove "
            "or narrow the grant, or trust the account in the config file if it is yours."
        ),
        console=(
            "OpenSearch Service console → Domains → `<domain>` → Security configuration → "
            "Edit → Access policy: remove the outside accounts.",
        ),
        cli=OS_CLI,
        tf=OS_TF,
        refs=(_OS + "ac.html", REF_ANALYZER),
        verify=OS_VERIFY,
        categories=("cross-account", "resource-policy"),
        exemption=TRUST_NOTE,
        level=Level.CROSS_ACCOUNT,
        compliance=(),
    ),
    _rule(
        "lambda.function_url.public",
        "Lambda function URL can be invoked by anyone without authentication",
        "compute.function_url",
        Severity.HIGH,
        risk=(
            "A function URL with AuthType NONE and a policy granting lambda:InvokeFunctionUrl "
            "to everyone is a public HTTPS endpoint: anyone on the internet runs the function "
            "with its execution role on their own input, reaching whatever the role can read "
            "or change, and you pay for every call."
        ),
        description=(
            "Fires when the function URL's exposure is PUBLIC: AuthType NONE and a "
            "resource-policy statement that lets everyone invoke the URL (and, for URLs "
            "created from October 2025, the function)."
        ),
        summary=(
            "Switch the URL to AuthType AWS_IAM (callers sign requests), or delete the URL "
            "and front the function with API Gateway and an authorizer. If the endpoint must "
            "be public, make the function authenticate callers itself and tag it."
        ),
        console=(
            "Lambda console → Functions → `<function>` → Configuration → Function URL → "
            "Edit → Auth type: AWS_IAM → Save.",
        ),
        cli=(
            "aws lambda update-function-url-config --function-name "
            "arn:aws:lambda:<region>:<account-id>:function:<function> --auth-type AWS_IAM",
            "aws lambda remove-permission --function-name <function> "
            "--statement-id FunctionURLAllowPublicAccess",
        ),
        tf=(
            'resource "aws_lambda_function_url" "this" {\n'
            "  function_name      = aws_lambda_function.this.function_name\n"
            '  authorization_type = "AWS_IAM"\n}'
        ),
        refs=(_LAMBDA + "urls-auth.html", _LAMBDA + "urls-configuration.html"),
        verify=(
            "aws lambda get-function-url-config --function-name "
            "arn:aws:lambda:<region>:<account-id>:function:<function>",
            "aws lambda get-policy --function-name <function>",
        ),
        categories=("internet-exposed", "compute"),
        exemption=(
            "A webhook receiver or public API may need an open URL: tag it "
            "`andon:public=<reason>` and make sure the function checks a signature or token."
        ),
        compliance=(),
    ),
    _rule(
        "apigateway.api.unauthenticated",
        "API Gateway API has methods anyone can call without authorization",
        "api.rest_api",
        Severity.HIGH,
        risk=(
            "Methods with authorization NONE on a public (edge or regional) endpoint answer "
            "anyone on the internet, unless a resource policy narrows the callers. Whatever "
            "the backend returns (records from a database, files from a bucket) is then "
            "public, and write methods let anyone change data."
        ),
        description=(
            "Fires when the API's exposure is PUBLIC: at least one method or route has "
            "authorization NONE, the endpoint is not PRIVATE, and the resource policy (when "
            "there is one) lets everyone invoke it. The reasons list the methods."
        ),
        summary=(
            "Put an authorizer (IAM, Cognito, a Lambda authorizer or JWT) on every method "
            "that serves data, or a resource policy limiting callers; use a PRIVATE endpoint "
            "for internal APIs. Methods that must stay open should serve nothing sensitive."
        ),
        console=(
            "API Gateway console → APIs → `<api-id>` → Resources → each method → Method "
            "request → Edit → Authorization: an authorizer or AWS_IAM → Deploy the API.",
        ),
        cli=(
            "aws apigateway update-method --rest-api-id <api-id> --resource-id <resource-id> "
            "--http-method GET --patch-operations op=replace,path=/authorizationType,"
            "value=AWS_IAM",
            "aws apigateway create-deployment --rest-api-id <api-id> --stage-name <stage>  "
            "# account <account-id>",
        ),
        tf=(
            'resource "aws_api_gateway_method" "get" {\n'
            "  rest_api_id   = aws_api_gateway_rest_api.this.id\n"
            "  resource_id   = aws_api_gateway_resource.items.id\n"
            '  http_method   = "GET"\n'
            '  authorization = "AWS_IAM"\n}'
        ),
        refs=(
            _APIGW + "apigateway-control-access-to-api.html",
            _APIGW + "apigateway-resource-policies.html",
            _APIGW + "apigateway-private-apis.html",
        ),
        verify=(
            "aws apigateway get-resources --rest-api-id <api-id> --embed methods  "
            "# authorizationType per method, account <account-id>",
        ),
        categories=("internet-exposed", "api"),
        exemption=(
            "A public API (a status endpoint, an open data API) is a legitimate exception: "
            "tag it `andon:public=<reason>` and keep sensitive methods authorized."
        ),
        compliance=(),
    ),
)
