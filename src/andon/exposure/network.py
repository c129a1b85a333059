"""Who can reach a data service over the network: security groups, public endpoints, URLs.

Sources:

* Security group rules (EC2 API Reference, ``IpPermission``): ``IpProtocol`` ``-1`` is every
  protocol and every port; ``tcp``/``udp`` rules carry a port range; any other protocol number
  allows all ports *of that protocol* (so never TCP data ports). Sources are IPv4 and IPv6
  CIDRs, managed prefix lists and other security groups (a group reference admits only the
  members of that group).
* The world is ``0.0.0.0/0`` or ``::/0``. A public range broader than /8 (IPv4) or /32 (IPv6)
  is treated as the world too, as AWS treats such ``aws:SourceIp`` ranges as public (S3 User
  Guide, "The meaning of public"); narrower public ranges and private ranges (RFC 1918, RFC
  6598, RFC 4193, link-local) are named in the reasons only.
* RDS (``PubliclyAccessible``, RDS API Reference ``DBInstance``/``ModifyDBInstance``): a
  publicly accessible instance's endpoint resolves to a public IP, and "access to the DB
  instance is ultimately controlled by the security group it uses" - public only when both
  hold. Publicly accessible with no world-open rule is *latent*: one rule away. Aurora clusters
  (per instance), Redshift clusters and workgroups follow the same logic.
* EC2: an instance with a public IPv4 address (or any IPv6 address, globally routable) and a
  rule admitting the world on a data port (``DATA_PORTS``, configurable) is public.
* OpenSearch Service Developer Guide, "VPC support": a domain in a VPC has no public endpoint;
  otherwise its access policy decides (:mod:`andon.exposure.resource_policy`).
* Lambda Developer Guide, "Security and auth model for Lambda function URLs": with AuthType
  NONE the function's policy must still grant lambda:InvokeFunctionUrl to the public; from
  October 2025 new URLs also need lambda:InvokeFunction.
* API Gateway Developer Guide, "How API Gateway resource policies affect authorization
  workflow": with no authorization the resource policy, when present, must explicitly allow;
  a PRIVATE endpoint is reachable only through interface VPC endpoints.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from andon.core.model import Access, Exposure, Level
from andon.exposure.aws_models import (
    ApiState,
    DatabaseState,
    FunctionUrlState,
    GroupsOrUnknown,
    IngressRule,
    InstanceState,
    OpenSearchDomainState,
    SecurityGroup,
)
from andon.exposure.resource_policy import (
    ResourcePolicyAnalysis,
    ResourceTarget,
    analyze_resource_policy,
)
from andon.exposure.s3_model import Unknown
from andon.exposure.services import LAMBDA, ServiceProfile, with_actions
from andon.exposure.tri import Tri

READ_WRITE = frozenset({Access.READ, Access.WRITE})

# TCP ports of data stores; pass your own mapping to the evaluators to change it.
DATA_PORTS: Mapping[int, str] = MappingProxyType(
    {
        1433: "Microsoft SQL Server",
        1521: "Oracle",
        2484: "Oracle (TCPS)",
        2181: "ZooKeeper",
        3306: "MySQL / MariaDB",
        5432: "PostgreSQL",
        5439: "Redshift",
        5601: "Kibana / OpenSearch Dashboards",
        5984: "CouchDB",
        6379: "Redis",
        6380: "Redis (TLS)",
        7000: "Cassandra (inter-node)",
        7474: "Neo4j (HTTP)",
        7687: "Neo4j (Bolt)",
        8086: "InfluxDB",
        8091: "Couchbase",
        8123: "ClickHouse (HTTP)",
        8529: "ArangoDB",
        9000: "ClickHouse (native) / MinIO",
        9042: "Cassandra (CQL)",
        9092: "Kafka",
        9094: "Kafka (TLS)",
        9160: "Cassandra (Thrift)",
        9200: "Elasticsearch / OpenSearch (HTTP)",
        9300: "Elasticsearch / OpenSearch (transport)",
        11211: "Memcached",
        26257: "CockroachDB",
        27017: "MongoDB",
        27018: "MongoDB (shard)",
        28015: "RethinkDB",
        50000: "Db2",
    }
)

# RFC 1918, RFC 6598 (shared address space), loopback, link-local, RFC 4193 (unique local).
_PRIVATE = "10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 100.64.0.0/10 127.0.0.0/8 169.254.0.0/16"
_PRIVATE_NETS = tuple(
    ipaddress.ip_network(n) for n in f"{_PRIVATE} fc00::/7 fe80::/10 ::1/128".split()
)


def classify_cidr(cidr: str) -> tuple[str, int]:
    """``(reach, family)``: reach is ``world``, ``broad`` (counts as the world), ``range`` (a
    narrower public range), ``private`` or ``invalid``."""
    try:
        net = ipaddress.ip_network(cidr.strip(), strict=False)
    except ValueError:
        return "invalid", 0
    if net.prefixlen == 0:
        return "world", net.version
    if any(net.version == p.version and net.subnet_of(p) for p in _PRIVATE_NETS):  # type: ignore[arg-type]
        return "private", net.version
    if net.prefixlen < (8 if net.version == 4 else 32):
        return "broad", net.version
    return "range", net.version


def _rule_text(rule: IngressRule) -> str:
    p = rule.protocol.lower()
    if p in ("-1", "all"):
        return "all traffic (protocol -1)"
    if rule.from_port is None or rule.from_port == rule.to_port:
        return f"{p} {rule.from_port if rule.from_port is not None else 'all ports'}"
    return f"{p} {rule.from_port}-{rule.to_port}"


def _rule_matches(rule: IngressRule, port: int | None) -> Tri:
    """Does the rule admit TCP traffic to ``port`` (``None``: the port is unknown)?"""
    p = rule.protocol.lower()
    if p in ("-1", "all"):
        return Tri.YES
    if p not in ("tcp", "6"):
        return Tri.NO
    lo, hi = rule.from_port, rule.to_port
    if lo is None or hi is None or lo == -1:
        return Tri.YES
    if port is None:
        return Tri.MAYBE
    return Tri.of(lo <= port <= hi)


@dataclass(frozen=True)
class PortReach:
    """Whether the world reaches a TCP port over IPv4 and IPv6, with the reasons."""

    port: int | None
    v4: Tri
    v6: Tri
    reasons: tuple[str, ...]
    notes: tuple[str, ...] = ()

    @property
    def world(self) -> Tri:
        return self.v4 | self.v6


def reach(groups: GroupsOrUnknown, port: int | None) -> PortReach:
    """Do the security groups admit the world to TCP ``port``? (``None``: port unknown)."""
    if isinstance(groups, Unknown):
        why = f"the security groups could not be read ({groups.reason})"
        return PortReach(port, Tri.MAYBE, Tri.MAYBE, (f"unknown: {why}",))
    fam: dict[int, Tri] = {0: Tri.NO, 4: Tri.NO, 6: Tri.NO}
    reasons: list[str] = []
    notes: list[str] = []
    for sg in groups:
        _group(sg, port, fam, reasons, notes)
    return PortReach(port, fam[4], fam[6], tuple(reasons), tuple(notes))


def _group(
    sg: SecurityGroup, port: int | None, fam: dict[int, Tri], reasons: list[str], notes: list[str]
) -> None:
    if isinstance(sg.ingress, Unknown):
        fam[4] = fam[4] | Tri.MAYBE
        fam[6] = fam[6] | Tri.MAYBE
        reasons.append(
            f"unknown: the rules of {sg.group_id} could not be read ({sg.ingress.reason})"
        )
        return
    for rule in sg.ingress:
        m = _rule_matches(rule, port)
        if m == Tri.NO:
            continue
        what = f"{sg.group_id} admits {{}} on {_rule_text(rule)}"
        sources: list[tuple[str, str]] = [(c, c) for c in (*rule.ipv4, *rule.ipv6)]
        for pl in rule.prefix_lists:
            if isinstance(pl.cidrs, Unknown):
                fam[4] = fam[4] | (m & Tri.MAYBE)
                fam[6] = fam[6] | (m & Tri.MAYBE)
                reasons.append(
                    f"unknown: {what.format(f'prefix list {pl.prefix_list_id}')}, whose entries "
                    f"could not be read ({pl.cidrs.reason})"
                )
                continue
            sources += [(c, f"{c} (prefix list {pl.prefix_list_id})") for c in pl.cidrs]
        for cidr, label in sources:
            kind, family = classify_cidr(cidr)
            if kind in ("world", "broad"):
                fam[family] = Tri(fam[family] | m)
                extra = ", broader than AWS's public threshold (/8, /32)" if kind == "broad" else ""
                reasons.append(what.format(label) + extra)
            elif kind == "invalid":
                fam[4] = fam[4] | (m & Tri.MAYBE)
                fam[6] = fam[6] | (m & Tri.MAYBE)
                reasons.append(f"unknown: {what.format(repr(cidr))}, which is not a CIDR")
            elif kind == "range":
                notes.append(what.format(f"the public range {label}") + " (not the world)")
        for g in rule.groups:
            notes.append(what.format(f"members of security group {g}") + " (not the world)")


def _tri(value: bool | Unknown | None, default: Tri = Tri.NO) -> Tri:
    if isinstance(value, Unknown):
        return Tri.MAYBE
    if value is None:
        return default
    return Tri.of(value)


def _verdict(
    now: Tri, latent: bool, reasons: list[str], kinds: frozenset[Access] = READ_WRITE
) -> Exposure:
    if now == Tri.YES:
        return Exposure(Level.PUBLIC, kinds, frozenset(), tuple(reasons))
    if now == Tri.MAYBE:
        return Exposure(Level.UNKNOWN, frozenset(), frozenset(), tuple(reasons), kinds)
    return Exposure(Level.PRIVATE, frozenset(), kinds if latent else frozenset(), tuple(reasons))


_DB_NAMES = {
    "rds-instance": "DB instance",
    "aurora-cluster": "Aurora cluster",
    "redshift-cluster": "Redshift cluster",
    "redshift-serverless": "Redshift Serverless workgroup",
}


def evaluate_database(db: DatabaseState, data_ports: Mapping[int, str] = DATA_PORTS) -> Exposure:
    """RDS / Aurora / Redshift: publicly accessible and a rule open to the world on the port."""
    name = f"{_DB_NAMES.get(db.kind, db.kind)} {db.identifier!r}"
    reasons: list[str] = []
    if db.members:
        flags = [(i, _tri(v)) for i, v in db.members]
        public = Tri.NO
        for _, t in flags:
            public = public | t
        names = [i for i, t in flags if t == Tri.YES]
        if names:
            reasons.append(f"{name} has publicly accessible instances: {', '.join(names)}")
    else:
        public = _tri(db.publicly_accessible)
    if isinstance(db.publicly_accessible, Unknown) and not db.members:
        reasons.append(
            f"unknown: PubliclyAccessible could not be read ({db.publicly_accessible.reason})"
        )
    port: int | None
    if isinstance(db.port, Unknown):
        port = None
        reasons.append(f"unknown: the port could not be read ({db.port.reason})")
    else:
        port = db.port
    where = (
        f"port {port}" + (f" ({data_ports[port]})" if port in data_ports else "")
        if port
        else "its port"
    )
    r = reach(db.security_groups, port)
    route = _tri(db.internet_route, default=Tri.YES)
    now = public & r.world & route
    reasons += list(r.reasons)
    if now == Tri.YES:
        reasons.insert(
            0,
            f"public: {name} is publicly accessible and a security group admits the world on "
            f"{where} (the database still asks for credentials)",
        )
    elif public == Tri.YES and r.world == Tri.NO:
        reasons.insert(
            0,
            f"latent: {name} is publicly accessible, but no security group rule admits the world "
            f"on {where}: one rule away from public",
        )
    elif public == Tri.YES and route == Tri.NO:
        reasons.insert(
            0,
            f"latent: {name} is publicly accessible, but its subnets have no route to an internet "
            "gateway",
        )
    elif public == Tri.NO:
        reasons.insert(
            0,
            f"not public: {name} is not publicly accessible (its endpoint resolves to a private "
            "address)",
        )
        if r.world == Tri.YES:
            reasons.append(
                f"note: a security group admits the world on {where}; only the PubliclyAccessible "
                "flag keeps it private"
            )
    latent = public == Tri.YES and now == Tri.NO
    reasons += list(r.notes)
    return _verdict(now, latent, reasons)


def evaluate_instance(inst: InstanceState, data_ports: Mapping[int, str] = DATA_PORTS) -> Exposure:
    """EC2: a public address and a security group admitting the world on a data port."""
    name = f"instance {inst.instance_id}"
    v4 = Tri.MAYBE if isinstance(inst.public_ipv4, Unknown) else Tri.of(bool(inst.public_ipv4))
    v6 = (
        Tri.MAYBE if isinstance(inst.ipv6_addresses, Unknown) else Tri.of(bool(inst.ipv6_addresses))
    )
    route = _tri(inst.internet_route, default=Tri.YES)
    reasons: list[str] = []
    seen: set[str] = set()
    open_ports: list[str] = []
    unknown_ports: list[str] = []
    now = Tri.NO
    for port in sorted(data_ports):
        r = reach(inst.security_groups, port)
        t = ((v4 & r.v4) | (v6 & r.v6)) & route
        label = f"{port} ({data_ports[port]})"
        if t == Tri.YES:
            open_ports.append(label)
        elif t == Tri.MAYBE:
            unknown_ports.append(label)
        now = now | t
        if t != Tri.NO:
            for why in r.reasons:
                if why not in seen:
                    seen.add(why)
                    reasons.append(why)
    address = ", ".join(
        x
        for x in (
            inst.public_ipv4 if isinstance(inst.public_ipv4, str) else "",
            "IPv6 " + ", ".join(inst.ipv6_addresses)
            if isinstance(inst.ipv6_addresses, tuple) and inst.ipv6_addresses
            else "",
        )
        if x
    )
    if open_ports:
        reasons.insert(
            0,
            f"public: {name} has a public address ({address}) and admits the world on data ports "
            f"{_first(open_ports)}",
        )
    if unknown_ports:
        reasons.append(
            f"unknown: cannot tell whether the world reaches data ports {', '.join(unknown_ports)}"
        )
    if now == Tri.NO:
        if v4 == Tri.NO and v6 == Tri.NO:
            reasons.append(f"not public: {name} has no public IPv4 and no IPv6 address")
        else:
            reasons.append(
                f"not public: {name} has a public address ({address}) but no data port is open to "
                "the world"
            )
    return _verdict(now, False, reasons)


def _first(items: list[str], n: int = 8) -> str:
    more = f" and {len(items) - n} more" if len(items) > n else ""
    return ", ".join(items[:n]) + more


def _policy_analysis(
    text: str,
    target: ResourceTarget,
    trusted: frozenset[str],
    org_id: str | None,
    service: ServiceProfile | None = None,
    networks: frozenset[str] = frozenset(),
) -> ResourcePolicyAnalysis:
    return analyze_resource_policy(
        text,
        target,
        trusted_accounts=trusted,
        org_id=org_id,
        trusted_networks=networks,
        service=service,
    )


def _with_public(
    a: ResourcePolicyAnalysis, cap: Tri, extra: Iterable[str]
) -> ResourcePolicyAnalysis:
    """The analysis with public access limited by ``cap`` (is there a public way in at all?).
    Where there is none, a grant to everyone is no grant to other accounts either: only the
    parties a condition narrows (accounts, organizations, networks) stay."""
    public = {k: t & cap for k, t in a.public.items()}
    cross = dict(a.cross)
    for k, parties in a.parties.items():
        if parties and all(p.kind == "any" and not p.note for p in parties):
            cross[k] = cross[k] & cap
    held = {Tri.NO: "no public way in, so only on paper: ", Tri.MAYBE: "undecided: "}.get(cap, "")
    reasons = [held + r if r.startswith("public grant") else r for r in a.reasons]
    return ResourcePolicyAnalysis(public, cross, a.parties, (*extra, *reasons), a.error)


def evaluate_opensearch(
    dom: OpenSearchDomainState,
    *,
    trusted_accounts: frozenset[str] = frozenset(),
    org_id: str | None = None,
    trusted_networks: frozenset[str] = frozenset(),
) -> Exposure:
    """A domain outside a VPC with a public access policy is public."""
    name = f"OpenSearch domain {dom.name!r}"
    if dom.policy is None:
        return Exposure(
            Level.PRIVATE,
            reasons=(
                f"not public: {name} has no access policy; only identity-based policies of its "
                "own account grant access",
            ),
        )
    if isinstance(dom.policy, Unknown):
        return Exposure(
            Level.UNKNOWN,
            reasons=(
                f"unknown: the access policy of {name} could not be read ({dom.policy.reason})",
            ),
            unknown_access=READ_WRITE,
        )
    a = _policy_analysis(
        dom.policy,
        ResourceTarget("opensearch", dom.arn),
        trusted_accounts,
        org_id,
        networks=trusted_networks,
    )
    vpc = _tri(dom.in_vpc)
    extra: list[str] = []
    if vpc == Tri.YES:
        extra.append(
            f"{name} is in a VPC (VPCOptions): it has no public endpoint, so a public policy "
            "admits only whoever reaches the VPC"
        )
    elif vpc == Tri.MAYBE:
        extra.append(f"unknown: whether {name} is in a VPC could not be read")
    else:
        extra.append(f"{name} has a public endpoint (no VPCOptions)")
        if dom.fine_grained is True:
            extra.append(
                "fine-grained access control is on: requests still need a user of the domain or "
                "IAM credentials"
            )
    return _with_public(a, ~vpc, extra).exposure()


_URL_REQUIRES_BOTH_FROM = "2025-10"


def evaluate_function_url(
    url: FunctionUrlState,
    *,
    trusted_accounts: frozenset[str] = frozenset(),
    org_id: str | None = None,
    trusted_networks: frozenset[str] = frozenset(),
) -> Exposure:
    """A Lambda function URL: AuthType NONE plus a policy granting the public the invoke."""
    arn = f"{url.function_arn}:{url.qualifier}" if url.qualifier else url.function_arn
    name = f"the function URL of {arn}"
    if isinstance(url.auth_type, Unknown):
        return Exposure(
            Level.UNKNOWN,
            reasons=(
                f"unknown: the AuthType of {name} could not be read ({url.auth_type.reason})",
            ),
            unknown_access=READ_WRITE,
        )
    if isinstance(url.policy, Unknown):
        return Exposure(
            Level.UNKNOWN,
            reasons=(f"unknown: the policy of {arn} could not be read ({url.policy.reason})",),
            unknown_access=READ_WRITE,
        )
    text = url.policy or '{"Version": "2012-10-17", "Statement": []}'
    known = {"lambda:FunctionUrlAuthType": url.auth_type, "lambda:InvokedViaFunctionUrl": "true"}
    target = ResourceTarget("lambda", arn, known=known)
    only_url = with_actions(LAMBDA, ("lambda:InvokeFunctionUrl",))
    only_invoke = with_actions(LAMBDA, ("lambda:InvokeFunction",))
    via_url = _policy_analysis(text, target, trusted_accounts, org_id, only_url, trusted_networks)
    invoke = _policy_analysis(text, target, trusted_accounts, org_id, only_invoke, trusted_networks)
    both = _tri(url.created >= _URL_REQUIRES_BOTH_FROM if url.created else None, Tri.MAYBE)
    k = Access.READ
    pub = via_url.public[k] & (invoke.public[k] | ~both)
    cross = via_url.cross[k] & (invoke.cross[k] | invoke.public[k] | ~both)
    reasons = [f"{name} has AuthType {url.auth_type}"]
    reasons += [r for r in via_url.reasons if "lambda:InvokeFunctionUrl" not in r]
    if both != Tri.NO and invoke.public[k] != Tri.YES and via_url.public[k] != Tri.NO:
        reasons.append(
            "URLs created from October 2025 also need lambda:InvokeFunction, which the policy "
            "does not grant the public" + ("" if both == Tri.YES else " (creation date unknown)")
        )
    if pub == Tri.YES:
        reasons.insert(
            0,
            f"public: {name} has AuthType {url.auth_type} and the policy lets anyone invoke it"
            + (
                " (unauthenticated)" if url.auth_type == "NONE" else " (any AWS account that signs)"
            ),
        )
        return Exposure(Level.PUBLIC, READ_WRITE, frozenset(), tuple(reasons))
    if cross == Tri.YES:
        return Exposure(Level.CROSS_ACCOUNT, READ_WRITE, frozenset(), tuple(reasons))
    if pub == Tri.MAYBE or cross == Tri.MAYBE:
        return Exposure(Level.UNKNOWN, frozenset(), frozenset(), tuple(reasons), READ_WRITE)
    latent = url.auth_type == "NONE"
    if latent:
        reasons.insert(
            0,
            f"latent: {name} needs no authentication, but the policy does not let the public "
            "invoke it: requests get 403 until a statement is added",
        )
    return Exposure(
        Level.PRIVATE, frozenset(), READ_WRITE if latent else frozenset(), tuple(reasons)
    )


def evaluate_api(
    api: ApiState,
    *,
    trusted_accounts: frozenset[str] = frozenset(),
    org_id: str | None = None,
    trusted_networks: frozenset[str] = frozenset(),
) -> Exposure:
    """API Gateway: methods without authorization on a non-private endpoint, as far as the
    resource policy lets the public in."""
    name = f"{api.api_type} API {api.api_id}"
    if isinstance(api.methods, Unknown):
        return Exposure(
            Level.UNKNOWN,
            reasons=(f"unknown: the methods of {name} could not be read ({api.methods.reason})",),
            unknown_access=READ_WRITE,
        )
    if isinstance(api.policy, Unknown):
        return Exposure(
            Level.UNKNOWN,
            reasons=(
                f"unknown: the resource policy of {name} could not be read ({api.policy.reason})",
            ),
            unknown_access=READ_WRITE,
        )
    private = (
        Tri.MAYBE
        if isinstance(api.endpoint_types, Unknown)
        else Tri.of("PRIVATE" in [e.upper() for e in api.endpoint_types])
    )
    open_methods = [
        f"{m.http_method} {m.path}" for m in api.methods if m.authorization.upper() == "NONE"
    ]
    iam = any(m.authorization.upper() == "AWS_IAM" for m in api.methods)
    keyed = [
        f"{m.http_method} {m.path}"
        for m in api.methods
        if m.authorization.upper() == "NONE" and m.api_key_required
    ]
    reasons: list[str] = []
    if open_methods:
        reasons.append(f"{name} has methods without authorization: {_first(open_methods)}")
    if keyed:
        reasons.append(
            "API keys are required on "
            + ", ".join(keyed[:10])
            + ", but API keys identify clients and do not authorize them"
        )
    if private == Tri.YES:
        reasons.append(
            f"{name} has a PRIVATE endpoint: reachable only through interface VPC endpoints"
        )
    authorizers = sorted(
        {m.authorization for m in api.methods if m.authorization.upper() not in ("NONE", "AWS_IAM")}
    )
    if authorizers:
        reasons.append(
            f"methods with {', '.join(authorizers)} authorization: their authorizer decides who "
            "gets in"
        )
    if api.policy is None:
        now = Tri.of(bool(open_methods)) & ~private
        if now == Tri.NO:
            reasons.append(
                f"not public: every method of {name} needs authorization"
                if not open_methods
                else f"not public: {name} is private"
            )
        return _verdict(now, False, reasons)
    target = ResourceTarget("apigateway", api.arn)
    a = _policy_analysis(api.policy, target, trusted_accounts, org_id, None, trusted_networks)
    # The public gets in through an unauthenticated method the policy allows, or through an
    # IAM method when the policy grants everyone (any AWS account can sign).
    cap = Tri.of(bool(open_methods) or iam) & ~private
    return _with_public(a, cap, reasons).exposure()
