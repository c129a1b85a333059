"""``investigate`` end to end over moto's server: trail files and access logs in buckets, the
store's history, and the verdicts (accessed / no outside access / cannot be determined)."""

from __future__ import annotations

import gzip
import json
from datetime import timedelta
from typing import Any

from tests.investigate.builders import (
    ANONYMOUS_IDENTITY,
    FOREIGN,
    OWNER_CANONICAL,
    PUBLIC_POLICY,
    T0,
    History,
    classified,
    identity,
    log_key,
    log_line,
    public_finding,
    seed_history,
    trail_file,
    trail_key,
    trail_record,
)
from tests.investigate.conftest import (
    BUCKET,
    LOG_BUCKET,
    TRAIL_BUCKET,
    Cloud,
    enable_logging,
    enable_trail,
)

from andon.investigate.run import Options, investigate
from andon.investigate.s3io import S3Location
from andon.report.incident import IncidentOptions, build_incident, to_markdown

DAY = timedelta(days=1)
OPENED = T0 + DAY  # the public policy is put
DETECTED = T0 + 2 * DAY
CLOSED = T0 + 4 * DAY  # the policy is deleted
FIXED = T0 + 5 * DAY  # the scan that finds it resolved
NOW = T0 + 6 * DAY
MOTO_OWN = "moto-native/"  # where moto's own (undocumented-format) log lines go
LOGS = S3Location(LOG_BUCKET, "logs/")  # where the documented-format files are written
SECRET_KEY = "customers/taro.yamada@example.com/JTDKB20U793512345.csv"


