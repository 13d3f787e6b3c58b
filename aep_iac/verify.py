"""Verify a deploy: the next run of every dataflow it created or changed, judged against what the
dataflow's declaration expects (``Expect``: the share of failed records, the records written).

``python -m aep_iac.verify [--project DIR] [--timeout S] [--since EPOCH] [--flow KEY...] [STACK...]``

Which dataflows: those named (``--flow``), else those Flow Service says were created or updated
since the last deploy began (``.run/last-deploy.json``, written by ``aep_iac.stacks apply``, or
``--since``): one GET per dataflow. For each, the first run that started since then: a ``once``
flow gets an on-demand run (``POST /runs``, the only runs Flow Service allows on demand), a
scheduled one is waited for; both within ``--timeout``.

Writes ``verify.md`` (for people: each flow's run, files, records read/written/failed and its
first errors in Adobe's words) and ``verify.json``, and exits like the plan command: **0** every
run within its expectations, **2** some run outside them, **1** an error (a timeout included,
naming the flow). At a terminal each flow's progress is one line that updates; elsewhere (CI) one
plain line per event.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from aep_iac import localdemo, report_files
from aep_iac.demo_report import outputs, run_status
from aep_iac.lock import selected_stacks
from aep_spec import identity

LAST_DEPLOY = Path(".run") / "last-deploy.json"
FINISHED = ("success", "partialSuccess", "failed")
POLL_SECONDS = 2.0
#: The files an on-demand run takes: those modified in the last 30 days.
WINDOW_SECONDS = 30 * 86400
DEFAULT_EXPECT = {"max_failed_share": 0.05, "min_records": 0}


@dataclass
class Check:
    """One dataflow's verification: which run, what it read and wrote, and the verdict."""

    stack: str
    sandbox: str
    key: str
    flow_id: str
    expect: dict[str, Any]
    verdict: str = "waiting"  # pass | fail | timeout | error | waiting
    reasons: list[str] = field(default_factory=list)
    run_id: str | None = None
    status: str | None = None
    files: int = 0
    read: int = 0
    written: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def take(self, run: Mapping[str, Any]) -> None:
        metrics = run.get("metrics") or {}
        records = metrics.get("recordSummary") or {}
        self.run_id, self.status = str(run.get("id")), run_status(run)
        self.files = int((metrics.get("fileSummary") or {}).get("inputFileCount") or 0)
        self.read = int(records.get("inputRecordCount") or 0)
        self.written = int(records.get("outputRecordCount") or 0)
        self.failed = int(records.get("failedRecordCount") or 0)
        self.errors = [f"{e.get('code')}: {e.get('message')}" for e in
                       (metrics.get("statusSummary") or {}).get("errors") or []][:3]

    def judge(self) -> None:
        """Against the declaration's expectations: the failed share, the records written."""
        share = self.failed / self.read if self.read else 0.0
        limit = float(self.expect.get("max_failed_share", DEFAULT_EXPECT["max_failed_share"]))
        least = int(self.expect.get("min_records", DEFAULT_EXPECT["min_records"]))
        self.reasons = []
        if self.status == "failed":
            self.reasons.append("the run failed")
        if share > limit:
            self.reasons.append(f"{share:.0%} of the records read failed (at most {limit:.0%} expected)")
        if self.written < least:
            self.reasons.append(f"{self.written} record(s) written (at least {least} expected)")
        self.verdict = "fail" if self.reasons else "pass"

    def line(self) -> str:
        head = f"{self.stack}/{self.key}: {self.verdict}"
        if self.run_id:
            head += (f", run {self.run_id} {self.status}: {self.files} file(s), {self.read} read, "
                     f"{self.written} written, {self.failed} failed")
        return head + (f" ({'; '.join(self.reasons)})" if self.reasons else "")


# ------------------------------------------------------------------------------ which dataflows


