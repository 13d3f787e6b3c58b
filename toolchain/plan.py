"""Plan every stack and write what would change for a reviewer (``plan.md``) and for bots (``plan.json``).

``python -m toolchain.plan [--project DIR] [--out plan.md] [--json plan.json] [STACK...]``

Each stack is planned with plain ``terraform plan -detailed-exitcode`` in its synthesized folder
(so this works the same after CDKTF's end of life), then read back with ``terraform show -json``.
Per stack it lists the connections to create, update in place, replace and delete, with the
attributes that change, before and after. Write-only credentials never appear: their version
attribute is shown instead, as ``(write-only: version 1 -> 2)``; any value Terraform marks
sensitive is shown as ``(sensitive)``. Changes made outside Terraform (drift) get their own
section, so a scheduled run is also the drift report.

Exit status as ``terraform plan -detailed-exitcode``: 0 nothing would change, 2 something would,
1 an error (the stack's section says which).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flowservice_spec.identity import S3_BASE_CONNECTION
from toolchain.cdk import wrapper_path
from toolchain.lock import selected_stacks, stack_dir

#: Attributes the server sets: their "known after apply" is noise in a review.
SERVER_SET = frozenset({"id", "etag", "state", "created_at", "updated_at", "sandbox_name", "connection_spec_id"})
WRITE_ONLY_SUFFIX = "_wo_version"
#: The actions a review lists, in its order.
KINDS = ("create", "update", "replace", "delete")
ACTIONS = {
    ("create",): "create",
    ("update",): "update",
    ("delete",): "delete",
    ("delete", "create"): "replace",
    ("create", "delete"): "replace",
}


@dataclass
class Change:
    """One connection that would change."""

    address: str
    key: str
    name: str | None
    action: str  # create | update | replace | delete
    attributes: dict[str, tuple[str, str]] = field(default_factory=dict)  # attribute -> (before, after)


@dataclass
class StackPlan:
    stack: str
    status: str = "ok"  # ok | error
    error: str = ""
    changes: list[Change] = field(default_factory=list)
    drift: list[Change] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.changes)


def _shown(value: Any, sensitive: Any) -> str:
    if sensitive is True:
        return "(sensitive)"
    if value is None:
        return "null"
    return json.dumps(value) if not isinstance(value, str) else value


def _attribute_changes(change: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    before = change.get("before") or {}
    after = change.get("after") or {}
    unknown = change.get("after_unknown") or {}
    before_sensitive = change.get("before_sensitive") or {}
    after_sensitive = change.get("after_sensitive") or {}
    out: dict[str, tuple[str, str]] = {}
    for name in sorted(set(before) | set(after)):
        if name in SERVER_SET or name.endswith("_wo"):
            continue
        old, new = before.get(name), after.get(name)
        if unknown.get(name) is True:
            new_text = "(known after apply)"
        elif old == new:
            continue
        else:
            new_text = _shown(new, after_sensitive.get(name) if isinstance(after_sensitive, dict) else None)
        old_text = _shown(old, before_sensitive.get(name) if isinstance(before_sensitive, dict) else None)
        if name.endswith(WRITE_ONLY_SUFFIX):
            secret = name[: -len("_version")]
            versions = new_text if old is None else f"{old_text} -> {new_text}"
            out[secret] = ("", f"(write-only: version {versions})")
        else:
            out[name] = (old_text, new_text)
    return out


def changes_of(plan: Mapping[str, Any]) -> tuple[list[Change], list[Change]]:
    """Connection changes and drift of one ``terraform show -json`` plan."""

    def collect(entries: Any, drift: bool) -> list[Change]:
        found: list[Change] = []
        for entry in entries or []:
            if entry.get("type") != S3_BASE_CONNECTION:
                continue
            change = entry.get("change") or {}
            actions = tuple(change.get("actions") or ())
            action = "drift" if drift else ACTIONS.get(actions)
            if action is None:
                continue
            values = change.get("after") or change.get("before") or {}
            attributes = _attribute_changes(change)
            if drift and not attributes:  # only server-set values moved (a refresh filled them in)
                continue
            found.append(Change(entry.get("address", ""), entry.get("name", ""), values.get("name"), action,
                                attributes))
        return found

    return collect(plan.get("resource_changes"), False), collect(plan.get("resource_drift"), True)


def plan_stack(project: Path, stack: str, environ: Mapping[str, str]) -> StackPlan:
    folder = stack_dir(project, stack)
    result = StackPlan(stack)
    if not (folder / "cdk.tf.json").exists():
        result.status, result.error = "error", f"no synthesized stack {stack!r}"
        return result
    env = dict(environ, TF_INPUT="0", CHECKPOINT_DISABLE="1")
    plan_file = folder / "review.tfplan"
    # The plan runs through the wrapper: it runs the plan again if Terraform loses the lock race
    # (see toolchain.terraform_wrapper), which a deploy on main and a plan of a pull request can meet.
    steps = (["terraform", "init", "-input=false", "-no-color"],
             [str(wrapper_path()), "plan", "-input=false", "-no-color", "-detailed-exitcode", f"-out={plan_file.name}"])
    for step in steps:
        done = subprocess.run(step, cwd=folder, env=env, capture_output=True, text=True)
        if done.returncode not in (0, 2) or (step[1] == "init" and done.returncode != 0):
            result.status = "error"
            result.error = _error_text(done.stderr or done.stdout)
            return result
    shown = subprocess.run(["terraform", "show", "-json", plan_file.name], cwd=folder, env=env,
                           capture_output=True, text=True)
    plan_file.unlink(missing_ok=True)
    if shown.returncode != 0:
        result.status, result.error = "error", _error_text(shown.stderr)
        return result
    result.changes, result.drift = changes_of(json.loads(shown.stdout))
    return result


def _error_text(text: str) -> str:
    lines = [line.rstrip() for line in text.splitlines() if line.strip() and not set(line.strip()) <= set("│╷╵")]
    return "\n".join(line.lstrip("│ ").rstrip() for line in lines)[-4000:]


def render_markdown(plans: Sequence[StackPlan]) -> str:
    counts = {a: sum(1 for p in plans for c in p.changes if c.action == a) for a in KINDS}
    errors = [p.stack for p in plans if p.status == "error"]
    lines = ["# Plan: AEP S3 base connections", ""]
    summary = ", ".join(f"{n} to {a}" for a, n in counts.items())
    lines.append(f"**{summary}** over {len(plans)} stack{'s' if len(plans) != 1 else ''}"
                 + (f"; **errors in {', '.join(errors)}**" if errors else "") + ".")
    for plan in plans:
        lines += ["", f"## {plan.stack}", ""]
        if plan.status == "error":
            lines += ["Planning failed:", "", "```", plan.error, "```"]
            continue
        if not plan.changes:
            lines.append("No changes.")
        for action in KINDS:
            chosen = [c for c in plan.changes if c.action == action]
            if not chosen:
                continue
            lines += [f"### {action.capitalize()} ({len(chosen)})", ""]
            for change in chosen:
                lines.append(f"- `{change.key}` ({change.name or 'unnamed'})")
                for attribute, (before, after) in change.attributes.items():
                    if after.startswith("(write-only"):
                        lines.append(f"  - `{attribute}`: {after}")
                    elif action == "create":
                        lines.append(f"  - `{attribute}`: {after}")
                    elif action != "delete":
                        lines.append(f"  - `{attribute}`: {before} -> {after}")
            lines.append("")
        if plan.drift:
            lines += [f"### Changed outside Terraform ({len(plan.drift)})", ""]
            for change in plan.drift:
                lines.append(f"- `{change.key}` ({change.name or 'unnamed'})")
                for attribute, (before, after) in change.attributes.items():
                    lines.append(f"  - `{attribute}`: {before} -> {after}")
    text = "\n".join(lines)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.rstrip("\n") + "\n"


def render_json(plans: Sequence[StackPlan], exit_code: int) -> dict[str, Any]:
    def change(c: Change) -> dict[str, Any]:
        return {"address": c.address, "key": c.key, "name": c.name, "action": c.action,
                "attributes": {k: {"before": b, "after": a} for k, (b, a) in c.attributes.items()}}

    return {"exit_code": exit_code,
            "stacks": [{"stack": p.stack, "status": p.status, "error": p.error or None,
                        "changes": [change(c) for c in p.changes], "drift": [change(c) for c in p.drift]}
                       for p in plans]}


def exit_code(plans: Sequence[StackPlan]) -> int:
    if any(p.status == "error" for p in plans):
        return 1
    return 2 if any(p.changed for p in plans) else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--project", type=Path, default=Path.cwd())
    parser.add_argument("--out", type=Path, default=Path("plan.md"))
    parser.add_argument("--json", type=Path, default=Path("plan.json"))
    parser.add_argument("stacks", nargs="*")
    args = parser.parse_args(argv)
    project = args.project.resolve()
    stacks = selected_stacks(project, args.stacks)
    plans = [plan_stack(project, stack, os.environ) for stack in stacks]
    code = exit_code(plans)
    args.out.write_text(render_markdown(plans))
    args.json.write_text(json.dumps(render_json(plans, code), indent=2) + "\n")
    for plan in plans:
        state = f"{len(plan.changes)} change(s)" if plan.changed else "no changes"
        state = "error" if plan.status == "error" else state
        print(f"{plan.stack}: {state}" + (f", {len(plan.drift)} changed outside Terraform" if plan.drift else ""))
    meaning = {0: "no changes", 1: "error", 2: "changes"}[code]
    print(f"wrote {args.out} and {args.json} (exit {code}: {meaning})")
    return code


if __name__ == "__main__":
    sys.exit(main())