def seed_trail(cloud: Cloud, *, truncated: bool = False, reads: bool = True) -> None:
    """Change events; with ``reads``, an anonymous GetObject data event too."""
    cloud.put(
        TRAIL_BUCKET,
        trail_key(OPENED),
        trail_file(
            [
                trail_record(
                    "PutBucketPolicy", OPENED, BUCKET, request={"bucketPolicy": PUBLIC_POLICY}
                ),
                trail_record(
                    "PutBucketPolicy",
                    OPENED,
                    "someone-else",
                    request={"bucketPolicy": PUBLIC_POLICY},
                ),
                trail_record(
                    "DeleteBucketPolicy",
                    OPENED + timedelta(minutes=1),
                    BUCKET,
                    error="AccessDenied",
                ),
            ]
        ),
    )
    if reads:
        cloud.put(
            TRAIL_BUCKET,
            trail_key(T0 + 3 * DAY),
            trail_file(
                [
                    trail_record(
                        "GetObject",
                        T0 + 3 * DAY,
                        BUCKET,
                        who=ANONYMOUS_IDENTITY,
                        ip="192.0.2.44",
                        category="Data",
                        key=SECRET_KEY,
                        bytes_out=2048,
                    ),
                ]
            ),
        )
    cloud.put(
        TRAIL_BUCKET,
        trail_key(CLOSED),
        trail_file(
            [
                trail_record(
                    "DeleteBucketPolicy", CLOSED, BUCKET, who=identity(user="bob"), ip="10.0.0.5"
                )
            ]
        ),
    )
    if truncated:
        data = trail_file([trail_record("PutBucketAcl", CLOSED, BUCKET)])
        cloud.put(TRAIL_BUCKET, trail_key(CLOSED + timedelta(hours=1)), data[: len(data) // 2])
        cloud.put(TRAIL_BUCKET, trail_key(CLOSED + 2 * timedelta(hours=1)), gzip.compress(b"{"))
    cloud.put(TRAIL_BUCKET, "AWSLogs/123456789012/CloudTrail-Digest/x.json.gz", b"digest")


def seed_logs(cloud: Cloud, *, outside: bool, malformed: bool = False) -> None:
    own = OWNER_CANONICAL
    # delivered before the window: skipped (it cannot hold requests of the window)
    cloud.put(LOG_BUCKET, log_key(T0), log_line(BUCKET, T0, requester=own).encode())
    lines = [
        log_line(BUCKET, DETECTED, requester=own, operation="REST.GET.BUCKETPOLICY", key="-"),
        log_line("other-bucket", DETECTED, ip="203.0.113.200"),  # another bucket's logs
        log_line(
            BUCKET,
            T0 + 3 * DAY,
            requester=f"arn:aws:iam::{FOREIGN}:user/mallory",
            status=403,
            ip="2001:db8::1",
        ),
    ]
    if outside:
        lines.append(log_line(BUCKET, T0 + 3 * DAY, ip="203.0.113.9", key=SECRET_KEY, sent=4096))
        lines.append(
            log_line(BUCKET, T0 + 3 * DAY + timedelta(hours=1), ip="203.0.113.10", key="a" * 1500)
        )
    if malformed:
        lines.append("this line is cut")
    cloud.put(LOG_BUCKET, log_key(T0 + 3 * DAY + timedelta(hours=2)), "\n".join(lines).encode())
    after = log_line(
        BUCKET, FIXED + timedelta(hours=1), requester=own, operation="REST.GET.ACL", key="-"
    )
    cloud.put(LOG_BUCKET, log_key(FIXED + timedelta(hours=2)), after.encode())


def seed_store(cloud: Cloud, persons: int = 1500) -> str:
    f = public_finding(BUCKET, classified(persons))
    seed_history(cloud.store, cloud.clock, f, History(clean=T0, detected=DETECTED, fixed=FIXED))
    return f.id


def run(cloud: Cloud, fid: str, **kw: Any) -> dict[str, Any]:
    with cloud.clients() as clients:
        return investigate(cloud.store, fid, clients, Options(**kw), now=NOW)


def test_accessed_from_outside_with_the_change_that_opened_it(cloud: Cloud) -> None:
    enable_trail(cloud)
    enable_logging(cloud)
    seed_trail(cloud, truncated=True)
    seed_logs(cloud, outside=True, malformed=True)
    result = run(cloud, seed_store(cloud))
    w = result["window"]
    assert w["start"] == OPENED.isoformat() and w["start_established"]
    assert (
        "PutBucketPolicy by arn:aws:iam::123456789012:user/alice from 198.51.100.7"
        in (w["start_statement"])
    )
    assert w["end"] == CLOSED.isoformat() and "user/bob" in w["end_statement"]
    effects = [(e["what"], e["effect"]) for e in result["timeline"] if e["source"] == "cloudtrail"]
    assert effects == [
        ("PutBucketPolicy", "opens"),
        ("DeleteBucketPolicy", "failed"),
        ("DeleteBucketPolicy", "closes"),
    ]
    acc = result["access"]
    assert acc["verdict"] == "accessed"
    out = acc["outside"]
    # 2 anonymous reads in the access logs + 1 anonymous GetObject data event; 1 refused
    assert (out["succeeded"], out["denied_or_failed"]) == (3, 1)
    assert out["by_principal"] == {"anonymous": 3, "foreign": 1}
    assert out["distinct_ips"] == 3 and out["bytes_sent"] == 4096 * 2 + 2048
    assert out["first"] == (T0 + 3 * DAY).isoformat()
    sources = {s["source"]: s for s in acc["sources"]}
    logs = sources["s3_server_access_logs"]
    # malformed: our cut line, and the line moto itself wrote for GetBucketLogging (moto's
    # delivery does not quote the Request-URI as the documented format does)
    assert logs["other_bucket_records"] == 1 and logs["malformed_lines"] == 2, logs["problems"]
    assert logs["files_skipped_before_window"] == 1
    archive = next(s for s in result["change_sources"] if s["source"] == "cloudtrail_archive")
    assert archive["files_failed"] == 2
    assert "truncated" in archive["problems"][0] and "not JSON" in archive["problems"][0]
    assert any("malformed" in m["why"] for m in acc["missing"])
    lookup = next(s for s in result["change_sources"] if s["source"] == "cloudtrail_lookup")
    assert not lookup["complete"]  # moto has no LookupEvents: recorded, not fatal
    assert result["impact"]["persons_seen"] == 1500


def test_no_outside_access_in_complete_logs(cloud: Cloud) -> None:
    enable_trail(cloud, data_events=False)
    enable_logging(cloud, prefix=MOTO_OWN)
    seed_trail(cloud, reads=False)
    # the trail holds an anonymous data event, but this trail does not log data events: its
    # records are not access evidence here, only the access logs count
    seed_logs(cloud, outside=False)
    result = run(cloud, seed_store(cloud), lookup=False, access_logs=LOGS)
    acc = result["access"]
    assert acc["verdict"] == "no_outside_access", json.dumps(acc, indent=1)
    assert acc["outside"]["denied_or_failed"] == 1 and acc["outside"]["succeeded"] == 0
    assert acc["coverage"][0]["from"] == OPENED.isoformat()


def test_malformed_logs_make_it_undetermined_never_no_access(cloud: Cloud) -> None:
    enable_trail(cloud, data_events=False)
    enable_logging(cloud, prefix=MOTO_OWN)
    seed_trail(cloud, reads=False)
    seed_logs(cloud, outside=False, malformed=True)
    acc = run(cloud, seed_store(cloud), lookup=False, access_logs=LOGS)["access"]
    assert acc["verdict"] == "undetermined"
    assert any("malformed" in m["why"] for m in acc["missing"])


def test_access_denied_on_the_log_bucket_is_stated(cloud: Cloud, moto_iam_user: Any) -> None:
    enable_trail(cloud, data_events=False)
    enable_logging(cloud, prefix=MOTO_OWN)
    seed_trail(cloud, reads=False)
    seed_logs(cloud, outside=False)
    fid = seed_store(cloud)
    key, secret = moto_iam_user(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "*", "Resource": "*"},
                {
                    "Effect": "Deny",
                    "Action": "s3:*",
                    "Resource": [f"arn:aws:s3:::{LOG_BUCKET}", f"arn:aws:s3:::{LOG_BUCKET}/*"],
                },
            ],
        }
    )
    with cloud.clients(key=key, secret=secret) as clients:
        result = investigate(
            cloud.store, fid, clients, Options(lookup=False, access_logs=LOGS), now=NOW
        )
    acc = result["access"]
    assert acc["verdict"] == "undetermined"
    assert "AccessDenied" in acc["sources"][0]["problems"][0]
    assert any("AccessDenied" in m["why"] for m in acc["missing"])
    report = build_incident(result, [], IncidentOptions(), NOW)
    evidence = to_markdown(report).split("## Access evidence")[1].split("## Data impact")[0]
    assert "undetermined" in evidence and "AccessDenied" in evidence
    assert report["appi"]["leak"] == "possible_leak"


