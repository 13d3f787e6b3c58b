"""Plan every stack and write what would change for a reviewer (``plan.md``) and for bots (``plan.json``).

``python -m toolchain.plan [--project DIR] [--out plan.md] [--json plan.json] [STACK...]``

Each stack is planned with plain ``terraform plan -detailed-exitcode`` in its synthesized folder
(so this works the same after CDKTF's end of life), then read back with ``terraform show -json``.
Per stack it lists the objects (base, source and target connections, dataflows) to create, update
in place, replace and delete, with the attributes that change, before and after. Write-only
credentials never appear: their version attribute is shown instead, as ``(write-only: version 1 ->
2)``; any value Terraform marks sensitive is shown as ``(sensitive)``. Changes made outside
Terraform (drift) get their own section, so a scheduled run is also the drift report.

Terraform runs with ``-json``, so its diagnostics are read as data: each distinct one is shown once
per stack with the resource it belongs to (Terraform repeats a provider's error for every call
that meets it), warnings too (an adoption, say). A create or re-create that lacks its credentials
is explained with the variables that would carry them, read from the stack's ``cdk.tf.json``.

Exit status as ``terraform plan -detailed-exitcode``: 0 nothing would change, 2 something would,
1 an error (the stack's section says which). With ``--status-file`` that status is written there
and the command exits 0 unless planning failed: ``make plan`` runs it so (make reports any failure
as 2), and ``scripts/plan`` exits with the file's status.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flowservice_spec import identity
from flowservice_spec.identity import CREDENTIALS_MISSING
from toolchain import localdemo
from toolchain.cdk import wrapper_path
from toolchain.lock import selected_stacks, stack_dir

#: Attributes the server sets: their "known after apply" is noise in a review.
SERVER_SET = frozenset({"id", "etag", "state", "created_at", "updated_at", "sandbox_name", "connection_spec_id",
                        "flow_spec_id"})
#: What a reviewer calls each kind of object.
KIND_NAMES = {identity.S3_BASE_CONNECTION: "base connection", identity.SOURCE_CONNECTION: "source connection",
              identity.TARGET_CONNECTION: "target connection", identity.DATAFLOW: "dataflow"}
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
    kind: str = identity.S3_BASE_CONNECTION

    @property
    def label(self) -> str:
        """``dataflow `orders_daily` (Orders daily)``: what and which, as a reviewer reads it."""
        return f"{KIND_NAMES.get(self.kind, self.kind)} `{self.key}` ({self.name or 'unnamed'})"


@dataclass(frozen=True)
class Problem:
    """One Terraform diagnostic as a reviewer reads it: what, why, and which resource."""

    severity: str  # error | warning
    summary: str
    detail: str = ""
    address: str | None = None

    @property
    def where(self) -> str:
        if not self.address:
            return ""
        return "provider configuration" if self.address.startswith("provider[") else self.address

    def text(self) -> str:
        return (f"{self.where}: " if self.where else "") + self.summary + (f": {self.detail}" if self.detail else "")


@dataclass
class StackPlan:
    stack: str
    status: str = "ok"  # ok | error
    problems: list[Problem] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    drift: list[Change] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity != "error"]

    def fail(self, problems: Sequence[Problem]) -> StackPlan:
        self.status = "error"
        for problem in problems:
            if problem not in self.problems:
                self.problems.append(problem)
        return self


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
            if entry.get("type") not in KIND_NAMES or entry.get("mode", "managed") != "managed":
                continue
            change = entry.get("change") or {}
            actions = tuple(change.get("actions") or ())
            action = ("deleted" if actions == ("delete",) else "drift") if drift else ACTIONS.get(actions)
            if action is None:
                continue
            values = change.get("after") or change.get("before") or {}
            attributes = {} if action == "deleted" else _attribute_changes(change)
            if action == "drift" and not attributes:  # only server-set values moved (a refresh filled them in)
                continue
            found.append(Change(entry.get("address", ""), entry.get("name", ""), values.get("name"), action,
                                attributes, entry["type"]))
        return found

    return collect(plan.get("resource_changes"), False), collect(plan.get("resource_drift"), True)


def diagnostics_of(json_lines: str) -> list[Problem]:
    """The distinct diagnostics of Terraform's ``-json`` output, in order of first appearance."""
    found: list[Problem] = []
    for line in json_lines.splitlines():
        try:
            message = json.loads(line)
        except ValueError:
            continue
        diagnostic = message.get("diagnostic") if isinstance(message, dict) else None
        if message.get("type") != "diagnostic" or not isinstance(diagnostic, dict):
            continue
        problem = Problem(str(diagnostic.get("severity") or "error"), str(diagnostic.get("summary") or "").strip(),
                          str(diagnostic.get("detail") or "").strip(), diagnostic.get("address") or None)
        if problem not in found:
            found.append(problem)
    return found


