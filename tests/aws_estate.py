"""Seed an estate of every resource type Andon collects on a moto server (tests and bench).

Not a test module. ``seed_region(session, url, region, count)`` creates ``count`` resources of
each type in one (account, region); ``count_of`` says how many resources that yields. Every
third resource of a type is exposed (public policy, public flag and open security group,
shared with ``all``), so scans find something everywhere. Multi-account estates are built
with :func:`organization`: moto's Organizations creates the member accounts and
``AssumeRole`` (into any role name: moto does not check it) gives their credentials.

moto gaps that shape this seed: no Glacier or Backup vault access policies (the collectors'
Get calls fail there, which the scan records as per-resource gaps); ``run_instances`` and
``create_image`` need an AMI id from moto's preset images; no default DB subnet group.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config

ACCOUNT_PUBLIC = json.dumps  # alias kept short in the seeders below

CONFIG = Config(retries={"max_attempts": 2, "mode": "standard"}, s3={"addressing_style": "path"})

# resources per type produced by one unit of ``count`` (per region)
PER_UNIT: dict[str, int] = {
    "s3": 1,
    "sqs": 1,
    "sns": 1,
    "kms": 1,
    "secretsmanager": 1,
    "ecr": 1,
    "efs": 1,
    "lambda": 2,  # the function and its URL
    "opensearch": 1,
    "glacier": 1,
    "backup": 1,
    "apigateway": 1,
    "dynamodb": 1,
    "rds": 4,  # an instance, its snapshot, an Aurora cluster, its snapshot
    "redshift": 1,
    "ec2": 4,  # an instance, a volume snapshot, an image and its root snapshot (moto)
}


def count_of(count: int, services: tuple[str, ...] | None = None) -> int:
    """Resources one :func:`seed_region` call with ``count`` creates (S3 buckets included)."""
    return sum(n * count for s, n in PER_UNIT.items() if services is None or s in services)


def _statement(principal: Any, action: Any, resource: str, public: bool) -> str:
    who = "*" if public else {"AWS": "arn:aws:iam::111122223333:root"}
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "Seeded",
                    "Effect": "Allow",
                    "Principal": who if principal is None else principal,
                    "Action": action,
                    "Resource": resource,
                }
            ],
        }
    )


class Seeder:
    """Creates resources in one (account, region) through ``session``."""

    def __init__(self, session: boto3.Session, url: str, region: str, prefix: str) -> None:
        self.session = session
        self.url = url
        self.region = region
        self.prefix = prefix
        self.account = self.client("sts").get_caller_identity()["Account"]
        self._network: tuple[str, list[str]] | None = None
        self._ami: str | None = None

    def client(self, service: str) -> Any:
        return self.session.client(
            service, endpoint_url=self.url, region_name=self.region, config=CONFIG
        )

    def name(self, kind: str, i: int) -> str:
        return f"{self.prefix}-{kind}-{i:05d}"

    def arn(self, service: str, rest: str) -> str:
        return f"arn:aws:{service}:{self.region}:{self.account}:{rest}"

    # -- network plumbing --------------------------------------------------------------

    def network(self) -> tuple[str, list[str]]:
        """A VPC with an internet route, two subnets, and a security group open on 5432."""
        if self._network is None:
            ec2 = self.client("ec2")
            vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
            igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
            ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
            table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
            ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
            subnets = []
            for n, zone in enumerate(("a", "b")):
                sid = ec2.create_subnet(
                    VpcId=vpc, CidrBlock=f"10.8.{n}.0/24", AvailabilityZone=f"{self.region}{zone}"
                )["Subnet"]["SubnetId"]
                ec2.associate_route_table(RouteTableId=table, SubnetId=sid)
                subnets.append(sid)
            sg = ec2.create_security_group(
                GroupName=f"{self.prefix}-open", Description="open", VpcId=vpc
            )["GroupId"]
            ec2.authorize_security_group_ingress(
                GroupId=sg,
                IpPermissions=[
                    {
                        "IpProtocol": "tcp",
                        "FromPort": port,
                        "ToPort": port,
                        "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                    }
                    for port in (5432, 5439, 3306)
                ],
            )
            self._network = (sg, subnets)
        return self._network

    def ami(self) -> str:
        if self._ami is None:
            images = self.client("ec2").describe_images(Owners=["amazon"])["Images"]
            self._ami = str(images[0]["ImageId"])
        return self._ami

    # -- one seeder per service --------------------------------------------------------

    def s3(self, i: int, public: bool) -> None:
        s3 = self.client("s3")
        name = self.name("bucket", i).lower()
        if self.region == "us-east-1":
            s3.create_bucket(Bucket=name)
        else:
            s3.create_bucket(
                Bucket=name, CreateBucketConfiguration={"LocationConstraint": self.region}
            )
        if public:
            s3.put_bucket_policy(
                Bucket=name,
                Policy=_statement(None, "s3:GetObject", f"arn:aws:s3:::{name}/*", True),
            )

    def sqs(self, i: int, public: bool) -> None:
        sqs = self.client("sqs")
        url = sqs.create_queue(QueueName=self.name("queue", i))["QueueUrl"]
        arn = self.arn("sqs", self.name("queue", i))
        sqs.set_queue_attributes(
            QueueUrl=url, Attributes={"Policy": _statement(None, "sqs:*", arn, public)}
        )

    def sns(self, i: int, public: bool) -> None:
        sns = self.client("sns")
        arn = sns.create_topic(Name=self.name("topic", i))["TopicArn"]
        sns.set_topic_attributes(
            TopicArn=arn,
            AttributeName="Policy",
            AttributeValue=_statement(None, "sns:Subscribe", arn, public),
        )

    def kms(self, i: int, public: bool) -> None:
        kms = self.client("kms")
        key = kms.create_key(Description=self.name("key", i))["KeyMetadata"]["KeyId"]
        kms.put_key_policy(
            KeyId=key, PolicyName="default", Policy=_statement(None, "kms:Decrypt", "*", public)
        )

    def secretsmanager(self, i: int, public: bool) -> None:
        sm = self.client("secretsmanager")
        arn = sm.create_secret(Name=self.name("secret", i), SecretString="x")["ARN"]
        sm.put_resource_policy(
            SecretId=arn,
            ResourcePolicy=_statement(None, "secretsmanager:GetSecretValue", "*", public),
        )

    def ecr(self, i: int, public: bool) -> None:
        ecr = self.client("ecr")
        name = self.name("repo", i).lower()
        ecr.create_repository(repositoryName=name)
        ecr.set_repository_policy(
            repositoryName=name,
            policyText=_statement(None, "ecr:BatchGetImage", "*", public).replace(
                ', "Resource": "*"', ""
            ),
        )

    def efs(self, i: int, public: bool) -> None:
        efs = self.client("efs")
        fs = efs.create_file_system(CreationToken=self.name("fs", i))["FileSystemId"]
        efs.put_file_system_policy(
            FileSystemId=fs,
            Policy=_statement(
                None,
                "elasticfilesystem:ClientMount",
                self.arn("elasticfilesystem", f"file-system/{fs}"),
                public,
            ),
        )

    def lambda_(self, i: int, public: bool) -> None:
        fns = self.client("lambda")
        role = self.role()
        name = self.name("fn", i)
        fns.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role,
            Handler="index.handler",
            Code={"ZipFile": _zip()},
        )
        fns.create_function_url_config(FunctionName=name, AuthType="NONE" if public else "AWS_IAM")
        if public:
            fns.add_permission(
                FunctionName=name,
                StatementId="FunctionURLAllowPublicAccess",
                Action="lambda:InvokeFunctionUrl",
                Principal="*",
                FunctionUrlAuthType="NONE",
            )

    _role: str | None = None

    def role(self) -> str:
        if self._role is None:
            iam = self.client("iam")
            name = f"{self.prefix}-{self.region}-fn"
            self._role = iam.create_role(
                RoleName=name,
                AssumeRolePolicyDocument=json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": "lambda.amazonaws.com"},
                                "Action": "sts:AssumeRole",
                            }
                        ],
                    }
                ),
            )["Role"]["Arn"]
        return self._role

    def opensearch(self, i: int, public: bool) -> None:
        name = self.name("search", i).lower()[:28]
        self.client("opensearch").create_domain(
            DomainName=name,
            AccessPolicies=_statement(
                None, "es:ESHttpGet", self.arn("es", f"domain/{name}/*"), public
            ),
        )

    def glacier(self, i: int, public: bool) -> None:
        self.client("glacier").create_vault(vaultName=self.name("vault", i))

    def backup(self, i: int, public: bool) -> None:
        self.client("backup").create_backup_vault(BackupVaultName=self.name("bvault", i))

    def apigateway(self, i: int, public: bool) -> None:
        api = self.client("apigateway")
        rest = api.create_rest_api(name=self.name("api", i))["id"]
        root = api.get_resources(restApiId=rest)["items"][0]["id"]
        api.put_method(
            restApiId=rest,
            resourceId=root,
            httpMethod="GET",
            authorizationType="NONE" if public else "AWS_IAM",
        )

    def dynamodb(self, i: int, public: bool) -> None:
        ddb = self.client("dynamodb")
        name = self.name("table", i)
        arn = ddb.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )["TableDescription"]["TableArn"]
        ddb.put_resource_policy(
            ResourceArn=arn, Policy=_statement(None, "dynamodb:GetItem", arn, public)
        )

    _subnet_group: str | None = None

    def rds(self, i: int, public: bool) -> None:
        rds = self.client("rds")
        sg, subnets = self.network()
        if self._subnet_group is None:
            self._subnet_group = f"{self.prefix}-db"
            rds.create_db_subnet_group(
                DBSubnetGroupName=self._subnet_group,
                DBSubnetGroupDescription="seeded",
                SubnetIds=subnets,
            )
        ident = self.name("db", i).lower()
        rds.create_db_instance(
            DBInstanceIdentifier=ident,
            DBInstanceClass="db.t3.micro",
            Engine="postgres",
            MasterUsername="admin",
            MasterUserPassword="Passw0rd-seeded",
            AllocatedStorage=20,
            PubliclyAccessible=public,
            VpcSecurityGroupIds=[sg],
            DBSubnetGroupName=self._subnet_group,
        )
        snap = self.name("dbsnap", i).lower()
        rds.create_db_snapshot(DBSnapshotIdentifier=snap, DBInstanceIdentifier=ident)
        cluster = self.name("aurora", i).lower()
        rds.create_db_cluster(
            DBClusterIdentifier=cluster,
            Engine="aurora-postgresql",
            MasterUsername="admin",
            MasterUserPassword="Passw0rd-seeded",
            VpcSecurityGroupIds=[sg],
            DBSubnetGroupName=self._subnet_group,
        )
        csnap = self.name("aurorasnap", i).lower()
        rds.create_db_cluster_snapshot(
            DBClusterSnapshotIdentifier=csnap, DBClusterIdentifier=cluster
        )
        if public:
            rds.modify_db_snapshot_attribute(
                DBSnapshotIdentifier=snap, AttributeName="restore", ValuesToAdd=["all"]
            )
            rds.modify_db_cluster_snapshot_attribute(
                DBClusterSnapshotIdentifier=csnap, AttributeName="restore", ValuesToAdd=["all"]
            )

    def redshift(self, i: int, public: bool) -> None:
        sg, _ = self.network()
        self.client("redshift").create_cluster(
            ClusterIdentifier=self.name("dw", i).lower(),
            NodeType="dc2.large",
            ClusterType="single-node",
            MasterUsername="admin",
            MasterUserPassword="Passw0rd-seeded",
            PubliclyAccessible=public,
            VpcSecurityGroupIds=[sg],
        )

    def ec2(self, i: int, public: bool) -> None:
        ec2 = self.client("ec2")
        sg, subnets = self.network()
        instance = ec2.run_instances(
            ImageId=self.ami(),
            MinCount=1,
            MaxCount=1,
            InstanceType="t3.micro",
            NetworkInterfaces=[
                {
                    "DeviceIndex": 0,
                    "SubnetId": subnets[0],
                    "Groups": [sg],
                    "AssociatePublicIpAddress": public,
                }
            ],
        )["Instances"][0]["InstanceId"]
        volume = ec2.create_volume(AvailabilityZone=f"{self.region}a", Size=1)["VolumeId"]
        snap = ec2.create_snapshot(VolumeId=volume)["SnapshotId"]
        image = ec2.create_image(InstanceId=instance, Name=self.name("image", i))["ImageId"]
        if public:
            ec2.modify_snapshot_attribute(
                SnapshotId=snap,
                Attribute="createVolumePermission",
                OperationType="add",
                GroupNames=["all"],
            )
            ec2.modify_image_attribute(ImageId=image, LaunchPermission={"Add": [{"Group": "all"}]})


SEEDERS: dict[str, Callable[[Seeder, int, bool], None]] = {
    "s3": Seeder.s3,
    "sqs": Seeder.sqs,
    "sns": Seeder.sns,
    "kms": Seeder.kms,
    "secretsmanager": Seeder.secretsmanager,
    "ecr": Seeder.ecr,
    "efs": Seeder.efs,
    "lambda": Seeder.lambda_,
    "opensearch": Seeder.opensearch,
    "glacier": Seeder.glacier,
    "backup": Seeder.backup,
    "apigateway": Seeder.apigateway,
    "dynamodb": Seeder.dynamodb,
    "rds": Seeder.rds,
    "redshift": Seeder.redshift,
    "ec2": Seeder.ec2,
}


def seed_region(
    session: boto3.Session,
    url: str,
    region: str,
    count: int,
    *,
    prefix: str = "andon",
    services: tuple[str, ...] | None = None,
    start: int = 0,
) -> int:
    """Create ``count`` resources of each type (``services``: only those); every third one
    exposed. Returns how many resources a scan should find (:func:`count_of`)."""
    seeder = Seeder(session, url, region, prefix)
    for name, seed in SEEDERS.items():
        if services is not None and name not in services:
            continue
        for i in range(start, start + count):
            seed(seeder, i, i % 3 == 0)
    return count_of(count, services)


def organization(url: str, members: int, *, role: str = "AndonAudit") -> list[boto3.Session]:
    """An organization with ``members`` new accounts; the management account's session
    first, then one session per member (credentials from AssumeRole into ``role``)."""
    base = boto3.Session(region_name="us-east-1")
    org = base.client("organizations", endpoint_url=url, config=CONFIG)
    org.create_organization(FeatureSet="ALL")
    sts = base.client("sts", endpoint_url=url, config=CONFIG)
    sessions = [base]
    for n in range(members):
        status = org.create_account(AccountName=f"member-{n}", Email=f"member-{n}@example.com")
        account = status["CreateAccountStatus"]["AccountId"]
        creds = sts.assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/{role}", RoleSessionName="seed"
        )["Credentials"]
        sessions.append(
            boto3.Session(
                aws_access_key_id=creds["AccessKeyId"],
                aws_secret_access_key=creds["SecretAccessKey"],
                aws_session_token=creds["SessionToken"],
                region_name="us-east-1",
            )
        )
    return sessions


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("index.py", "def handler(event, context):\n    return 'ok'\n")
    return buf.getvalue()
