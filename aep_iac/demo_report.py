"""What `make demo` shows after its deploy: per stack, the files each dataflow found when the base
connection explored its folder, each dataflow's first finished run with its record counts, and
what landed in each dataset (its batches, as Catalog lists them): where Adobe's tutorial ends.

The files come from the stacks' outputs (``explored_files``: Terraform read them through the
``aep_explore`` data source during the deploy). A flow's first run starts on its schedule
right after the flow is created, so it may still be running when the deploy ends: its runs are
then read through the API until one has finished (at most ``--wait`` seconds).

``python -m aep_iac.demo_report [--project DIR] [--wait SECONDS] [STACK...]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from aep_iac import localdemo
from aep_iac.lock import selected_stacks, stack_dir

FINISHED = ("success", "partialSuccess", "failed")


def outputs(project: Path, stack: str) -> dict[str, Any]:
    """The stack's outputs, as ``terraform output -json`` gives them (whatever the state backend)."""
    done = subprocess.run(["terraform", "output", "-json", "-no-color"], cwd=stack_dir(project, stack),
                          capture_output=True, text=True, env=dict(os.environ, TF_INPUT="0"))
    if done.returncode != 0:
        return {}
    return {name: value.get("value") for name, value in json.loads(done.stdout or "{}").items()}


def finished_run(list_runs: Callable[[str], list[dict[str, Any]]], flow_id: str, wait: float) -> dict[str, Any] | None:
    """The newest finished run of a flow, polling up to ``wait`` seconds for the first one."""
    deadline = time.monotonic() + wait
    while True:
        done = [run for run in list_runs(flow_id) if run_status(run) in FINISHED]
        if done or time.monotonic() >= deadline:
            return done[0] if done else None
        time.sleep(0.5)


def run_status(run: Mapping[str, Any]) -> str | None:
    status = ((run.get("metrics") or {}).get("statusSummary") or {}).get("status")
    return str(status) if status else None


def describe(run: Mapping[str, Any]) -> str:
    metrics = run.get("metrics") or {}
    records, files = metrics.get("recordSummary") or {}, metrics.get("fileSummary") or {}
    errors = [f"{e.get('code')}: {e.get('message')}" for e in (metrics.get("statusSummary") or {}).get("errors") or []]
    text = (f"run {run.get('id')}: {run_status(run)}, {files.get('inputFileCount', 0)} file(s), "
            f"{records.get('inputRecordCount', 0)} records read, {records.get('outputRecordCount', 0)} written, "
            f"{records.get('failedRecordCount', 0)} failed")
    return text + (f" ({errors[0]})" if errors else "")


def report(project: Path, stacks: Sequence[str], wait: float) -> list[str]:
    from aep_client import FlowServiceClient, FlowServiceConfig

    lines: list[str] = []
    for stack in stacks:
        values = outputs(project, stack)
        flows: dict[str, str] = values.get("dataflow_ids") or {}
        if not flows:
            continue
        sandbox = json.loads((stack_dir(project, stack) / "cdk.tf.json").read_text())["provider"]["aep"][0]
        config = FlowServiceConfig.from_env({"sandbox_name": sandbox["sandbox_name"]})
        lines.append(f"{stack} (sandbox {config.sandbox_name}):")
        with FlowServiceClient(config) as client:
            for key, flow_id in sorted(flows.items()):
                if "explored_files" in values:  # a sandbox declared with reports=True
                    files = (values.get("explored_files") or {}).get(key) or []
                    lines.append(f"  {key}: explored {len(files)} file(s): {', '.join(files) or '(none)'}")
                run = finished_run(lambda flow: client.list_runs(flow, limit=5), flow_id, wait)
                lines.append(f"  {key}: " + (describe(run) if run else f"no run finished within {wait:g} s"))
            for key, dataset_id in sorted((values.get("dataset_ids") or {}).items()):
                lines.append(f"  dataset {key} ({dataset_id}): " + landed(client.catalog.batches(dataset_id)))
    return lines


def landed(batches: Sequence[Mapping[str, Any]]) -> str:
    """What a dataset's batches hold: records written, in how many batches."""
    written = sum(int((b.get("metrics") or {}).get("recordsWritten") or 0) for b in batches)
    return f"{written} record(s) landed in {len(batches)} batch(es)" if batches else "no batch yet"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--project", type=Path, default=Path.cwd())
    parser.add_argument("--wait", type=float, default=30.0)
    parser.add_argument("stacks", nargs="*")
    args = parser.parse_args(argv)
    project = args.project.resolve()
    localdemo.apply(project)
    lines = report(project, selected_stacks(project, args.stacks), args.wait)
    print("\n".join(["", "What the dataflows read:", *lines]) if lines else "No dataflow deployed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