def explain_credentials(problems: Sequence[Problem], stack_doc: Mapping[str, Any],
                        environ: Mapping[str, str]) -> list[Problem]:
    """Name the variables a create lacks: the provider knows the attributes, the stack the variables."""
    resources = stack_doc.get("resource") or {}
    explained: list[Problem] = []
    for problem in problems:
        kind, _, key = (problem.address or "").partition(".")
        block = (resources.get(kind) or {}).get(key) if problem.summary.startswith(CREDENTIALS_MISSING) else None
        if not isinstance(block, dict):
            explained.append(problem)
            continue
        unset = []
        for attribute, value in sorted(block.items()):
            match = _VARIABLE.match(value) if attribute.endswith("_wo") and isinstance(value, str) else None
            if match and not environ.get(f"TF_VAR_{match.group(1)}", "").strip():
                unset.append(f"TF_VAR_{match.group(1)} ({attribute})")
        if unset:
            problem = Problem(problem.severity, problem.summary, problem.detail + (
                f" Not set for `{key}`: {', '.join(unset)}. Export them (in CI, from the repository's secrets) "
                "and plan again."), problem.address)
        explained.append(problem)
    return explained


_VARIABLE = re.compile(r"^\$\{var\.([A-Za-z_][A-Za-z0-9_-]*)\}$")


def plan_stack(project: Path, stack: str, environ: Mapping[str, str]) -> StackPlan:
    folder = stack_dir(project, stack)
    result = StackPlan(stack)
    if not (folder / "cdk.tf.json").exists():
        return result.fail([Problem("error", f"no synthesized stack {stack!r}")])
    env = dict(environ, TF_INPUT="0", CHECKPOINT_DISABLE="1")
    plan_file = folder / "review.tfplan"
    # The plan runs through the wrapper: it runs the plan again if Terraform loses the lock race
    # (see toolchain.terraform_wrapper), which a deploy on main and a plan of a pull request can meet.
    steps = (["terraform", "init", "-input=false", "-no-color", "-json"],
             [str(wrapper_path()), "plan", "-input=false", "-no-color", "-json", "-detailed-exitcode",
              f"-out={plan_file.name}"])
    for step in steps:
        done = subprocess.run(step, cwd=folder, env=env, capture_output=True, text=True)
        problems = diagnostics_of(done.stdout)
        if step[1] == "plan":
            problems = explain_credentials(problems, json.loads((folder / "cdk.tf.json").read_text()), environ)
        result.problems.extend(p for p in problems if p not in result.problems)
        if done.returncode not in (0, 2) or (step[1] == "init" and done.returncode != 0):
            fallback = [] if result.errors else [Problem("error", f"terraform {step[1]} failed",
                                                         _error_text(done.stderr or done.stdout))]
            return result.fail(fallback)
    shown = subprocess.run(["terraform", "show", "-json", plan_file.name], cwd=folder, env=env,
                           capture_output=True, text=True)
    plan_file.unlink(missing_ok=True)
    if shown.returncode != 0:
        return result.fail([Problem("error", "terraform show failed", _error_text(shown.stderr))])
    result.changes, result.drift = changes_of(json.loads(shown.stdout))
    return result


def _error_text(text: str) -> str:
    lines = [line.rstrip() for line in text.splitlines() if line.strip() and not set(line.strip()) <= set("│╷╵")]
    return "\n".join(line.lstrip("│ ").rstrip() for line in lines)[-4000:]


