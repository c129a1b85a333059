"""Properties of the resource-policy, network and sharing engines (hypothesis).

Each follows from the documentation rather than from the engine:

* an explicit Deny only ever takes access away (IAM User Guide, "Policy evaluation logic"):
  adding one never widens public or cross-account access, per access kind;
* trust only ever narrows what counts as external (IAM User Guide, "Findings for public and
  cross-account access": sharing inside the zone of trust is not reported): trusting more
  accounts, or the organization, never widens CROSS_ACCOUNT;
* security groups only allow (EC2 User Guide, "Security group rules": there are no deny
  rules): removing a rule never widens what the world reaches;
* the order of statements and their Sid mean nothing;
* every model survives its stored JSON form.

``ANDON_HYPOTHESIS_EXAMPLES`` sets the number of examples (200 by default).
"""

from __future__ import annotations

import json
import os
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from andon.core.model import Access, Exposure
from andon.exposure.aws_models import (
    DatabaseState,
    IngressRule,
    InstanceState,
    PrefixList,
    SecurityGroup,
    SharedCopyState,
)
from andon.exposure.network import evaluate_database, evaluate_instance
from andon.exposure.resource_policy import (
    ResourcePolicyAnalysis,
    ResourceTarget,
    analyze_resource_policy,
)
from andon.exposure.s3_model import Unknown
from andon.exposure.shares import evaluate_share

from .aws_cases import ORG, OTHER, OTHER_ORG, OWNER, QUEUE, THIRD, root

