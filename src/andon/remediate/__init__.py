"""Remediation: plan the least-damaging fix of a finding, apply it on approval, verify it,
journal it, roll it back; exemptions for what is public on purpose; the automatic mode.

Modules:

* :mod:`.exemptions` - exemptions from tags, the config file and the store, and the
  ``exempter`` the scan pipeline uses (an expired exemption is no exemption);
* :mod:`.actions` - the action table; one module per service family (:mod:`.s3`,
  :mod:`.rds`, :mod:`.ec2`, :mod:`.lambda_`, :mod:`.policies`);
* :mod:`.plan` - plans (offline from stored snapshots, live through the APIs), the plan file
  with its integrity MAC (:mod:`.fingerprint`), saved plans and their approval;
* :mod:`.apply` - applying a plan: fingerprint check, journal, verification by re-collection;
* :mod:`.journal` / :mod:`.rollback` - the change journal and rolling a change back;
* :mod:`.auto` - :class:`~andon.remediate.auto.AutoFixer` for ``andon watch --auto-fix``.

Nothing here changes a cloud resource unless :func:`andon.remediate.apply.apply_plan` (or
:func:`andon.remediate.rollback.rollback_change`, or an enabled ``AutoFixer``) is called.
"""
