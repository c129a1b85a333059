"""Continuous monitoring: CloudTrail events and reconciliation sweeps feed the scan pipeline.

* :mod:`andon.watch.events` turns one CloudTrail event (an EventBridge envelope or a bare
  record) into a :class:`~andon.watch.events.ChangeEvent`: who changed what, when, and the
  :class:`~andon.watch.events.ResourceRef` of every resource the call may have changed
  (the table is :mod:`andon.watch.event_map`);
* :func:`andon.collect.aws.targeted.recollect` re-reads exactly those resources;
* :func:`andon.watch.rescan.rescan` evaluates them with the rules of a full scan and records a
  *targeted* scan in the sweep's scope, so its transitions compose with the sweeps';
* the daemon (queue, coalescing, sweeps, metrics, the ``andon watch`` command) builds on these.

Nothing is imported here: import the submodule you need.
"""