PROPS = settings(
    max_examples=int(os.environ.get("ANDON_HYPOTHESIS_EXAMPLES", "200")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TARGET = ResourceTarget("sqs", QUEUE)

PRINCIPALS: list[Any] = [
    "*",
    {"AWS": "*"},
    {"AWS": OTHER},
    {"AWS": root(THIRD)},
    {"AWS": OWNER},
    {"AWS": f"arn:aws:iam::{OTHER}:role/r"},
    {"Service": "sns.amazonaws.com"},
    {"Federated": f"arn:aws:iam::{THIRD}:saml-provider/corp"},
    {"CanonicalUser": "abc"},
]
ACTIONS: list[Any] = [
    "sqs:*",
    "sqs:SendMessage",
    "sqs:ReceiveMessage",
    "sqs:Get*",
    "*",
    "sqs:SetQueueAttributes",
    ["sqs:SendMessage", "sqs:ReceiveMessage"],
]
RESOURCES: list[Any] = [QUEUE, "*", f"arn:aws:sqs:*:{OWNER}:*", f"arn:aws:sqs:us-east-2:{OWNER}:q2"]
CONDITIONS: list[Any] = [
    None,
    {"StringEquals": {"aws:PrincipalOrgID": ORG}},
    {"StringEquals": {"aws:PrincipalOrgID": OTHER_ORG}},
    {"StringNotEquals": {"aws:PrincipalOrgID": ORG}},
    {"StringEquals": {"aws:PrincipalAccount": OTHER}},
    {"StringNotEquals": {"aws:PrincipalAccount": [OWNER, OTHER]}},
    {"StringNotEquals": {"aws:PrincipalAccount": OWNER}},
    {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
    {"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
    {"StringEquals": {"aws:SourceVpce": "vpce-1"}},
    {"StringNotEquals": {"aws:SourceVpce": "vpce-1"}},
    {"Bool": {"aws:SecureTransport": "false"}},
    {"StringEquals": {"aws:SourceAccount": OTHER}},
    {"StringEqualsIfExists": {"aws:SourceAccount": OTHER}},
    {"ArnLike": {"aws:SourceArn": f"arn:aws:sns:*:{OTHER}:*"}},
    {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{OTHER}:role/*"}},
    {"ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{THIRD}:role/r"}},
    {"Bool": {"aws:PrincipalIsAWSService": "true"}},
    {"Null": {"aws:PrincipalOrgID": "true"}},
    {"StringEquals": {"sqs:Unknown": "x"}},
    {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": [f"{ORG}/*"]}},
    "malformed",
]


@st.composite
def statements(draw: st.DrawFn, effect: str | None = None) -> dict[str, Any]:
    s: dict[str, Any] = {"Effect": effect or draw(st.sampled_from(["Allow", "Deny"]))}
    if draw(st.integers(0, 9)) == 0:
        s["NotPrincipal"] = draw(st.sampled_from(PRINCIPALS[2:6]))
    else:
        s["Principal"] = draw(st.sampled_from(PRINCIPALS))
    s["Action"] = draw(st.sampled_from(ACTIONS))
    s["Resource"] = draw(st.sampled_from(RESOURCES))
    cond = draw(st.sampled_from(CONDITIONS))
    if cond is not None:
        s["Condition"] = cond
    return s


def text(items: list[dict[str, Any]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": items})


def le(a: ResourcePolicyAnalysis, b: ResourcePolicyAnalysis) -> bool:
    """``a`` gives no kind more public or cross-account access than ``b``."""
    return all(a.public[k] <= b.public[k] and a.cross[k] <= b.cross[k] for k in Access)


def narrower(a: Exposure, b: Exposure) -> bool:
    return a.level.rank <= b.level.rank and (a.level != b.level or a.access <= b.access)


@PROPS
@given(st.lists(statements(), max_size=4), statements(effect="Deny"), st.integers(0, 4))
def test_adding_a_deny_never_widens(
    items: list[dict[str, Any]], d: dict[str, Any], at: int
) -> None:
    before = analyze_resource_policy(text(items), TARGET, org_id=ORG)
    with_deny = [*items[:at], d, *items[at:]]
    after = analyze_resource_policy(text(with_deny), TARGET, org_id=ORG)
    assert le(after, before), (with_deny, after.reasons)
    assert after.level.rank <= before.level.rank


@PROPS
@given(
    st.lists(statements(), max_size=4),
    st.sets(st.sampled_from([OTHER, THIRD, "999999999999"])),
    st.sets(st.sampled_from([OTHER, THIRD, "999999999999"])),
    st.booleans(),
    st.sets(st.sampled_from(["vpce-1", "203.0.0.0/16", "10.0.0.0/8"])),
)
def test_trusting_more_never_widens_cross_account(
    items: list[dict[str, Any]], some: set[str], more: set[str], org: bool, nets: set[str]
) -> None:
    little = analyze_resource_policy(text(items), TARGET, trusted_accounts=frozenset(some))
    lots = analyze_resource_policy(
        text(items),
        TARGET,
        trusted_accounts=frozenset(some | more),
        org_id=ORG if org else None,
        trusted_networks=frozenset(nets),
    )
    assert all(lots.cross[k] <= little.cross[k] for k in Access), lots.reasons
    assert lots.public == little.public  # trust never changes what AWS calls public


@PROPS
@given(st.lists(statements(), max_size=4), st.randoms(use_true_random=False))
def test_statement_order_and_sid_mean_nothing(items: list[dict[str, Any]], rnd: Any) -> None:
    shuffled = list(items)
    rnd.shuffle(shuffled)
    named = [{**s, "Sid": f"S{i}"} for i, s in enumerate(shuffled)]
    a = analyze_resource_policy(text(items), TARGET, org_id=ORG)
    b = analyze_resource_policy(text(named), TARGET, org_id=ORG)
    assert (a.public, a.cross) == (b.public, b.cross)


# --- security groups ---------------------------------------------------------------------
CIDRS4 = ["0.0.0.0/0", "10.0.0.0/8", "203.0.113.0/24", "0.0.0.0/1", "bad"]
CIDRS6 = ["::/0", "fd00::/8", "2001:db8::/32"]


@st.composite
def rules(draw: st.DrawFn) -> IngressRule:
    proto = draw(st.sampled_from(["-1", "tcp", "udp", "6", "icmp"]))
    lo = draw(st.sampled_from([None, 22, 3306, 5432, 6379, 9000]))
    hi = None if lo is None else lo + draw(st.sampled_from([0, 0, 10, 1000]))
    pls = draw(
        st.lists(
            st.sampled_from(
                [
                    PrefixList("pl-w", ("0.0.0.0/0",)),
                    PrefixList("pl-p", ("10.1.0.0/16",)),
                    PrefixList("pl-u"),
                ]
            ),
            max_size=1,
        )
    )
    return IngressRule(
        proto,
        lo,
        hi,
        ipv4=tuple(draw(st.lists(st.sampled_from(CIDRS4), max_size=2))),
        ipv6=tuple(draw(st.lists(st.sampled_from(CIDRS6), max_size=2))),
        prefix_lists=tuple(pls),
        groups=tuple(draw(st.lists(st.sampled_from(["sg-a", f"{OTHER}/sg-b"]), max_size=1))),
    )


@st.composite
def groups(draw: st.DrawFn) -> tuple[SecurityGroup, ...]:
    n = draw(st.integers(1, 2))
    return tuple(
        SecurityGroup(f"sg-{i}", tuple(draw(st.lists(rules(), min_size=1, max_size=3))))
        for i in range(n)
    )


def close_one(gs: tuple[SecurityGroup, ...], which: int) -> tuple[SecurityGroup, ...]:
    flat = [
        (i, j)
        for i, g in enumerate(gs)
        if isinstance(g.ingress, tuple)
        for j in range(len(g.ingress))
    ]
    gi, rj = flat[which % len(flat)]
    out = list(gs)
    ingress = out[gi].ingress
    assert isinstance(ingress, tuple)
    out[gi] = SecurityGroup(out[gi].group_id, ingress[:rj] + ingress[rj + 1 :])
    return tuple(out)


@PROPS
@given(
    groups(),
    st.integers(0, 10),
    st.sampled_from([True, False, Unknown("x")]),
    st.sampled_from([5432, 3306, Unknown("x")]),
)
def test_closing_a_rule_never_widens_a_database(
    gs: Any, which: int, public: Any, port: Any
) -> None:
    base = DatabaseState("rds-instance", "db", port, public, gs)
    closed = DatabaseState("rds-instance", "db", port, public, close_one(gs, which))
    assert narrower(evaluate_database(closed), evaluate_database(base))


@PROPS
@given(groups(), st.integers(0, 10), st.sampled_from([None, "198.51.100.7"]), st.booleans())
def test_closing_a_rule_never_widens_an_instance(gs: Any, which: int, ip: Any, v6: bool) -> None:
    addrs = ("2001:db8::1",) if v6 else ()
    base = InstanceState("i-1", ip, addrs, gs)
    closed = InstanceState("i-1", ip, addrs, close_one(gs, which))
    assert narrower(evaluate_instance(closed), evaluate_instance(base))


@PROPS
@given(groups(), st.sampled_from([True, False, Unknown("x")]))
def test_network_models_survive_json(gs: Any, public: Any) -> None:
    db = DatabaseState(
        "aurora-cluster", "c", 5432, public, gs, members=(("w", True), ("r", Unknown("y")))
    )
    assert DatabaseState.from_dict(json.loads(json.dumps(db.to_dict()))) == db


# --- shares ----------------------------------------------------------------------------------
@PROPS
@given(
    st.booleans(),
    st.lists(st.sampled_from([OWNER, OTHER, THIRD]), max_size=3),
    st.sets(st.sampled_from([OTHER, THIRD])),
    st.sampled_from([None, "block-all-sharing", "block-new-sharing", "unblocked"]),
)
def test_trusting_more_never_widens_a_share(
    public: bool, accounts: list[str], more: set[str], bpa: Any
) -> None:
    s = SharedCopyState(
        "ebs-snapshot", "snap", public, tuple(accounts), account=OWNER, block_public_access=bpa
    )
    assert narrower(evaluate_share(s, trusted_accounts=frozenset(more)), evaluate_share(s))
    assert SharedCopyState.from_dict(json.loads(json.dumps(s.to_dict()))) == s
