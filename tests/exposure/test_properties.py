"""Properties of the S3 exposure engine on generated bucket states (hypothesis).

Each property follows from the documentation rather than from the engine:

* an explicit Deny only ever takes access away (IAM User Guide, "Policy evaluation logic");
  an Allow only ever adds (statements are ORed);
* Block Public Access settings only restrict: "Amazon S3 applies the most restrictive
  combination" (S3 User Guide, "Blocking public access"); what a setting holds back is stored and
  comes back when the setting is removed (latent); BlockPublicAcls and BlockPublicPolicy act
  only on future PUTs;
* a Sid is an optional identifier with no effect on evaluation; the order of statements, grants
  and access points has no meaning;
* an unreadable part never turns a known public grant, or an undecided one, into PRIVATE;
* ACLs do not count when Object Ownership is BucketOwnerEnforced; an access point with a VPC
  network origin is never public;
* all four settings on at the account (or bucket) level leave nothing public and nothing
  undecided.

Each property runs 200 examples; set ``ANDON_HYPOTHESIS_EXAMPLES`` (e.g. 3000) for a deeper run.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable
from typing import Any, TypeVar

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from andon.core.model import Access, Exposure, Level
from andon.exposure.policy import PolicyTarget, analyze_policy
from andon.exposure.s3 import evaluate_bucket
from andon.exposure.s3_model import (
    ALL_USERS,
    AUTHENTICATED_USERS,
    LOG_DELIVERY,
    AccessPointState,
    Bpa,
    Grant,
    ObjectAcl,
    S3BucketState,
    Unknown,
)
from andon.exposure.tri import Tri

from .builders import (
    ALL_ON,
    AP_ARN,
    BUCKET,
    BUCKET_ARN,
    OBJECTS,
    OTHER,
    OWNER,
    REGION,
)

T = TypeVar("T")

PROPS = settings(
    max_examples=int(os.environ.get("ANDON_HYPOTHESIS_EXAMPLES", "200")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

# --- strategies -------------------------------------------------------------------------------
PRINCIPALS: list[Any] = [
    "*",
    {"AWS": "*"},
    {"AWS": f"arn:aws:iam::{OTHER}:root"},
    {"AWS": OWNER},
    {"AWS": "arn:aws:iam::*:root"},
    {"Service": "cloudtrail.amazonaws.com"},
    {"Federated": "graph.facebook.com"},
]
ACTIONS = [
    "s3:GetObject",
    "s3:Get*",
    "s3:*",
    "*",
    "s3:ListBucket",
    "s3:PutObject",
    "s3:*Object",
    "s3:DeleteObject",
    "s3:PutBucketPolicy",
    "s3:GetBucketAcl",
    "s3:PutObjectAcl",
    "S3:getobject",
    "s3:GetBucketLocation",
]
AP_OTHER = f"arn:aws:s3:{REGION}:{OWNER}:accesspoint/ap1"


def _resources() -> list[str]:
    out = ["*", BUCKET_ARN, OBJECTS, f"{BUCKET_ARN}/public/*", f"{BUCKET_ARN}/public/a.txt"]
    out += ["arn:aws:s3:::other/*", "arn:aws:s3:::example-*"]
    for ap in (AP_ARN, AP_OTHER):
        out += [ap, f"{ap}/object/*", f"{ap}/object/public/*"]
    return out


RESOURCES = _resources()
CONDITIONS: list[tuple[str, str, Any]] = [
    ("StringEquals", "aws:SourceVpce", "vpce-1a2b3c4d"),
    ("StringLike", "aws:SourceVpc", "vpc-*"),
    ("StringNotEquals", "aws:SourceVpce", "vpce-1a2b3c4d"),
    ("StringNotEqualsIfExists", "aws:SourceVpce", "vpce-1a2b3c4d"),
    ("StringEqualsIfExists", "aws:SourceVpce", "vpce-1a2b3c4d"),
    ("ForAnyValue:StringEquals", "aws:SourceVpce", "vpce-1a2b3c4d"),
    ("ForAllValues:StringEquals", "aws:SourceVpce", "vpce-1a2b3c4d"),
    ("ForAnyValue:StringNotEquals", "aws:SourceVpce", "vpce-1a2b3c4d"),
    ("IpAddress", "aws:SourceIp", "203.0.113.0/24"),
    ("IpAddress", "aws:SourceIp", "0.0.0.0/1"),
    ("NotIpAddress", "aws:SourceIp", "203.0.113.0/24"),
    ("Bool", "aws:SecureTransport", "false"),
    ("Bool", "aws:SecureTransport", "true"),
    ("Null", "aws:SourceVpce", "true"),
    ("StringEquals", "s3:DataAccessPointAccount", OWNER),
    ("StringNotEquals", "s3:DataAccessPointAccount", OWNER),
    ("StringLike", "s3:DataAccessPointArn", f"arn:aws:s3:{REGION}:{OWNER}:accesspoint/*"),
    ("StringEquals", "s3:DataAccessPointArn", AP_ARN),
    ("StringEquals", "aws:PrincipalOrgID", "o-a1b2c3d4e5"),
    ("StringEquals", "aws:SourceAccount", "${aws:PrincipalAccount}"),
    ("StringEquals", "aws:MadeUpKey", "x"),
    ("StringEqualsSometimes", "aws:SourceVpce", "vpce-1a2b3c4d"),
]
MALFORMED = [
    {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"},
    {"Effect": "Deny", "Principal": "*", "Action": "s3:*"},
    {"Effect": "Permit", "Principal": "*", "Action": "s3:*", "Resource": "*"},
]


def one_or_list(values: list[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.sampled_from(values), st.lists(st.sampled_from(values), min_size=1, max_size=3)
    )


@st.composite
def conditions(draw: st.DrawFn) -> dict[str, dict[str, Any]] | None:
    entries = draw(st.lists(st.sampled_from(CONDITIONS), max_size=2))
    if not entries:
        return None
    block: dict[str, dict[str, Any]] = {}
    for op, key, value in entries:
        block.setdefault(op, {})[key] = value
    return block


@st.composite
def statements(draw: st.DrawFn, effect: str | None = None) -> dict[str, Any]:
    s: dict[str, Any] = {"Effect": effect or draw(st.sampled_from(["Allow", "Deny"]))}
    s["NotPrincipal" if draw(st.integers(0, 9)) == 0 else "Principal"] = draw(
        st.sampled_from(PRINCIPALS)
    )
    s["NotAction" if draw(st.integers(0, 7)) == 0 else "Action"] = draw(one_or_list(ACTIONS))
    s["NotResource" if draw(st.integers(0, 7)) == 0 else "Resource"] = draw(one_or_list(RESOURCES))
    cond = draw(conditions())
    if cond is not None:
        s["Condition"] = cond
    return s


@st.composite
def statement_lists(draw: st.DrawFn, *, malformed: bool = True) -> list[dict[str, Any]]:
    items = draw(st.lists(statements(), max_size=4))
    if malformed and draw(st.integers(0, 9)) == 0:
        items.append(draw(st.sampled_from(MALFORMED)))
    for i, s in enumerate(items):
        if draw(st.booleans()):
            s["Sid"] = f"S{i}"
    return draw(st.permutations(items))


def as_policy(items: list[dict[str, Any]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": items})


def policies() -> st.SearchStrategy[str | Unknown | None]:
    return st.one_of(
        st.none(),
        st.just(Unknown("AccessDenied")),
        statement_lists().map(as_policy),
        st.just('{"Statement": ['),
    )


GRANTEES = [ALL_USERS, AUTHENTICATED_USERS, LOG_DELIVERY]
PERMISSIONS = ["READ", "WRITE", "READ_ACP", "WRITE_ACP", "FULL_CONTROL"]
grants = st.one_of(
    st.builds(Grant, st.just("Group"), st.sampled_from(GRANTEES), st.sampled_from(PERMISSIONS)),
    st.builds(Grant, st.just("CanonicalUser"), st.just("owner-id"), st.sampled_from(PERMISSIONS)),
)
grant_lists = st.lists(grants, max_size=3).map(tuple)
bpas: st.SearchStrategy[Bpa | Unknown | None] = st.one_of(
    st.none(),
    st.just(Unknown("AccessDenied")),
    st.builds(Bpa, st.booleans(), st.booleans(), st.booleans(), st.booleans()),
)


@st.composite
def access_points(draw: st.DrawFn) -> tuple[AccessPointState, ...] | Unknown:
    if draw(st.integers(0, 9)) == 0:
        return Unknown("AccessDenied")
    out = []
    for i, arn in enumerate((AP_ARN, AP_OTHER)[: draw(st.integers(0, 2))]):
        out.append(
            AccessPointState(
                name=arn.rsplit("/", 1)[1] + str(i),
                arn=arn,
                account=OWNER,
                network_origin=draw(st.sampled_from(["Internet", "Internet", "VPC"])),
                policy=draw(policies()),
                bpa=draw(bpas),
            )
        )
    return tuple(out)


@st.composite
def states(
    draw: st.DrawFn, policy: st.SearchStrategy[str | Unknown | None] | None = None
) -> S3BucketState:
    objects = st.one_of(
        st.just(Unknown("AccessDenied")),
        st.lists(
            st.builds(
                ObjectAcl,
                st.sampled_from(["a.txt", "b/c.csv", "d"]),
                st.one_of(grant_lists, st.just(Unknown("AccessDenied"))),
            ),
            max_size=2,
        ).map(tuple),
    )
    return S3BucketState(
        name=BUCKET,
        account=OWNER,
        region=REGION,
        acl=draw(st.one_of(grant_lists, st.just(Unknown("AccessDenied")))),
        policy=draw(policy if policy is not None else policies()),
        bucket_bpa=draw(bpas),
        account_bpa=draw(bpas),
        ownership=draw(
            st.sampled_from(
                [None, "BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter", Unknown("x")]
            )
        ),
        access_points=draw(access_points()),
        object_acls=draw(objects),
    )


# --- helpers -----------------------------------------------------------------------------------
def with_field(obj: T, name: str, value: Any) -> T:
    changes: dict[str, Any] = {name: value}
    return dataclasses.replace(obj, **changes)  # type: ignore[type-var]


def verdict(e: Exposure) -> tuple[Level, frozenset[Access], frozenset[Access], frozenset[Access]]:
    return e.level, e.access, e.latent_access, e.unknown_access


def statements_of(text: object) -> list[dict[str, Any]] | None:
    if not isinstance(text, str):
        return None
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    items = doc.get("Statement") if isinstance(doc, dict) else None
    return items if isinstance(items, list) else None


def map_policies(
    state: S3BucketState, f: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]
) -> S3BucketState:
    """Apply ``f`` to the statements of the bucket policy and of every access point policy."""

    def one(text: Any) -> Any:
        items = statements_of(text)
        return text if items is None else as_policy(f([dict(s) for s in items]))

    aps = state.access_points
    if not isinstance(aps, Unknown):
        aps = tuple(dataclasses.replace(ap, policy=one(ap.policy)) for ap in aps)
    return dataclasses.replace(state, policy=one(state.policy), access_points=aps)


def check_invariants(e: Exposure) -> None:
    assert not (e.access & e.unknown_access)
    if e.access:
        assert e.level == Level.PUBLIC
    elif e.unknown_access:
        assert e.level == Level.UNKNOWN
    else:
        assert e.level == Level.PRIVATE
    assert e.reasons


# --- properties -------------------------------------------------------------------------------
@PROPS
@given(states())
def test_invariants_and_serialisation(state: S3BucketState) -> None:
    e = evaluate_bucket(state)
    check_invariants(e)
    assert evaluate_bucket(S3BucketState.from_dict(state.to_dict())) == e


@PROPS
@given(states(), statements(effect="Deny"), st.data())
def test_adding_a_deny_never_makes_more_public(
    state: S3BucketState, extra: dict[str, Any], data: st.DataObject
) -> None:
    aps = [] if isinstance(state.access_points, Unknown) else list(state.access_points)
    where = data.draw(st.sampled_from([None, *range(len(aps))]), label="policy")
    text = state.policy if where is None else aps[where].policy
    items = statements_of(text)
    if items is None:  # give the chosen policy statements, in the old state too
        items = data.draw(statement_lists(), label="statements")

    def put(policy_text: str) -> S3BucketState:
        if where is None:
            return dataclasses.replace(state, policy=policy_text)
        new_aps = list(aps)
        new_aps[where] = dataclasses.replace(aps[where], policy=policy_text)
        return dataclasses.replace(state, access_points=tuple(new_aps))

    pos = data.draw(st.integers(0, len(items)), label="position")
    extra = {**extra, "Sid": "AddedDeny"}
    old = evaluate_bucket(put(as_policy(items)))
    new = evaluate_bucket(put(as_policy([*items[:pos], extra, *items[pos:]])))
    assert new.access <= old.access
    assert new.unknown_access <= old.access | old.unknown_access
    assert new.latent_access <= old.latent_access
    assert new.level.rank <= old.level.rank


@PROPS
@given(states(policy=statement_lists().map(as_policy)), statements(effect="Allow"))
def test_adding_an_allow_never_makes_less_public(
    state: S3BucketState, extra: dict[str, Any]
) -> None:
    items = statements_of(state.policy)
    assert items is not None
    new_state = dataclasses.replace(state, policy=as_policy([*items, extra]))
    old, new = evaluate_bucket(state), evaluate_bucket(new_state)
    assert old.access <= new.access
    assert old.access | old.unknown_access <= new.access | new.unknown_access
    assert old.level != Level.PUBLIC or new.level == Level.PUBLIC


SETTING_ATTRS = [
    "block_public_acls",
    "ignore_public_acls",
    "block_public_policy",
    "restrict_public_buckets",
]


def switch_on(state: S3BucketState, level: object, attr: str) -> S3BucketState | None:
    """The state with ``attr`` on at one level; None when that level is unreadable."""

    def on(b: Any) -> Bpa | None:
        if isinstance(b, Unknown):
            return None
        return dataclasses.replace(b or Bpa(), **{attr: True})

    if level in ("account", "bucket"):
        field = f"{level}_bpa"
        new = on(getattr(state, field))
        return None if new is None else with_field(state, field, new)
    assert isinstance(level, int) and not isinstance(state.access_points, Unknown)
    aps = list(state.access_points)
    new = on(aps[level].bpa)
    if new is None:
        return None
    aps[level] = dataclasses.replace(aps[level], bpa=new)
    return dataclasses.replace(state, access_points=tuple(aps))


@PROPS
@given(states(), st.sampled_from(SETTING_ATTRS), st.data())
def test_switching_a_bpa_setting_on_never_makes_more_public(
    state: S3BucketState, attr: str, data: st.DataObject
) -> None:
    levels: list[object] = ["account", "bucket"]
    if not isinstance(state.access_points, Unknown):
        levels += list(range(len(state.access_points)))
    new_state = switch_on(state, data.draw(st.sampled_from(levels)), attr)
    assume(new_state is not None)
    assert new_state is not None
    old, new = evaluate_bucket(state), evaluate_bucket(new_state)
    assert new.access <= old.access
    assert new.unknown_access <= old.unknown_access | old.access
    assert new.level.rank <= old.level.rank
    # What a setting holds back is stored, not gone: it is latent.
    assert old.access <= new.access | new.latent_access
    if attr in ("block_public_acls", "block_public_policy"):
        # These two only reject future PUTs: nothing stored changes.
        assert verdict(new) == verdict(old)


@PROPS
@given(states(), st.sampled_from(["account_bpa", "bucket_bpa"]))
def test_all_four_settings_on_leave_nothing_public_or_undecided(
    state: S3BucketState, field: str
) -> None:
    e = evaluate_bucket(with_field(state, field, ALL_ON))
    assert e.level == Level.PRIVATE
    assert e.access == frozenset() and e.unknown_access == frozenset()


@PROPS
@given(states(), st.randoms(use_true_random=False))
def test_renaming_or_dropping_sids_changes_only_reasons(state: S3BucketState, rnd: Any) -> None:
    def rename(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for i, s in enumerate(items):
            s.pop("Sid", None)
            if rnd.random() < 0.5:
                s["Sid"] = f"Renamed{i}x{rnd.randrange(1000)}"
        return items

    assert verdict(evaluate_bucket(map_policies(state, rename))) == verdict(evaluate_bucket(state))


@PROPS
@given(states(), st.randoms(use_true_random=False))
def test_order_changes_nothing(state: S3BucketState, rnd: Any) -> None:
    def shuffled(items: Any) -> Any:
        items = list(items)
        rnd.shuffle(items)
        return items

    new_state = map_policies(state, shuffled)
    if not isinstance(new_state.acl, Unknown):
        new_state = dataclasses.replace(new_state, acl=tuple(shuffled(new_state.acl)))
    if not isinstance(new_state.object_acls, Unknown):
        new_state = dataclasses.replace(
            new_state, object_acls=tuple(shuffled(new_state.object_acls))
        )
    if not isinstance(new_state.access_points, Unknown):
        new_state = dataclasses.replace(
            new_state, access_points=tuple(shuffled(new_state.access_points))
        )
    assert verdict(evaluate_bucket(new_state)) == verdict(evaluate_bucket(state))


def unreadable_parts(state: S3BucketState) -> list[tuple[str, S3BucketState]]:
    u = Unknown("could not be read")
    out = [
        (f, with_field(state, f, u))
        for f in ("acl", "policy", "bucket_bpa", "account_bpa", "ownership")
        if not isinstance(getattr(state, f), Unknown)
    ]
    for f in ("object_acls", "access_points"):
        parts = getattr(state, f)
        if isinstance(parts, Unknown):
            continue
        out.append((f, with_field(state, f, u)))
        for i, part in enumerate(parts):
            sub = ["grants"] if f == "object_acls" else ["policy", "bpa"]
            for attr in sub:
                if isinstance(getattr(part, attr), Unknown):
                    continue
                items = list(parts)
                items[i] = dataclasses.replace(part, **{attr: u})
                out.append((f"{f}[{i}].{attr}", with_field(state, f, tuple(items))))
    return out


@PROPS
@given(states(), st.data())
def test_an_unreadable_part_never_hides_exposure(state: S3BucketState, data: st.DataObject) -> None:
    parts = unreadable_parts(state)
    assume(parts)
    name, blurred = data.draw(st.sampled_from(parts))
    known, unknown = evaluate_bucket(state), evaluate_bucket(blurred)
    # Everything public or undecided stays public or undecided.
    assert known.access | known.unknown_access <= unknown.access | unknown.unknown_access
    if known.level != Level.PRIVATE:
        assert unknown.level != Level.PRIVATE
    if name != "ownership":
        # An unreadable part adds no certainty. (Unreadable ownership is the exception: the
        # engine then keeps ACLs in force - see case unreadable-ownership-acls-assumed-live.)
        assert unknown.access <= known.access


@PROPS
@given(states(), grant_lists, st.lists(st.builds(ObjectAcl, st.just("k"), grant_lists), max_size=2))
def test_acls_do_not_count_when_bucket_owner_enforced(
    state: S3BucketState, acl: tuple[Grant, ...], objects: list[ObjectAcl]
) -> None:
    enforced = dataclasses.replace(state, ownership="BucketOwnerEnforced")
    other = dataclasses.replace(enforced, acl=acl, object_acls=tuple(objects))
    assert verdict(evaluate_bucket(other)) == verdict(evaluate_bucket(enforced))
    blurred = dataclasses.replace(enforced, acl=Unknown("x"), object_acls=Unknown("x"))
    assert verdict(evaluate_bucket(blurred)) == verdict(evaluate_bucket(enforced))


@PROPS
@given(states(), policies(), bpas)
def test_a_vpc_access_point_adds_nothing(state: S3BucketState, ap_policy: Any, ap_bpa: Any) -> None:
    assume(not isinstance(state.access_points, Unknown))
    assert not isinstance(state.access_points, Unknown)
    vpc = AccessPointState(
        "private-ap",
        f"arn:aws:s3:{REGION}:{OWNER}:accesspoint/private-ap",
        OWNER,
        network_origin="VPC",
        vpc_id="vpc-1",
        policy=ap_policy,
        bpa=ap_bpa,
    )
    more = dataclasses.replace(state, access_points=(*state.access_points, vpc))
    assert verdict(evaluate_bucket(more)) == verdict(evaluate_bucket(state))


# --- policy-level properties -----------------------------------------------------------------
TARGET = PolicyTarget.bucket(BUCKET, OWNER)
FIXED_PRINCIPALS = [
    {"AWS": f"arn:aws:iam::{OTHER}:root"},
    {"AWS": OWNER},
    {"Service": "cloudtrail.amazonaws.com"},
]


@PROPS
@given(statement_lists(malformed=False), st.data())
def test_fixed_principals_only_is_never_public(
    items: list[dict[str, Any]], data: st.DataObject
) -> None:
    """Source: S3 User Guide, "The meaning of public": a policy granting only to fixed
    principals is not public - whatever its actions, resources or conditions."""
    for s in items:
        if s["Effect"] == "Allow":
            s.pop("NotPrincipal", None)
            s["Principal"] = data.draw(st.sampled_from(FIXED_PRINCIPALS))
    analysis = analyze_policy(as_policy(items), TARGET)
    assert analysis.kinds(Tri.NO) == frozenset(Access)
    assert analysis.is_public == Tri.NO


@PROPS
@given(
    statement_lists(malformed=False),
    st.sampled_from(
        [
            ("StringEquals", "aws:SourceVpce", "vpce-fixed"),
            ("StringEquals", "aws:SourceVpc", "vpc-91237329"),
            ("IpAddress", "aws:SourceIp", "198.51.100.0/24"),
            ("StringEquals", "aws:PrincipalOrgID", "o-fixed"),
            ("ForAnyValue:StringEquals", "aws:SourceAccount", OWNER),
        ]
    ),
)
def test_a_fixed_restricting_condition_on_every_allow_makes_it_non_public(
    items: list[dict[str, Any]], restriction: tuple[str, str, str]
) -> None:
    """Source: S3 User Guide, "The meaning of public": granting only to fixed values of one of
    the listed keys makes a policy non-public (conditions of a statement are ANDed)."""
    op, key, value = restriction
    for s in items:
        if s["Effect"] == "Allow":
            s.setdefault("Condition", {}).setdefault(op, {})[key] = value
    analysis = analyze_policy(as_policy(items), TARGET)
    assert analysis.kinds(Tri.NO) == frozenset(Access)
