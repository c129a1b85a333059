"""The demo's emulated cloud and its synthetic connected-car estate.

``andon demo`` starts an :class:`EmulatedCloud` (moto's server, in this process, on a free
loopback port), seeds the estate with :func:`seed_estate` and scans it like any account. The
returned :class:`EstateManifest` says what a correct scan must find, bucket by bucket.

Importing this package needs nothing beyond Andon itself; starting the cloud needs the
``demo`` extra (moto, boto3, faker) and raises :class:`~andon.core.errors.ConfigError`
without it.
"""

from andon.demo.estate import ADMIN_USER, SCANNER_USER, seed_estate
from andon.demo.manifest import (
    AccessPointManifest,
    BucketManifest,
    DataCounts,
    EstateManifest,
    Verdict,
)
from andon.demo.server import (
    DEFAULT_REGION,
    DUMMY_CREDENTIALS,
    Credentials,
    EmulatedCloud,
    make_client,
)

__all__ = [
    "ADMIN_USER",
    "DEFAULT_REGION",
    "DUMMY_CREDENTIALS",
    "SCANNER_USER",
    "AccessPointManifest",
    "BucketManifest",
    "Credentials",
    "DataCounts",
    "EmulatedCloud",
    "EstateManifest",
    "Verdict",
    "make_client",
    "seed_estate",
]
