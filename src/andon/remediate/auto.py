"""The automatic mode (``andon watch --auto-fix RULE…``): fix new findings of chosen rules.

Off by default (``enabled=False`` does nothing). When on, for each ``opened`` or ``reopened``
transition of a rule matching ``rules`` (ids or fnmatch patterns), the fixer plans on the live
configuration (exempt findings are never touched) and applies the plan's entries, journaled
with mode ``auto`` and who ``andon-auto``. It stops:

* when the kill switch is on: the config flag (``enabled``) or the kill file exists (checked
  before every change, so ``touch`` stops a running daemon at once);
* at ``max_per_hour`` applied changes in the last hour (counted in the journal, so a restart
  does not reset it); the entry that hit the limit is journaled ``refused``.

:meth:`AutoFixer.on_transitions` returns the journal records of what it did or refused: the
caller (the watch daemon) alerts on every one of them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from andon.core.errors import AndonError
from andon.core.model import Finding, Resource
from andon.remediate.apply import Verifier, apply_entry
from andon.remediate.exemptions import Exempter, Exemption
from andon.remediate.journal import ChangeRecord, record_change, set_verified
from andon.remediate.plan import plan_live
from andon.store import Store, Transition, TransitionKind
from andon.store.schema_remediate import FixChangeRow

AUTO_WHO = "andon-auto"
_NEW = (TransitionKind.OPENED, TransitionKind.REOPENED)


class AutoFixer:
    """Applies fixes for new findings of the chosen rules (see the module docstring)."""

    def __init__(
        self,
        store: Store,
        ctx: Any,
        clients: Any,
        *,
        rules: frozenset[str],
        max_per_hour: int,
        kill_file: Path | None,
        enabled: bool,
        who: str = AUTO_WHO,
        config_exemptions: Sequence[Exemption] = (),
        verify: Verifier | None = None,
    ) -> None:
        if max_per_hour < 0:
            raise ValueError("max_per_hour must be at least 0")
        self.store = store
        self.ctx = ctx
        self.clients = clients
        self.rules = frozenset(rules)
        self.max_per_hour = max_per_hour
        self.kill_file = kill_file
        self.enabled = enabled
        self.who = who
        self.config_exemptions = tuple(config_exemptions)
        self.verify = verify

    def stopped(self) -> str:
        """Why the fixer does nothing now ("" when it may act)."""
        if not self.enabled:
            return "automatic fixes are off (config flag)"
        if self.kill_file is not None and self.kill_file.exists():
            return f"automatic fixes are stopped by the kill file {self.kill_file}"
        if not self.rules:
            return "no rule is selected for automatic fixes"
        return ""

    def wants(self, rule_id: str) -> bool:
        return any(fnmatchcase(rule_id, pattern) for pattern in self.rules)

    def applied_last_hour(self) -> int:
        since = self.store.now() - timedelta(hours=1)
        query = sa.select(sa.func.count()).where(
            FixChangeRow.mode == "auto", FixChangeRow.result == "applied", FixChangeRow.at >= since
        )
        with self.store.transaction("count automatic changes") as s:
            return int(s.scalar(query) or 0)

    def on_transitions(self, transitions: Sequence[Transition]) -> list[ChangeRecord]:
        """Fix what the transitions opened; return the journal records (alert on each)."""
        if self.stopped():
            return []
        todo = [t for t in transitions if t.kind in _NEW and self.wants(t.rule_id)]
        if not todo:
            return []
        exempter = Exempter.from_store(
            self.store,
            reason_tag=getattr(self.ctx, "exemption_tag", "andon:public"),
            config=self.config_exemptions,
        )
        records: list[ChangeRecord] = []
        by_scan: dict[str, tuple[dict[str, Finding], dict[str, Resource]]] = {}
        for t in todo:
            if t.scan_id not in by_scan:
                by_scan[t.scan_id] = self._scan(t.scan_id)
            findings, resources = by_scan[t.scan_id]
            finding = findings.get(t.finding_id)
            if finding is None:
                continue
            records.extend(self._fix(finding, resources, exempter))
            if self.stopped():
                break
        return records

    def _scan(self, scan_id: str) -> tuple[dict[str, Finding], dict[str, Resource]]:
        findings = {f.id: f for f in self.store.findings(scan_id)}
        resources = {s.resource.uid: s.resource for s in self.store.resources(scan_id)}
        return findings, resources

    def _fix(
        self, finding: Finding, resources: dict[str, Resource], exempter: Exempter
    ) -> list[ChangeRecord]:
        def exempt(f: Finding) -> str:
            res = resources.get(f.resource["uid"])
            return exempter.reason(res, f.rule_id) if res is not None else ""

        try:
            plan = plan_live(self.clients, [finding], resources, exempt=exempt)
        except AndonError:
            return []
        out: list[ChangeRecord] = []
        for entry in plan.entries:
            why = self.stopped()
            if why:
                break
            if self.applied_last_hour() >= self.max_per_hour:
                out.append(
                    record_change(
                        self.store,
                        plan_id=plan.id,
                        finding_id=entry.finding_id,
                        resource_uid=entry.resource_uid,
                        action=entry.action,
                        mode="auto",
                        target=entry.target,
                        before=entry.before,
                        after=None,
                        who=self.who,
                        result="refused",
                        message=f"refused: the automatic fix rate limit ({self.max_per_hour} "
                        "changes per hour) is reached; fix it with andon fix",
                    )
                )
                break
            record = apply_entry(
                self.store, self.clients, entry, who=self.who, plan_id=plan.id, mode="auto"
            )
            if self.verify is not None and record.result == "applied":
                verdict = self.verify([entry]).get(entry.finding_id, "unknown")
                set_verified(self.store, record.id, verdict)
                record = _with_verdict(record, verdict)
            out.append(record)
        return out


def _with_verdict(record: ChangeRecord, verdict: str) -> ChangeRecord:
    from dataclasses import replace

    return replace(record, verified=verdict)


KillSwitch = Callable[[], bool]
