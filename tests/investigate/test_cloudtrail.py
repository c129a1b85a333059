"""CloudTrail records, log files, LookupEvents answers, and what a change did.

Record shapes follow the CloudTrail User Guide, "CloudTrail record contents":
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html
LookupEvents answers follow the API reference:
https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html
"""

from __future__ import annotations

import gzip
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.investigate.builders import (
    ANONYMOUS_IDENTITY,
    PUBLIC_POLICY,
    trail_file,
    trail_key,
    trail_record,
)

from andon.investigate.cloudtrail import (
    TrailFileError,
    archive_key_time,
    effect,
    from_record,
    parse_lookup_page,
    read_trail_file,
)

WHEN = datetime(2026, 3, 2, 12, 30, tzinfo=UTC)


def test_a_documented_management_record_reduces_to_who_where_when() -> None:
    rec = trail_record("PutBucketPolicy", WHEN, "b", request={"bucketPolicy": PUBLIC_POLICY})
    e = from_record(rec)
    assert e is not None
    assert (e.time, e.name, e.bucket, e.source_ip) == (WHEN, "PutBucketPolicy", "b", "198.51.100.7")
    assert e.actor == "arn:aws:iam::123456789012:user/alice" and e.actor_account == "123456789012"
    assert e.user_agent.startswith("[aws-cli/") and e.succeeded and e.category == "Management"


def test_an_anonymous_data_event_with_bytes_out() -> None:
    rec = trail_record(
        "GetObject", WHEN, "b", who=ANONYMOUS_IDENTITY, category="Data", key="k", bytes_out=99
    )
    e = from_record(rec)
    assert e is not None and e.anonymous and e.bytes_out == 99 and e.key == "k"
    assert e.actor == "AWSAccount ANONYMOUS_PRINCIPAL"


def test_records_without_name_or_time_are_dropped() -> None:
    assert from_record({"eventName": "X"}) is None
    assert from_record({"eventTime": "not a time", "eventName": "X"}) is None


