"""Fixtures of the investigation tests: a SQLite store with a settable clock, AWS clients on
moto's server, and a seeded cloud (buckets, a trail, access logging) with log files written in
AWS's documented formats (moto delivers neither trail files nor access logs itself)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from tests.investigate.builders import SetClock

from andon.collect.aws.transport import AwsClients
from andon.core.context import AwsTarget, Limits
from andon.store import Store

BUCKET, TRAIL_BUCKET, LOG_BUCKET = "telematics", "trail-logs", "access-logs"


@dataclass
class Cloud:
    url: str
    s3: Any
    store: Store
    clock: SetClock

    def clients(self, **creds: str) -> AwsClients:
        target = AwsTarget(
            endpoint_url=self.url,
            access_key_id=creds.get("key"),
            secret_access_key=creds.get("secret"),
        )
        return AwsClients(target, Limits(max_attempts=1))

    def put(self, bucket: str, key: str, body: bytes) -> None:
        self.s3.put_object(Bucket=bucket, Key=key, Body=body)


@pytest.fixture
def cloud(moto_url: str, aws_env: dict[str, str], tmp_path: Path) -> Iterator[Cloud]:
    s3 = boto3.client("s3", endpoint_url=moto_url)
    for name in (BUCKET, TRAIL_BUCKET, LOG_BUCKET):
        s3.create_bucket(Bucket=name)
    clock = SetClock()
    with Store(f"sqlite:///{tmp_path / 'andon.db'}", clock=clock) as store:
        yield Cloud(moto_url, s3, store, clock)


def enable_trail(cloud: Cloud, *, data_events: bool = True) -> None:
    ct = boto3.client("cloudtrail", endpoint_url=cloud.url)
    ct.create_trail(Name="main", S3BucketName=TRAIL_BUCKET, IsMultiRegionTrail=True)
    if data_events:
        ct.put_event_selectors(
            TrailName="main",
            EventSelectors=[
                {
                    "ReadWriteType": "All",
                    "IncludeManagementEvents": True,
                    "DataResources": [
                        {"Type": "AWS::S3::Object", "Values": [f"arn:aws:s3:::{BUCKET}/"]}
                    ],
                }
            ],
        )


def enable_logging(cloud: Cloud, prefix: str = "logs/") -> None:
    """Server access logging of BUCKET into LOG_BUCKET. moto then writes a log file of its
    own for each request to BUCKET, in a format that is *not* the documented one (the
    Request-URI unquoted): Andon counts those lines as malformed, as it should."""
    cloud.s3.put_bucket_acl(
        Bucket=LOG_BUCKET,
        GrantWrite="uri=http://acs.amazonaws.com/groups/s3/LogDelivery",
        GrantReadACP="uri=http://acs.amazonaws.com/groups/s3/LogDelivery",
    )
    cloud.s3.put_bucket_logging(
        Bucket=BUCKET,
        BucketLoggingStatus={
            "LoggingEnabled": {"TargetBucket": LOG_BUCKET, "TargetPrefix": prefix}
        },
    )
