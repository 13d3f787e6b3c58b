"""The health report: how every deployed dataflow is doing, between changes.

``python -m aep_iac.status [--project DIR] [--at EPOCH] [STACK...]``

For every dataflow in the stacks' states: whether it is enabled, its last run (status, records read,
written and failed, the first error in Adobe's words), whether it is **late** (no run started for
about two intervals of its schedule) and whether it **drifted** from the declaration (disabled
behind Terraform's back, another schedule). Two calls per dataflow: its flow and its last run.

Writes ``status.md`` (a table and a picture per sandbox, each object marked with how its last run
went) and ``status.json``; exits **0** all healthy, **2** something needs attention, **1** an error.
A scheduled CI job runs it with the drift plan.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from aep_iac import localdemo, pictures, report_files
from aep_iac.demo_report import outputs, run_status
from aep_iac.lock import selected_stacks, stack_dir
from aep_iac.verify import DEFAULT_EXPECT, sandbox_clients
from aep_spec import identity

#: Seconds in one unit of a schedule.
UNITS = {"minute": 60, "hour": 3600, "day": 86400, "week": 7 * 86400}
#: A flow is late when nothing started for this many intervals (plus a minute of grace).
LATE_AFTER_INTERVALS = 2


@dataclass
class Health:
    """One dataflow as the report shows it."""

    stack: str
    sandbox: str
    key: str
    name: str
    flow_id: str
    address: str
    enabled: bool | None = None
    declared_enabled: bool | None = None
    schedule: str = ""
    last_run: str | None = None
    last_status: str | None = None
    last_started: str | None = None
    read: int = 0
    written: int = 0
    failed: int = 0
    last_error: str | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not self.problems


def state_of(project: Path, stack: str) -> list[dict[str, Any]]:
    """The stack's managed resources as ``terraform show -json`` gives them (whatever the backend)."""
    done = subprocess.run(["terraform", "show", "-json", "-no-color"], cwd=stack_dir(project, stack),
                          capture_output=True, text=True, env=dict(os.environ, TF_INPUT="0"))
    if done.returncode != 0:
        raise RuntimeError(f"{stack}: terraform show failed: {done.stderr.strip()[-500:]}")
    values = (json.loads(done.stdout or "{}").get("values") or {}).get("root_module") or {}
    return list(values.get("resources") or [])


def examine(health: Health, flow: Mapping[str, Any], runs: Sequence[Mapping[str, Any]], declared: Mapping[str, Any],
            expect: Mapping[str, Any], now: float) -> Health:
    """Judge one flow from what Flow Service says of it and of its last run."""
    schedule = flow.get("scheduleParams") or {}
    frequency, interval = str(schedule.get("frequency") or ""), int(schedule.get("interval") or 1)
    health.schedule = "once" if frequency == "once" else f"every {interval} {frequency}(s)"
    health.enabled = flow.get("state") != "disabled"
    health.declared_enabled = declared.get("enabled") is not False
    if health.enabled != health.declared_enabled:
        health.problems.append(f"{'disabled' if not health.enabled else 'enabled'} outside Terraform (declared "
                               f"{'enabled' if health.declared_enabled else 'disabled'}): the next deploy sets it back")
    if declared.get("frequency") not in (None, frequency) or (declared.get("interval") not in (None, interval)
                                                               and frequency != "once"):
        health.problems.append(f"its schedule was changed outside Terraform (now {health.schedule})")
    started_ms = 0
    if runs:
        run = runs[0]
        metrics = run.get("metrics") or {}
        records = metrics.get("recordSummary") or {}
        started_ms = int((metrics.get("durationSummary") or {}).get("startedAtUTC") or 0)
        health.last_run, health.last_status = str(run.get("id")), run_status(run)
        if started_ms:
            health.last_started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(started_ms / 1000))
        health.read = int(records.get("inputRecordCount") or 0)
        health.written = int(records.get("outputRecordCount") or 0)
        health.failed = int(records.get("failedRecordCount") or 0)
        errors = (metrics.get("statusSummary") or {}).get("errors") or []
        health.last_error = f"{errors[0].get('code')}: {errors[0].get('message')}" if errors else None
        share = health.failed / health.read if health.read else 0.0
        limit = float(expect.get("max_failed_share", DEFAULT_EXPECT["max_failed_share"]))
        if health.last_status == "failed":
            health.problems.append("its last run failed")
        elif share > limit:
            health.problems.append(f"its last run failed {share:.0%} of its records (at most {limit:.0%} expected)")
    if health.enabled and frequency in UNITS:
        since = max(started_ms, int(flow.get("createdAt") or 0)) / 1000
        allowed = LATE_AFTER_INTERVALS * interval * UNITS[frequency] + 60
        if since and now - since > allowed:
            minutes = (now - since) / 60
            health.problems.append(f"late: no run started for {minutes:.0f} min (schedule {health.schedule})")
    return health