def test_trail_files_good_truncated_and_malformed() -> None:
    data = trail_file([trail_record("PutBucketAcl", WHEN, "b")])
    assert len(read_trail_file(io.BytesIO(data))) == 1
    with pytest.raises(TrailFileError, match="truncated"):
        read_trail_file(io.BytesIO(data[: len(data) // 2]))
    with pytest.raises(TrailFileError, match="truncated or not gzip"):
        read_trail_file(io.BytesIO(b"plain text"))
    with pytest.raises(TrailFileError, match="not JSON"):
        read_trail_file(io.BytesIO(gzip.compress(b'{"Records": [')))
    with pytest.raises(TrailFileError, match="Records"):
        read_trail_file(io.BytesIO(gzip.compress(b'{"records": []}')))
    with pytest.raises(TrailFileError, match="larger"):
        read_trail_file(io.BytesIO(data), max_bytes=10)


def test_archive_keys_with_and_without_prefix_and_organization() -> None:
    key = trail_key(WHEN, prefix="trails/")
    assert archive_key_time(key) == ("123456789012", "us-east-1", WHEN)
    org = key.replace("AWSLogs/", "AWSLogs/o-abc123def4/")
    assert archive_key_time(org) == ("123456789012", "us-east-1", WHEN)
    digest = key.replace("/CloudTrail/", "/CloudTrail-Digest/")
    assert archive_key_time(digest) is None


def test_lookup_events_answers_are_parsed_from_their_cloudtrail_event_strings() -> None:
    """The documented LookupEvents response shape (moto's server has no LookupEvents)."""
    rec = trail_record("DeleteBucketPublicAccessBlock", WHEN, "b")
    page = {
        "Events": [
            {
                "EventId": rec["eventID"],
                "EventName": "DeleteBucketPublicAccessBlock",
                "ReadOnly": "false",
                "AccessKeyId": "AKIAIOSFODNN7EXAMPLE",
                "EventTime": WHEN,
                "EventSource": "s3.amazonaws.com",
                "Username": "alice",
                "Resources": [{"ResourceType": "AWS::S3::Bucket", "ResourceName": "b"}],
                "CloudTrailEvent": json.dumps(rec),
            },
            {"EventName": "PutBucketAcl", "EventTime": WHEN, "CloudTrailEvent": "{broken"},
        ],
        "NextToken": "tok",
    }
    events = parse_lookup_page(page)
    assert [e.name for e in events] == ["DeleteBucketPublicAccessBlock", "PutBucketAcl"]
    assert events[0].actor.endswith("user/alice") and events[0].time == WHEN
    assert events[1].actor == "unknown"  # its record was unreadable: the name and time remain


def test_live_lookup_events() -> None:
    import moto.cloudtrail.responses as responses

    if not hasattr(responses.CloudTrailResponse, "lookup_events"):
        pytest.skip(
            "moto's server has no CloudTrail LookupEvents (moto 5.2.5): parsing is "
            "tested on documented response shapes instead"
        )


@pytest.mark.parametrize(
    "name, request_params, expected",
    [
        ("PutBucketPolicy", {"bucketPolicy": PUBLIC_POLICY}, "opens"),
        (
            "PutBucketPolicy",
            {
                "bucketPolicy": {
                    "Statement": [{**PUBLIC_POLICY["Statement"][0], "Condition": {"IpAddress": {}}}]
                }
            },
            "changes",
        ),
        ("PutBucketPolicy", {"bucketPolicy": json.dumps(PUBLIC_POLICY)}, "opens"),
        ("PutBucketAcl", {"x-amz-acl": ["public-read"]}, "opens"),
        ("PutBucketAcl", {"x-amz-acl": ["private"]}, "changes"),
        ("PutBucketAcl", {"x-amz-acl": "public-read"}, "opens"),
        (
            "PutBucketAcl",
            {
                "AccessControlPolicy": {
                    "AccessControlList": {
                        "Grant": [
                            {"Grantee": {"URI": "http://acs.amazonaws.com/groups/global/AllUsers"}}
                        ]
                    }
                }
            },
            "opens",
        ),
        ("PutBucketAcl", {"AccessControlPolicy": {}}, "changes"),
        ("DeleteBucketPolicy", {}, "closes"),
        ("DeleteBucketPublicAccessBlock", {}, "opens"),
        (
            "PutBucketPublicAccessBlock",
            {
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": True,
                    "IgnorePublicAcls": True,
                    "BlockPublicPolicy": True,
                    "RestrictPublicBuckets": True,
                }
            },
            "closes",
        ),
        (
            "PutBucketPublicAccessBlock",
            {"PublicAccessBlockConfiguration": {"RestrictPublicBuckets": False}},
            "opens",
        ),
        ("CreateBucket", {}, "created"),
        ("PutBucketWebsite", {}, "changes"),
        ("PutBucketLogging", {}, "logging"),
        ("GetObject", {}, "other"),
    ],
)
def test_effect_of_changes(name: str, request_params: dict[str, object], expected: str) -> None:
    e = from_record(trail_record(name, WHEN, "b", request=request_params))
    assert e is not None and effect(e)[0] == expected


def test_a_failed_change_changes_nothing() -> None:
    e = from_record(trail_record("DeleteBucketPolicy", WHEN, "b", error="AccessDenied"))
    assert e is not None and effect(e)[0] == "failed"


def test_records_time_is_utc_whatever_the_notation() -> None:
    rec = trail_record("PutBucketAcl", WHEN, "b")
    rec["eventTime"] = (WHEN + timedelta(hours=9)).strftime("%Y-%m-%dT%H:%M:%S+09:00")
    e = from_record(rec)
    assert e is not None and e.time == WHEN


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3)
    ),
    max_leaves=10,
)


@given(
    st.fixed_dictionaries(
        {},
        optional={
            "eventTime": st.one_of(st.just("2026-03-02T12:30:00Z"), st.text(max_size=10), _json),
            "eventName": st.one_of(
                st.sampled_from(
                    [
                        "PutBucketAcl",
                        "PutBucketPolicy",
                        "PutBucketPublicAccessBlock",
                        "PutObjectAcl",
                    ]
                ),
                _json,
            ),
            "userIdentity": _json,
            "requestParameters": _json
            | st.dictionaries(
                st.sampled_from(
                    ["x-amz-acl", "bucketPolicy", "PublicAccessBlockConfiguration", "bucketName"]
                ),
                _json | st.fixed_dictionaries({"Statement": _json}),
                max_size=3,
            ),
            "additionalEventData": _json,
            "resources": _json,
        },
    )
)
def test_hostile_records_never_crash(record: dict[str, object]) -> None:
    event = from_record(record)
    if event is not None:
        effect(event)
