"""The whole Andon exception tree, in one module.

Callers catch at the level they care about::

    AndonError                 every error Andon raises on purpose
    ├── ConfigError            bad option, bad config file, bad URL
    ├── PolicyError            a policy document that cannot be parsed or understood
    ├── CollectError           a cloud call failed (carries service, operation, code)
    │   ├── AccessDenied       the credentials may not make the call
    │   ├── Throttled          still throttled after the adaptive retries
    │   ├── EndpointError      the endpoint is unreachable, timed out or died mid-scan
    │   └── MalformedResponse  the answer could not be understood
    ├── StoreError             the database failed or holds something unexpected
    └── NotFound               a scan, finding or rule id that does not exist

A ``CollectError`` on one part of a resource never aborts a scan: the collector records it
as a :class:`andon.core.model.Gap` and the exposure of that part becomes ``UNKNOWN``.
"""

from __future__ import annotations


class AndonError(Exception):
    """Base of every error Andon raises on purpose."""


class ConfigError(AndonError):
    """An option, configuration file or URL is invalid."""


class PolicyError(AndonError):
    """A policy document is malformed or uses a construct Andon cannot decide."""


class CollectError(AndonError):
    """A call to a cloud API failed."""

    def __init__(
        self, message: str, *, service: str = "", operation: str = "", code: str = ""
    ) -> None:
        super().__init__(message)
        self.service = service
        self.operation = operation
        self.code = code


class AccessDenied(CollectError):
    """The credentials are not allowed to make the call."""


class Throttled(CollectError):
    """The API kept throttling after the adaptive retries ran out."""


class EndpointError(CollectError):
    """The endpoint could not be reached, timed out, or went away mid-scan."""


class MalformedResponse(CollectError):
    """The API answered with something that could not be understood."""


class StoreError(AndonError):
    """The store failed or holds unexpected data."""


class NotFound(AndonError):
    """A scan, finding or rule id that does not exist."""