def report(project: Path, stacks: Sequence[str], client_for: Any,
           now: float) -> tuple[list[Health], dict[str, list[str]]]:
    """Every dataflow's health, and each sandbox's picture."""
    from aep_client import FLOWS

    found: list[Health] = []
    graphs: dict[str, pictures.Graph] = {}
    for stack in stacks:
        resources = state_of(project, stack)
        declared_outputs = outputs(project, stack)
        sandbox = str(declared_outputs.get(identity.SANDBOX_OUTPUT) or stack)
        expectations = declared_outputs.get(identity.EXPECTATIONS_OUTPUT) or {}
        graph = graphs.setdefault(sandbox, pictures.Graph())
        drawn = pictures.from_state(resources)
        graph.nodes.update(drawn.nodes)
        graph.edges += [e for e in drawn.edges if e not in graph.edges]
        for resource in resources:
            if resource.get("type") != identity.DATAFLOW or resource.get("mode") != "managed":
                continue
            declared = resource.get("values") or {}
            address = f"{identity.DATAFLOW}.{resource['name']}"
            health = Health(stack, sandbox, str(resource["name"]), str(declared.get("name")), str(declared["id"]),
                            address)
            client = client_for(sandbox)
            flow = client.get(FLOWS, health.flow_id)
            runs = client.list_runs(health.flow_id, limit=1)
            found.append(examine(health, flow, runs, declared, expectations.get(health.key) or DEFAULT_EXPECT, now))
            mark = "disabled" if health.enabled is False else ("attention" if health.problems else health.last_status)
            if mark:
                graph.mark(address, mark)
    legend = {"success": "green: last run succeeded", "partialSuccess": "yellow: last run partly succeeded",
              "failed": "red: last run failed", "attention": "orange: needs attention", "disabled": "grey: disabled"}
    return found, {sandbox: pictures.mermaid(graph, legend) for sandbox, graph in graphs.items()}


def render_markdown(found: Sequence[Health], drawn: Mapping[str, list[str]], now: float) -> str:
    attention = [h for h in found if not h.healthy]
    lines = ["# Status: the dataflows between changes", "",
             f"**{len(found) - len(attention)} healthy, {len(attention)} need attention** "
             f"({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(now))}).", ""]
    if attention:
        lines += [f"## Needs attention ({len(attention)})", ""]
        for health in attention:
            lines.append(f"- dataflow `{health.key}` ({health.name}) in `{health.stack}` (sandbox {health.sandbox}): "
                         + "; ".join(health.problems))
            if health.last_error:
                lines.append(f"  - last error: {health.last_error}")
        lines.append("")
    for sandbox in sorted({h.sandbox for h in found} | set(drawn)):
        members = [h for h in found if h.sandbox == sandbox]
        lines += [f"## {sandbox}", "", "| dataflow | enabled | schedule | last run | read | written | failed |",
                  "|---|---|---|---|---|---|---|"]
        for h in members:
            run = f"{h.last_status} ({h.last_started})" if h.last_run else "none yet"
            lines.append(f"| `{h.key}` | {'yes' if h.enabled else '**no**'} | {h.schedule} | {run} | {h.read} | "
                         f"{h.written} | {h.failed} |")
        lines += ["", *drawn.get(sandbox, [])]
    return "\n".join(lines).rstrip() + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = report_files.parser(__doc__, "status")
    parser.add_argument("--at", type=float, default=None,
                        help="judge lateness as of this time (epoch seconds; default now)")
    parser.add_argument("stacks", nargs="*")
    args = parser.parse_args(argv)
    project = args.project.resolve()
    localdemo.apply(project)
    now = time.time() if args.at is None else args.at
    try:
        found, drawn = report(project, selected_stacks(project, args.stacks), sandbox_clients(), now)
    except Exception as exc:  # noqa: BLE001 - one line naming what failed, never a traceback
        print(f"status: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    code = 2 if any(not h.healthy for h in found) else 0
    report_files.write(args.out, args.json, render_markdown(found, drawn, now),
                       {"exit_code": code, "dataflows": [asdict(h) for h in found]})
    for health in found:
        print(f"{health.stack}/{health.key}: " + ("healthy" if health.healthy else "; ".join(health.problems)))
    report_files.say_written(args.out, args.json, {0: "healthy", 2: "something needs attention"}[code], code)
    return code


if __name__ == "__main__":
    sys.exit(main())