def _problem_lines(problem: Problem) -> list[str]:
    label = "Error" if problem.severity == "error" else "Warning"
    where = f" (`{problem.where}`)" if problem.where else ""
    lines = [f"- **{label}**{where}: {problem.summary}"]
    lines += [f"  {line}" if line.strip() else "" for line in problem.detail.splitlines()]
    return lines


def render_markdown(plans: Sequence[StackPlan]) -> str:
    counts = {a: sum(1 for p in plans for c in p.changes if c.action == a) for a in KINDS}
    errors = [p.stack for p in plans if p.status == "error"]
    lines = ["# Plan: AEP S3 ingestion", ""]
    summary = ", ".join(f"{n} to {a}" for a, n in counts.items())
    lines.append(f"**{summary}** over {len(plans)} stack{'s' if len(plans) != 1 else ''}"
                 + (f"; **errors in {', '.join(errors)}**" if errors else "") + ".")
    for plan in plans:
        lines += ["", f"## {plan.stack}", ""]
        if plan.status == "error":
            lines += ["Planning failed:", ""]
            for problem in plan.errors:
                lines += [*_problem_lines(problem), ""]
        if plan.warnings:
            lines += [f"### Notes ({len(plan.warnings)})", ""]
            for problem in plan.warnings:
                lines += [*_problem_lines(problem), ""]
        if plan.status == "error":
            continue
        if not plan.changes:
            lines.append("No changes.")
        for action in KINDS:
            chosen = sorted((c for c in plan.changes if c.action == action),
                            key=lambda c: (list(KIND_NAMES).index(c.kind) if c.kind in KIND_NAMES else 9, c.key))
            if not chosen:
                continue
            lines += [f"### {action.capitalize()} ({len(chosen)})", ""]
            for change in chosen:
                lines.append(f"- {change.label}")
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
                deleted = ": deleted in Flow Service" if change.action == "deleted" else ""
                lines.append(f"- {change.label}{deleted}")
                for attribute, (before, after) in change.attributes.items():
                    lines.append(f"  - `{attribute}`: {before} -> {after}")
    text = "\n".join(lines)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.rstrip("\n") + "\n"


def render_json(plans: Sequence[StackPlan], exit_code: int) -> dict[str, Any]:
    def change(c: Change) -> dict[str, Any]:
        return {"address": c.address, "kind": KIND_NAMES.get(c.kind, c.kind), "key": c.key, "name": c.name,
                "action": c.action,
                "attributes": {k: {"before": b, "after": a} for k, (b, a) in c.attributes.items()}}

    return {"exit_code": exit_code,
            "stacks": [{"stack": p.stack, "status": p.status,
                        "error": "\n".join(e.text() for e in p.errors) or None,
                        "diagnostics": [{"severity": d.severity, "summary": d.summary, "detail": d.detail,
                                         "address": d.address} for d in p.problems],
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
    parser.add_argument("--status-file", type=Path, default=None,
                        help="write the exit status (0/1/2) here and exit 0 unless planning failed")
    parser.add_argument("stacks", nargs="*")
    args = parser.parse_args(argv)
    project = args.project.resolve()
    localdemo.apply(project, announce=True)
    stacks = selected_stacks(project, args.stacks)
    plans = [plan_stack(project, stack, os.environ) for stack in stacks]
    code = exit_code(plans)
    args.out.write_text(render_markdown(plans))
    args.json.write_text(json.dumps(render_json(plans, code), indent=2) + "\n")
    for plan in plans:
        state = f"{len(plan.changes)} change(s)" if plan.changed else "no changes"
        if plan.status == "error":
            state = "error: " + "; ".join(f"{e.where + ': ' if e.where else ''}{e.summary}" for e in plan.errors)
        print(f"{plan.stack}: {state}" + (f", {len(plan.drift)} changed outside Terraform" if plan.drift else ""))
    meaning = {0: "no changes", 1: "error", 2: "changes"}[code]
    print(f"wrote {args.out} and {args.json} ({meaning}: exit status {code})")
    if args.status_file is not None:
        args.status_file.write_text(f"{code}\n")
        return 1 if code == 1 else 0
    return code


if __name__ == "__main__":
    sys.exit(main())
