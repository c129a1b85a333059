"""Pure parts of planning: fingerprints, the MAC, security-group narrowing, policy narrowing."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from andon.exposure.network import DATA_PORTS
from andon.remediate.ec2 import _group_transform, _split
from andon.remediate.fingerprint import fingerprint, sign, verify
from andon.remediate.model import CannotPlan
from andon.remediate.policies import _public, narrow

TARGET = {
    "service": "sqs",
    "arn": "arn:aws:sqs:us-east-1:123456789012:q",
    "account": "123456789012",
}


def test_fingerprints_compare_policies_as_documents() -> None:
    a = {"policy": json.dumps({"Statement": [{"Effect": "Allow"}], "Version": "2012-10-17"})}
    b = {"policy": '{"Version":"2012-10-17",  "Statement":[{"Effect":"Allow"}]}'}
    assert fingerprint(a) == fingerprint(b)
    assert fingerprint(a) != fingerprint({"policy": None}) != fingerprint(None)


def test_the_mac_covers_every_field() -> None:
    doc = {"id": "p", "entries": [{"after": {"x": 1}}]}
    doc["mac"] = sign(doc, b"k" * 32)
    assert verify(doc, b"k" * 32)
    assert not verify({**doc, "entries": [{"after": {"x": 2}}]}, b"k" * 32)
    assert not verify(doc, b"j" * 32)
    assert not verify({k: v for k, v in doc.items() if k != "mac"}, b"k" * 32)


@given(
    st.integers(0, 65535).flatmap(lambda lo: st.tuples(st.just(lo), st.integers(lo, 65535))),
    st.sets(st.integers(0, 65535), max_size=6),
)
def test_split_keeps_every_port_but_the_closed_ones(
    bounds: tuple[int, int], ports: set[int]
) -> None:
    lo, hi = bounds
    ranges = _split(lo, hi, sorted(ports))
    covered: set[int] = set()
    for a, b in ranges:
        assert lo <= a <= b <= hi
        covered |= set(range(a, b + 1)) if b - a < 5000 else {a, b}
    assert not covered & ports
    for p in {lo, hi, (lo + hi) // 2} - ports:
        assert any(a <= p <= b for a, b in ranges)


def test_world_rules_lose_only_the_data_ports() -> None:
    before = {
        "world": [
            ["-1", None, None, "::/0"],
            ["tcp", 443, 443, "0.0.0.0/0"],
            ["tcp", 0, 65535, "0.0.0.0/0"],
        ]
    }
    after = _group_transform(before, {}, {"ports": [5432, 3306]})["world"]
    assert ["tcp", 443, 443, "0.0.0.0/0"] in after
    assert ["tcp", 0, 3305, "0.0.0.0/0"] in after and ["tcp", 5433, 65535, "0.0.0.0/0"] in after
    assert ["udp", 0, 65535, "::/0"] in after and ["icmpv6", -1, -1, "::/0"] in after
    assert not any(r[0] == "-1" for r in after)
    for r in after:
        if r[0] == "tcp":
            assert not (r[1] <= 5432 <= r[2] or r[1] <= 3306 <= r[2])
    default = _group_transform({"world": [["tcp", 0, 65535, "0.0.0.0/0"]]}, {}, {})["world"]
    assert all(not (r[1] <= p <= r[2]) for r in default for p in DATA_PORTS)


def test_narrowing_keeps_other_grants_and_owner_access() -> None:
    policy = json.dumps(
        {
            "Statement": [
                {
                    "Sid": "Public",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "sqs:*",
                    "Resource": TARGET["arn"],
                },
                {
                    "Sid": "Partner",
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                    "Action": "sqs:SendMessage",
                    "Resource": TARGET["arn"],
                },
                {
                    "Sid": "Not",
                    "Effect": "Allow",
                    "NotPrincipal": {"AWS": "x"},
                    "Action": "sqs:*",
                    "Resource": TARGET["arn"],
                },
            ]
        }
    )
    assert _public(TARGET, policy)
    out = json.loads(narrow(policy, TARGET))
    assert [s["Sid"] for s in out["Statement"]] == ["Public", "Partner"]
    assert out["Statement"][0]["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}
    assert out["Statement"][1]["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    assert not _public(TARGET, json.dumps(out))
    with pytest.raises(CannotPlan):
        narrow("not json", TARGET)
