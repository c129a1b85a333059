"""Core model and errors. Imports nothing else from Andon."""

from andon.core.errors import (
    AccessDenied,
    AndonError,
    CollectError,
    ConfigError,
    EndpointError,
    MalformedResponse,
    NotFound,
    PolicyError,
    StoreError,
    Throttled,
)
from andon.core.model import (
    Access,
    Exposure,
    Finding,
    Gap,
    Level,
    Resource,
    Severity,
    Status,
    finding_id,
    sorted_access,
)

__all__ = [
    "Access",
    "AccessDenied",
    "AndonError",
    "CollectError",
    "ConfigError",
    "EndpointError",
    "Exposure",
    "Finding",
    "Gap",
    "Level",
    "MalformedResponse",
    "NotFound",
    "PolicyError",
    "Resource",
    "Severity",
    "Status",
    "StoreError",
    "Throttled",
    "finding_id",
    "sorted_access",
]

from andon.core.context import AwsTarget, Context, Limits

__all__ += ["AwsTarget", "Context", "Limits"]