def test_no_trail_no_logging_start_not_established(cloud: Cloud) -> None:
    f = public_finding(BUCKET)
    seed_history(cloud.store, cloud.clock, f, History(clean=None, detected=DETECTED))
    result = run(cloud, f.id)
    w = result["window"]
    assert not w["start_established"] and w["start"] is None and w["open"]
    assert w["exposed_since_at_least"] == DETECTED.isoformat()
    assert "Not established" in w["start_statement"]
    acc = result["access"]
    assert acc["verdict"] == "undetermined"
    assert any("logging is off" in m["source"] for m in acc["missing"])
    assert not result["impact"]["classified"]


def test_given_locations_and_offline(cloud: Cloud) -> None:
    seed_trail(cloud)
    seed_logs(cloud, outside=True)
    fid = seed_store(cloud)
    # an organization trail's layout is read; another region's and account's files are not
    created = T0 - DAY
    org = trail_key(created).replace("AWSLogs/", "AWSLogs/o-abc123def4/")
    cloud.put(TRAIL_BUCKET, org, trail_file([trail_record("CreateBucket", created, BUCKET)]))
    elsewhere = trail_file([trail_record("DeleteBucketPolicy", T0, BUCKET)])
    cloud.put(TRAIL_BUCKET, trail_key(T0, region="eu-west-1"), elsewhere)
    cloud.put(TRAIL_BUCKET, trail_key(T0, account="999999999999"), elsewhere)
    result = run(
        cloud,
        fid,
        lookup=False,
        trail=S3Location(TRAIL_BUCKET),
        access_logs=S3Location(LOG_BUCKET, "logs/"),
    )
    assert result["window"]["start_established"]
    assert result["access"]["verdict"] == "accessed"
    whats = [(e["what"], e["at"]) for e in result["timeline"] if e["source"] == "cloudtrail"]
    assert whats[0] == ("CreateBucket", created.isoformat())
    assert ("DeleteBucketPolicy", T0.isoformat()) not in whats
    archive = next(s for s in result["change_sources"] if s["source"] == "cloudtrail_archive")
    assert archive["files_listed"] == 4  # 3 of the account in us-east-1, 1 of the organization
    offline = investigate(cloud.store, fid[:8], None, now=NOW)
    assert offline["access"]["verdict"] == "undetermined"
    assert offline["finding"]["id"] == fid


def test_config_history_where_the_recorder_is_on(cloud: Cloud) -> None:
    """moto returns the current configuration item only (no history): one item, or a
    recorded failure; without a recorder, the absence is stated."""
    import boto3

    from andon.investigate.config_history import config_history

    with cloud.clients() as clients:
        none = config_history(clients, "us-east-1", "storage.bucket", BUCKET)
        assert none.recorder == "none" and "no AWS Config recorder" in none.error
        config = boto3.client("config", endpoint_url=cloud.url)
        config.put_configuration_recorder(
            ConfigurationRecorder={
                "name": "default",
                "roleARN": "arn:aws:iam::123456789012:role/config",
                "recordingGroup": {"allSupported": True},
            }
        )
        config.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": LOG_BUCKET})
        config.start_configuration_recorder(ConfigurationRecorderName="default")
        history = config_history(clients, "us-east-1", "storage.bucket", BUCKET)
        assert history.recorder.startswith("on")
        assert len(history.items) == 1 or history.error, history
        other = config_history(clients, "us-east-1", "compute.instance", "i-1")
        assert "not read" in other.error
