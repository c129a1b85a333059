"""Fixtures for the rule tests: builders for crafted Resource + Exposure inputs.

The builders are served through the ``build`` fixture (not imported from a helper module), so
the tests run under any pytest import mode.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pytest

from andon.core.model import Access, Exposure, Level, Resource
from andon.rules import Registry, default_registry


def bucket(
    *,
    uid: str = "arn:aws:s3:::carmaker-telemetry",
    website: Any = False,
    tags: Mapping[str, str] | None = None,
    cloud: str = "aws",
    kind: str = "storage.bucket",
) -> Resource:
    return Resource(
        uid=uid,
        cloud=cloud,
        account="111122223333",
        region="ap-northeast-1",
        kind=kind,
        native_type="AWS::S3::Bucket",
        name=uid.rsplit(":", 1)[-1],
        attributes={"website": website},
        tags=dict(tags or {}),
    )


_MISSING = object()


def account(pab: Any = _MISSING, *, cloud: str = "aws") -> Resource:
    attributes = {} if pab is _MISSING else {"public_access_block": pab}
    return Resource(
        uid="arn:aws:s3:::account/111122223333",
        cloud=cloud,
        account="111122223333",
        region="",
        kind="account.settings",
        native_type="AWS::S3::AccountPublicAccessBlock",
        name="111122223333",
        attributes=attributes,
    )


def exposure(
    level: Level = Level.PUBLIC,
    access: Iterable[Access] = (),
    latent: Iterable[Access] = (),
) -> Exposure:
    return Exposure(
        level=level,
        access=frozenset(access),
        latent_access=frozenset(latent),
        reasons=("crafted for a test",),
    )


class Build:
    """The builders above, as one object the tests receive through a fixture."""

    bucket = staticmethod(bucket)
    account = staticmethod(account)
    exposure = staticmethod(exposure)


@pytest.fixture
def build() -> Build:
    return Build()


@pytest.fixture
def registry() -> Registry:
    return default_registry()