def declared_flows(project: Path, stacks: Sequence[str]) -> list[Check]:
    """Every deployed dataflow of the stacks, with its expectations (the stacks' outputs)."""
    checks = []
    for stack in stacks:
        values = outputs(project, stack)
        expectations = values.get(identity.EXPECTATIONS_OUTPUT) or {}
        sandbox = str(values.get(identity.SANDBOX_OUTPUT) or "")
        for key, flow_id in sorted((values.get("dataflow_ids") or {}).items()):
            checks.append(Check(stack, sandbox, key, str(flow_id), dict(expectations.get(key) or DEFAULT_EXPECT)))
    return checks


def since_last_deploy(project: Path) -> float | None:
    """When the last deploy began (epoch seconds), as ``aep_iac.stacks apply`` recorded it."""
    try:
        return float(json.loads((project / LAST_DEPLOY).read_text())["started"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


# ------------------------------------------------------------------------------ waiting for runs


def sandbox_clients() -> Callable[[str], Any]:
    """One Flow Service client per sandbox, made when first needed, from the environment's settings
    (the same ``AEP_*`` variables the provider reads)."""
    from aep_client import FlowServiceClient, FlowServiceConfig

    clients: dict[str, Any] = {}

    def client_for(sandbox: str) -> Any:
        if sandbox not in clients:
            clients[sandbox] = FlowServiceClient(FlowServiceConfig.from_env({"sandbox_name": sandbox or None}))
        return clients[sandbox]

    return client_for


class Verifier:
    """The API calls of one verification, per sandbox (one client each)."""

    def __init__(self, client_for: Callable[[str], Any], since: float, timeout: float,
                 say: Callable[[Check], None]) -> None:
        self.client_for = client_for
        self.since_ms = since * 1000
        self.deadline = time.monotonic() + timeout
        self.say = say
        self.flows: dict[str, Mapping[str, Any]] = {}

    def flow(self, check: Check) -> Mapping[str, Any]:
        """The flow as Flow Service has it (one GET, kept for the rest of the verification)."""
        from aep_client import FLOWS

        if check.flow_id not in self.flows:
            self.flows[check.flow_id] = self.client_for(check.sandbox).get(FLOWS, check.flow_id)
        return self.flows[check.flow_id]

    def changed(self, check: Check) -> bool:
        """Whether Flow Service shows the flow created or updated since the deploy began."""
        record = self.flow(check)
        return max(record.get("createdAt") or 0, record.get("updatedAt") or 0) >= self.since_ms

    def run(self, checks: Sequence[Check]) -> None:
        for check in checks:  # on-demand runs first: every flow then runs at once
            record = self.flow(check)
            if (record.get("scheduleParams") or {}).get("frequency") == "once" and not self._runs(check):
                now = int(time.time())
                check.run_id = self.client_for(check.sandbox).start_run(check.flow_id, now, now - WINDOW_SECONDS, now)
                self.say(check)
        waiting = list(checks)
        while waiting:
            for check in list(waiting):
                runs = self._runs(check)
                first = runs[0] if runs else None  # the next run after the deploy, not a later one
                if first is not None and run_status(first) in FINISHED:
                    check.take(first)
                    check.judge()
                    waiting.remove(check)
                    self.say(check)
                elif first is not None and check.run_id != str(first.get("id")):
                    check.run_id = str(first.get("id"))
                    self.say(check)
            if not waiting:
                return
            if time.monotonic() >= self.deadline:
                for check in waiting:
                    check.verdict = "timeout"
                    check.reasons = ["no run finished within the timeout" + (
                        f" (run {check.run_id} still in progress)" if check.run_id else " (no run started)")]
                    self.say(check)
                return
            time.sleep(POLL_SECONDS)

    def _runs(self, check: Check) -> list[dict[str, Any]]:
        """The flow's runs that started since the deploy began, oldest first."""
        runs = self.client_for(check.sandbox).list_runs(check.flow_id, limit=10)
        started = [r for r in runs
                   if ((r.get("metrics") or {}).get("durationSummary") or {}).get("startedAtUTC", 0) >= self.since_ms]
        return list(reversed(started))


# ------------------------------------------------------------------------------ reports


def exit_code(checks: Sequence[Check]) -> int:
    if any(c.verdict in ("timeout", "error", "waiting") for c in checks):
        return 1
    return 2 if any(c.verdict == "fail" for c in checks) else 0


def render_markdown(checks: Sequence[Check], since: float) -> str:
    counts = {v: sum(1 for c in checks if c.verdict == v) for v in ("pass", "fail", "timeout", "error")}
    lines = ["# Verify: the runs after the deploy", "",
             f"**{counts['pass']} passed, {counts['fail']} outside expectations, {counts['timeout']} timed out, "
             f"{counts['error']} errors** ({len(checks)} dataflow(s) created or changed since "
             f"{time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime(since))}).", ""]
    if not checks:
        lines.append("No dataflow was created or changed by the deploy.")
    for check in checks:
        mark = {"pass": "passed", "fail": "**outside expectations**", "timeout": "**timed out**",
                "error": "**error**"}.get(check.verdict, check.verdict)
        lines += [f"## `{check.key}` in `{check.stack}` (sandbox {check.sandbox}): {mark}", ""]
        if check.run_id:
            lines.append(f"- run `{check.run_id}`: {check.status or 'in progress'}")
            lines.append(f"- {check.files} file(s); {check.read} records read, {check.written} written, "
                         f"{check.failed} failed")
        lines.append(f"- expected: at most {float(check.expect['max_failed_share']):.0%} failed, at least "
                     f"{int(check.expect['min_records'])} written")
        lines += [f"- {reason}" for reason in check.reasons if check.verdict != "pass"]
        if check.errors:
            lines += ["- first errors, in Adobe's words:", *(f"  - {e}" for e in check.errors)]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = report_files.parser(__doc__, "verify")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds to wait for the runs (default 900)")
    parser.add_argument("--since", type=float, default=None, help="epoch seconds (default: the last deploy's start)")
    parser.add_argument("--flow", action="append", default=[], help="a dataflow's key (repeatable; default: "
                                                                     "those the deploy created or changed)")
    parser.add_argument("stacks", nargs="*")
    args = parser.parse_args(argv)
    project = args.project.resolve()
    localdemo.apply(project)
    since = args.since if args.since is not None else since_last_deploy(project)
    if since is None:
        print("verify: no deploy recorded (.run/last-deploy.json); deploy first, or give --since or --flow",
              file=sys.stderr)
        return 1
    terminal = sys.stdout.isatty()

    def say(check: Check) -> None:
        text = check.line() if check.verdict != "waiting" else (
            f"{check.stack}/{check.key}: waiting for a run" + (f" ({check.run_id})" if check.run_id else ""))
        print(("\r\x1b[2K" if terminal else "") + text, end="" if terminal and check.verdict == "waiting" else "\n",
              flush=True)

    try:
        client_for = sandbox_clients()
        flows = declared_flows(project, selected_stacks(project, args.stacks))
        verifier = Verifier(client_for, since, args.timeout, say)
        chosen = [c for c in flows if c.key in args.flow] if args.flow else [c for c in flows if verifier.changed(c)]
        verifier.run(chosen)
    except Exception as exc:  # noqa: BLE001 - one line naming what failed, never a traceback
        print(f"verify: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    code = exit_code(chosen)
    report_files.write(args.out, args.json, render_markdown(chosen, since),
                       {"exit_code": code, "since": since, "flows": [asdict(c) for c in chosen]})
    meaning = {0: "every run within its expectations", 2: "some run outside its expectations", 1: "error"}[code]
    report_files.say_written(args.out, args.json, meaning, code)
    return code


if __name__ == "__main__":
    sys.exit(main())
