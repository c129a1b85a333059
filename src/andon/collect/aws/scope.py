"""What a scan covers: which accounts, reached how, which regions, and who is trusted.

Accounts
    * the account of the starting credentials (the standard chain, ``--profile``), by default;
    * ``--org``: every ``ACTIVE`` account of the AWS Organization (Organizations
      ``ListAccounts``, from the management account or a delegated administrator), each
      reached by assuming ``arn:<partition>:iam::<id>:role/<role name>`` (``--role-name``,
      default :data:`DEFAULT_ROLE_NAME`) with an optional external id; the starting account
      itself is read with the starting credentials;
    * ``[[accounts]]`` in the config file (``--config``, TOML): a profile, a role ARN, or an
      account id plus a role name.

Assumed-role credentials are refreshable (botocore ``RefreshableCredentials`` whose refresh
calls ``AssumeRole`` again through the starting account's :class:`AwsClients`), so a scan that
outlives the session keeps going; the first ``AssumeRole`` happens when the account's turn
comes, and an account whose role cannot be assumed becomes a failed coverage cell.

Regions
    EC2 ``DescribeRegions(AllRegions=True)`` in each account: every region whose
    ``OptInStatus`` is not ``not-opted-in``. ``--region`` narrows the list; a requested region
    that is disabled or unknown in an account is a failed cell with the reason. A service that
    botocore's endpoint data says is not offered in a region is skipped there (recorded as a
    complete cell saying so), except against a custom endpoint, which serves everything.

Trust (for CROSS_ACCOUNT)
    ``[trust]`` in the config file: ``accounts``, ``org_id``, ``networks`` (VPC ids, VPC
    endpoint ids, CIDRs). With ``--org`` the organization and its accounts are trusted too,
    unless ``[organization] trust = false``.

Config file example::

    regions = ["eu-west-1", "us-east-1"]      # optional, like --region
    services = ["s3", "rds"]                  # optional, like --service

    [organization]                            # like --org --role-name --external-id
    enabled = true
    role_name = "AndonAudit"
    external_id = "andon-7f3c"
    exclude = ["444455556666"]

    [trust]
    accounts = ["111122223333"]
    org_id = "o-a1b2c3d4e5"
    networks = ["vpc-0abc", "10.0.0.0/8"]

    [[accounts]]
    profile = "prod-audit"

    [[accounts]]
    id = "222233334444"
    role_name = "AndonAudit"                  # or role_arn = "arn:aws:iam::...:role/X"
    external_id = "andon-7f3c"
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import botocore.session
from botocore.credentials import CredentialProvider, RefreshableCredentials

from andon.collect.aws.transport import AwsClients
from andon.core.context import Context
from andon.core.errors import CollectError, ConfigError, MalformedResponse
from andon.exposure.dispatch import TrustZone

DEFAULT_ROLE_NAME = "AndonAudit"
SESSION_NAME = "andon-scan"
ROLE_SESSION_SECONDS = 3600
_ACCOUNT = re.compile(r"^\d{12}$")
_ROLE_NAME = re.compile(r"^[\w+=,.@/-]{1,64}$")
_EXTERNAL_ID = re.compile(r"^[\w+=,.@:/-]{2,1224}$")

ClientFactory = Callable[..., AwsClients]
"""Builds :class:`AwsClients` (``target, limits, *, session=None``); the orchestrator passes
one whose calls share a per-account concurrency gate."""

Instrument = Callable[[boto3.Session], None]
"""Called on every boto3 session a scan builds, before any client exists (tests register
botocore event handlers there)."""


@dataclass(frozen=True)
class AccountSpec:
    """One account to scan and how to reach it.

    ``profile``: read with that profile's credentials (they may assume a role themselves);
    ``role_arn`` (or ``account_id`` + ``role_name``): assume that role from the starting
    credentials (or from ``profile`` when both are given); only ``account_id`` equal to the
    starting account: the starting credentials.
    """

    account_id: str = ""
    profile: str | None = None
    role_arn: str | None = None
    role_name: str | None = None
    external_id: str | None = None
    name: str = ""

    @property
    def label(self) -> str:
        if self.account_id:
            return self.account_id
        if self.profile:
            return f"profile {self.profile}"
        return self.role_arn or "default credentials"

    def role(self, partition: str) -> str | None:
        if self.role_arn:
            return self.role_arn
        if self.role_name and self.account_id:
            return f"arn:{partition}:iam::{self.account_id}:role/{self.role_name}"
        return None


@dataclass(frozen=True)
class ScanConfig:
    """The scope of a scan: the config file merged with the command-line flags."""

    accounts: tuple[AccountSpec, ...] = ()
    regions: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    org: bool = False
    role_name: str = DEFAULT_ROLE_NAME
    external_id: str | None = None
    org_exclude: frozenset[str] = frozenset()
    trust_org: bool = True
    trust: TrustZone = field(default_factory=TrustZone)

    def with_flags(
        self,
        *,
        org: bool = False,
        role_name: str | None = None,
        external_id: str | None = None,
        regions: tuple[str, ...] = (),
        services: tuple[str, ...] = (),
    ) -> ScanConfig:
        """Command-line flags override the file."""
        if role_name is not None:
            _check_role_name(role_name)
        if external_id is not None:
            _check_external_id(external_id)
        return replace(
            self,
            org=self.org or org,
            role_name=role_name or self.role_name,
            external_id=external_id if external_id is not None else self.external_id,
            regions=regions or self.regions,
            services=services or self.services,
        )


# -- the config file -----------------------------------------------------------------------


def load_config(path: str | Path) -> ScanConfig:
    """Read a TOML config file; :class:`ConfigError` names what is wrong and where."""
    p = Path(path)
    try:
        doc = tomllib.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read the config file {p}: {exc.strerror or exc}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p} is not valid TOML: {exc}") from exc
    try:
        return parse_config(doc)
    except ConfigError as exc:
        raise ConfigError(f"{p}: {exc}") from exc


# [watch], [alerts], [[exemptions]] and [web] belong to andon.watch, andon.alert,
# andon.remediate and andon.web, which validate them strictly themselves.
_OTHER_SECTIONS = {"watch", "alerts", "exemptions", "web"}
_TOP = {"regions", "services", "organization", "trust", "accounts"} | _OTHER_SECTIONS
_ORG = {"enabled", "role_name", "external_id", "exclude", "trust"}
_TRUST = {"accounts", "org_id", "networks"}
_ACCT = {"id", "profile", "role_arn", "role_name", "external_id", "name"}


def parse_config(doc: Mapping[str, Any]) -> ScanConfig:
    """The :class:`ScanConfig` of a parsed TOML document (strict: unknown keys are errors)."""
    _keys(doc, _TOP, "the top level")
    org = _table(doc, "organization")
    _keys(org, _ORG, "[organization]")
    trust = _table(doc, "trust")
    _keys(trust, _TRUST, "[trust]")
    role_name = _str(org, "role_name", "[organization]") or DEFAULT_ROLE_NAME
    _check_role_name(role_name)
    external_id = _str(org, "external_id", "[organization]")
    if external_id is not None:
        _check_external_id(external_id)
    accounts_raw = doc.get("accounts", [])
    if not isinstance(accounts_raw, list):
        raise ConfigError("accounts must be an array of tables ([[accounts]])")
    accounts = tuple(_account(a, i, external_id) for i, a in enumerate(accounts_raw, 1))
    org_id = _str(trust, "org_id", "[trust]")
    if org_id is not None and not re.fullmatch(r"o-[a-z0-9]{10,32}", org_id):
        raise ConfigError(f"[trust] org_id {org_id!r} is not an organization id (o-...)")
    return ScanConfig(
        accounts=accounts,
        regions=_strs(doc, "regions", "the top level"),
        services=_strs(doc, "services", "the top level"),
        org=_bool(org, "enabled", "[organization]"),
        role_name=role_name,
        external_id=external_id,
        org_exclude=frozenset(_ids(org, "exclude", "[organization]")),
        trust_org=_bool(org, "trust", "[organization]", default=True),
        trust=TrustZone(
            accounts=frozenset(_ids(trust, "accounts", "[trust]")),
            org_id=org_id,
            networks=frozenset(_strs(trust, "networks", "[trust]")),
        ),
    )


def _account(raw: Any, index: int, default_external_id: str | None) -> AccountSpec:
    where = f"[[accounts]] #{index}"
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where} must be a table")
    _keys(raw, _ACCT, where)
    account_id = _str(raw, "id", where) or ""
    if account_id and not _ACCOUNT.match(account_id):
        raise ConfigError(f"{where}: id {account_id!r} is not a 12-digit account id")
    role_arn = _str(raw, "role_arn", where)
    role_name = _str(raw, "role_name", where)
    if role_name is not None:
        _check_role_name(role_name)
        if not account_id:
            raise ConfigError(f"{where}: role_name needs the account id (id = ...)")
    if role_arn is not None:
        parts = role_arn.split(":")
        if len(parts) < 6 or parts[2] != "iam" or not parts[5].startswith("role/"):
            raise ConfigError(f"{where}: role_arn {role_arn!r} is not an IAM role ARN")
        if account_id and parts[4] != account_id:
            raise ConfigError(f"{where}: role_arn is in account {parts[4]}, not {account_id}")
        account_id = account_id or parts[4]
    profile = _str(raw, "profile", where)
    if not (profile or role_arn or role_name or account_id):
        raise ConfigError(f"{where} needs a profile, a role_arn, or an id and a role_name")
    external_id = _str(raw, "external_id", where)
    if external_id is not None:
        _check_external_id(external_id)
    return AccountSpec(
        account_id=account_id,
        profile=profile,
        role_arn=role_arn,
        role_name=role_name,
        external_id=external_id if external_id is not None else default_external_id,
        name=_str(raw, "name", where) or "",
    )


def _keys(table: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ConfigError(
            f"unknown key(s) {', '.join(unknown)} in {where} "
            f"(allowed: {', '.join(sorted(allowed))})"
        )


def _table(doc: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = doc.get(key, {})
    if not isinstance(value, Mapping):
        raise ConfigError(f"{key} must be a table ([{key}])")
    return value


def _str(table: Mapping[str, Any], key: str, where: str) -> str | None:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{key} in {where} must be a non-empty string")
    return value.strip()


def _bool(table: Mapping[str, Any], key: str, where: str, default: bool = False) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{key} in {where} must be true or false")
    return value


def _strs(table: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"{key} in {where} must be an array of strings")
    return tuple(dict.fromkeys(v.strip() for v in value))


def _ids(table: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    ids = _strs(table, key, where)
    bad = [i for i in ids if not _ACCOUNT.match(i)]
    if bad:
        raise ConfigError(f"{key} in {where}: not 12-digit account ids: {', '.join(bad)}")
    return ids


def _check_role_name(name: str) -> None:
    if not _ROLE_NAME.match(name):
        raise ConfigError(f"role name {name!r} is not a valid IAM role name (or path/name)")


def _check_external_id(value: str) -> None:
    if not _EXTERNAL_ID.match(value):
        raise ConfigError(
            "the external id must be 2 to 1224 characters of letters, digits and +=,.@:/-"
        )


# -- organizations -------------------------------------------------------------------------


@dataclass(frozen=True)
class OrgAccount:
    account_id: str
    name: str
    status: str


def list_organization(clients: AwsClients) -> tuple[str | None, list[OrgAccount]]:
    """The organization id (``None`` when DescribeOrganization is denied) and every account.

    Raises :class:`CollectError` when the account is in no organization, or when
    ListAccounts fails (not a management account or delegated administrator, or denied).
    """
    org = clients.client("organizations")
    org_id: str | None
    try:
        org_id = str(clients.call(org, "DescribeOrganization")["Organization"]["Id"])
    except CollectError as exc:
        if exc.code == "AWSOrganizationsNotInUseException":
            raise  # no organization to list (ListAccounts would answer with nothing)
        org_id = None  # denied: the listing may still work (a delegated administrator)
    except (KeyError, TypeError):
        org_id = None
    accounts: list[OrgAccount] = []
    for page in clients.pages(org, "ListAccounts", "NextToken", "NextToken"):
        for raw in page.get("Accounts") or []:
            try:
                accounts.append(
                    OrgAccount(str(raw["Id"]), str(raw.get("Name") or ""), _status(raw))
                )
            except (KeyError, TypeError) as exc:
                raise MalformedResponse(
                    f"MalformedResponse on ListAccounts: {type(exc).__name__}: {exc}",
                    service="organizations",
                    operation="ListAccounts",
                    code="MalformedResponse",
                ) from exc
    return org_id, accounts


def _status(raw: Mapping[str, Any]) -> str:
    # ``State`` replaces the deprecated ``Status`` (both returned during the transition).
    return str(raw.get("State") or raw.get("Status") or "ACTIVE").upper()


# -- reaching an account -------------------------------------------------------------------


class _Fixed(CredentialProvider):  # type: ignore[misc]
    """A credential provider handing out one (refreshable) credentials object."""

    METHOD = "andon-assume-role"
    CANONICAL_NAME = "andon-assume-role"

    def __init__(self, credentials: RefreshableCredentials) -> None:
        super().__init__()
        self._credentials = credentials

    def load(self) -> RefreshableCredentials:
        return self._credentials


def assume_role_session(
    source: AwsClients,
    role_arn: str,
    *,
    external_id: str | None = None,
    session_name: str = SESSION_NAME,
) -> boto3.Session:
    """A boto3 session on ``role_arn``'s refreshable credentials, assumed from ``source``.

    The first AssumeRole happens here: :class:`CollectError` (``AccessDenied`` ...) when the
    role cannot be assumed. Later refreshes go through ``source`` too (counted, mapped).
    """
    sts = source.client("sts")
    args: dict[str, Any] = {
        "RoleArn": role_arn,
        "RoleSessionName": session_name,
        "DurationSeconds": ROLE_SESSION_SECONDS,
    }
    if external_id:
        args["ExternalId"] = external_id

    def fetch() -> dict[str, Any]:
        answer = source.call(sts, "AssumeRole", **args)
        try:
            c = answer["Credentials"]
            expiry = c["Expiration"]
            return {
                "access_key": str(c["AccessKeyId"]),
                "secret_key": str(c["SecretAccessKey"]),
                "token": str(c["SessionToken"]),
                "expiry_time": expiry.isoformat() if isinstance(expiry, datetime) else expiry,
            }
        except (KeyError, TypeError, AttributeError) as exc:
            raise MalformedResponse(
                f"MalformedResponse on AssumeRole: no credentials ({type(exc).__name__}: {exc})",
                service="sts",
                operation="AssumeRole",
                code="MalformedResponse",
            ) from exc

    credentials = RefreshableCredentials.create_from_metadata(
        fetch(), refresh_using=fetch, method=_Fixed.METHOD
    )
    core = _core_session(source.session)
    core.set_config_variable("region", source.home_region)
    core.get_component("credential_provider").insert_before("env", _Fixed(credentials))
    return boto3.Session(botocore_session=core)


def _core_session(source: boto3.Session, profile: str | None = None) -> botocore.session.Session:
    """A new botocore session sharing ``source``'s data loader: the service models (tens of
    MB per session once parsed) are loaded once per scan, not once per account."""
    core = botocore.session.Session(profile=profile)
    inner = getattr(source, "_session", None)  # boto3 keeps its botocore session there
    if isinstance(inner, botocore.session.Session):
        core.register_component("data_loader", inner.get_component("data_loader"))
    return core


def profile_session(source: boto3.Session, profile: str) -> boto3.Session:
    """A boto3 session on ``profile`` sharing ``source``'s data loader. An unknown profile
    fails at the first call (botocore ProfileNotFound), as a collect error."""
    return boto3.Session(botocore_session=_core_session(source, profile))


def open_account(
    ctx: Context,
    base: AwsClients,
    spec: AccountSpec,
    *,
    instrument: Instrument | None = None,
    factory: ClientFactory = AwsClients,
) -> AwsClients:
    """Clients for one account (built by ``factory``). Raises :class:`CollectError` when it
    cannot be reached (role not assumable, profile without valid credentials),
    :class:`ConfigError` for an unknown profile."""
    if spec.profile:
        clients = factory(
            replace(
                ctx.aws,
                profile=spec.profile,
                access_key_id=None,
                secret_access_key=None,
                session_token=None,
            ),
            ctx.limits,
            session=profile_session(base.session, spec.profile),
        )
        if instrument is not None:
            instrument(clients.session)
        source = clients
    else:
        source = base
    role = spec.role(source.partition())
    if role is None:
        return source
    session = assume_role_session(source, role, external_id=spec.external_id)
    if instrument is not None:
        instrument(session)
    return factory(ctx.aws, ctx.limits, session=session)


# -- regions -------------------------------------------------------------------------------

NOT_ENABLED = "not-opted-in"


@dataclass(frozen=True)
class RegionPlan:
    """The regions to scan in one account, and the requested ones that cannot be."""

    regions: tuple[str, ...]
    refused: tuple[tuple[str, str], ...] = ()  # (region, reason)
    error: CollectError | None = None  # DescribeRegions failed


def plan_regions(clients: AwsClients, requested: tuple[str, ...]) -> RegionPlan:
    """Enabled regions (DescribeRegions, opt-in status), narrowed to ``requested`` if any.

    When DescribeRegions fails: the requested regions as given, or else the home region
    alone, with the error (the caller records what was not seen).
    """
    try:
        answer = clients.call(clients.client("ec2"), "DescribeRegions", AllRegions=True)
        status = {
            str(r["RegionName"]): str(r.get("OptInStatus") or "opt-in-not-required")
            for r in answer.get("Regions") or []
        }
    except CollectError as exc:
        return RegionPlan(requested or (clients.home_region,), (), exc)
    except (KeyError, TypeError) as exc:
        bad = MalformedResponse(
            f"MalformedResponse on DescribeRegions: {type(exc).__name__}: {exc}",
            service="ec2",
            operation="DescribeRegions",
            code="MalformedResponse",
        )
        return RegionPlan(requested or (clients.home_region,), (), bad)
    if not requested:
        return RegionPlan(tuple(sorted(r for r, s in status.items() if s != NOT_ENABLED)))
    keep: list[str] = []
    refused: list[tuple[str, str]] = []
    for region in requested:
        if region not in status:
            refused.append((region, f"region {region} is not offered to this account"))
        elif status[region] == NOT_ENABLED:
            refused.append(
                (region, f"region {region} is not enabled in this account (opt-in required)")
            )
        else:
            keep.append(region)
    return RegionPlan(tuple(keep), tuple(refused))


def offered_regions(session: boto3.Session, endpoint: str, partition: str) -> frozenset[str]:
    """Regions where botocore's endpoint data offers ``endpoint`` (empty: no data)."""
    try:
        return frozenset(session.get_available_regions(endpoint, partition_name=partition))
    except Exception:  # unknown service or partition in this botocore: no data
        return frozenset()
