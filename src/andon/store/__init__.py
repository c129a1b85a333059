"""The history of scans: resources, findings, finding state and transitions.

A :class:`Store` owns one database: a SQLite file by default (:func:`default_url`), PostgreSQL
by URL (``postgresql://`` is rewritten to ``postgresql+psycopg://``). Opening it runs the Alembic
migrations to the newest revision. Every database failure is raised as
:class:`andon.core.errors.StoreError`; an unknown scan or finding id as
:class:`andon.core.errors.NotFound`.

Writing a scan
    :meth:`Store.start_scan` records a ``running`` scan of a *scope* (a key such as
    ``aws:123456789012:s3:all-regions``). :meth:`Store.add_resource`, :meth:`Store.add_resources`
    and :meth:`Store.add_findings` may be called while collection streams; each call commits
    (large iterables every ``batch_size`` items), so what was added survives a crash. A scan
    whose process died stays ``running`` with its data readable, until :meth:`Store.recover`
    (or :meth:`Store.finish_scan`) marks it ``incomplete``. :meth:`Store.record` wraps all this
    in a context manager that never leaves a scan looking clean by accident.

Transitions (computed by :meth:`Store.finish_scan`, pure rules in :mod:`andon.store.lifecycle`)
    Each scope keeps a state per finding id: ``open``, ``exempt`` or ``resolved``. When a scan
    of the scope finishes, with any status:

    * each *open* finding the scan produced becomes ``open`` and causes
      ``opened`` if the scope never saw it, ``reopened`` if it was ``resolved`` or ``exempt``,
      ``still_open`` if it was open with the same severity, ``severity_changed`` if it was open
      with another severity (``previous_severity`` tells which);
    * each *exempt* finding the scan produced becomes ``exempt`` and causes ``exempted``, unless
      it was already exempt (then no transition);
    * each finding ``open`` or ``exempt`` in the state that the scan did not produce becomes
      ``resolved`` (transition ``resolved``) **only if the scan is** ``complete``. An
      ``incomplete`` or ``failed`` scan never resolves anything: the finding may sit in the part
      it could not read. Such a scan still records its findings and opens new ones.

    Scopes are independent: a scan of one scope never touches another scope's state. Finishes
    within one scope are serialized (a PostgreSQL advisory lock; SQLite's write lock), each sees
    the state the previous one left. A finished scan takes no more data, and finishing it again
    is an error. Alerts should fire on ``opened``, ``reopened`` and ``severity_changed``.

Targeted scans (``start_scan(..., targets=uids)``, used by ``andon watch``) follow the same
rules but resolve only their targets' findings; see :mod:`andon.store.store`.
"""

# The tables of the modules built on the store register on the same metadata.
from andon.store import (  # noqa: F401
    schema_alert,
    schema_incident,
    schema_remediate,
    schema_watch,
    schema_web,
)
from andon.store.engine import default_url, normalize_url
from andon.store.records import (
    FindingState,
    ResourceSnapshot,
    ScanRecord,
    ScanStatus,
    Transition,
    TransitionKind,
)
from andon.store.run import ScanRun
from andon.store.store import Store

__all__ = [
    "FindingState",
    "ResourceSnapshot",
    "ScanRecord",
    "ScanRun",
    "ScanStatus",
    "Store",
    "Transition",
    "TransitionKind",
    "default_url",
    "normalize_url",
]
