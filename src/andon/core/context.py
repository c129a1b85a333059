"""The explicit context every run carries: where to look, with which limits.

There are no module-level clients or settings in Andon: whatever a component needs is in the
:class:`Context` (or passed as an argument), so tests build a Context and need no patching.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Limits:
    """Bounds on how much a scan does at once and in total."""

    concurrency: int = 16  # parallel API calls per account (buckets collected at once)
    max_attempts: int = 8  # botocore adaptive retries after the first try; then the call is a gap
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    object_acl_sample: int = 20  # objects per bucket whose ACL is read when ACLs are enabled


@dataclass(frozen=True)
class AwsTarget:
    """Which AWS account to audit and how to reach it (standard credential chain)."""

    profile: str | None = None
    regions: tuple[str, ...] = ()  # empty: every region the account's buckets live in
    endpoint_url: str | None = None  # emulators and S3-compatible stores
    access_key_id: str | None = None
    secret_access_key: str | None = field(default=None, repr=False)
    session_token: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class ClassifySettings:
    """Content classification of exposed buckets during a scan (``andon scan --classify``):
    budgets per bucket and in total, in stored bytes read (see ``docs/classify.md``)."""

    bucket_bytes: int = 64 * 1024 * 1024  # sampled per bucket
    bucket_objects: int = 200  # objects read per bucket at most
    total_bytes: int = 1024 * 1024 * 1024  # over all buckets; readable buckets come first
    max_listed: int = 100_000  # objects listed per bucket before the listing stops
    key_file: str | None = None  # the subject key (default: the user's key file)


@dataclass(frozen=True)
class Context:
    """Everything a scan needs, passed explicitly."""

    aws: AwsTarget = field(default_factory=AwsTarget)
    limits: Limits = field(default_factory=Limits)
    exemption_tag: str = "andon:public"  # a resource with this tag is public on purpose
    classify: ClassifySettings | None = None  # None: no content is read
