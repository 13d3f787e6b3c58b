"""Plan every stack and write what would change for a reviewer (``plan.md``) and for bots (``plan.json``).

``python -m aep_iac.plan [--project DIR] [--out plan.md] [--json plan.json] [STACK...]``

Each stack is planned with plain ``terraform plan -detailed-exitcode`` in its synthesized folder
(so this works the same after CDKTF's end of life), then read back with ``terraform show -json``.
Per stack it lists the objects (base, source and target connections, dataflows) to create, update
in place, replace and delete, with the attributes that change, before and after. Write-only
credentials never appear: their version attribute is shown instead, as ``(write-only: version 1 ->
2)``; any value Terraform marks sensitive is shown as ``(sensitive)``. Changes made outside
Terraform (drift) get their own section, so a scheduled run is also the drift report.

Terraform runs with ``-json``, so its diagnostics are read as data: each distinct one is shown once
per stack with the resource it belongs to, warnings too (an adoption, say). One cause met by many
objects (Terraform repeats a provider's error for every call that meets it: an endpoint nobody
answers, a wrong URL) is one entry counting them, and one met in several stacks is shown once, above
the sandboxes, naming them. A create or re-create that lacks its credentials is explained with the
variables that would carry them, read from the stack's ``cdk.tf.json``; an endpoint that is
``make demo``'s local AEP and does not answer, with how to start it.

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
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aep_iac import localdemo, pictures, report_files, review
from aep_iac.cdk import INTERRUPTED, wrapper_path
from aep_iac.lock import prepare, selected_stacks, stack_dir
from aep_iac.review import Section
from aep_iac.stacks import Runner, StackRun, Step, bound_from, handle_interrupts, init_step, terminal, warm
from aep_iac.states import Backend, StateError, Undeclared, describe, repair_local_state, undeclared
from aep_spec import identity, legacy
from aep_spec.commands import command
from aep_spec.identity import CREDENTIALS_MISSING

#: Attributes the server sets: their "known after apply" is noise in a review.
SERVER_SET = frozenset({"id", "etag", "state", "created_at", "updated_at", "sandbox_name", "connection_spec_id",
                        "flow_spec_id"})
#: What a reviewer calls each kind of object.
KIND_NAMES = identity.KIND_NOUNS
#: Kinds whose deletion deletes data (a dataset's records): the review says so on each.
DATA_KINDS: frozenset[str] = frozenset({identity.DATASET})
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
    #: For a replacement, the attributes whose change forces it (Terraform's ``replace_paths``).
    forced_by: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        """``dataflow `orders_daily` (Orders daily)``: what and which, as a reviewer reads it."""
        return f"{KIND_NAMES.get(self.kind, self.kind)} `{self.key}` ({self.name or 'unnamed'})"


@dataclass(frozen=True)
class Problem:
    """One Terraform diagnostic as a reviewer reads it: what, why, and which resource (or, for one
    cause that several objects met, which objects)."""

    severity: str  # error | warning
    summary: str
    detail: str = ""
    address: str | None = None
    objects: tuple[str, ...] = ()

    @property
    def cause(self) -> tuple[str, str, str]:
        """What makes two diagnostics one: the same words, wherever they were met."""
        return (self.severity, self.summary, self.detail)

    @property
    def addresses(self) -> tuple[str, ...]:
        return self.objects or ((self.address,) if self.address else ())

    @property
    def where(self) -> str:
        if self.objects:
            return f"{len(self.objects)} objects"
        if not self.address:
            return ""
        return "provider configuration" if self.address.startswith("provider[") else self.address

    def text(self) -> str:
        return (f"{self.where}: " if self.where else "") + self.summary + (f": {self.detail}" if self.detail else "")


@dataclass
class StackPlan:
    stack: str
    status: str = "ok"  # ok | error
    sandbox: str = ""
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


UNKNOWN = "(known after apply)"


def _with_unknowns(value: Any, unknown: Any) -> Any:
    """``value`` with what Terraform marks unknown inside it (``after_unknown``) spelled out: the plan's
    ``after`` leaves such keys out, so a mapping line whose destination comes from a schema being
    updated would read as a line without a destination."""
    if unknown is True:
        return UNKNOWN
    if isinstance(unknown, dict) and isinstance(value, dict | type(None)):
        merged = dict(value or {})
        for key, inner in unknown.items():
            if inner:
                merged[key] = _with_unknowns(merged.get(key), inner)
        return merged
    if isinstance(unknown, list) and isinstance(value, list):
        return [_with_unknowns(item, unknown[i] if i < len(unknown) else False) for i, item in enumerate(value)]
    return value


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
        old, new = before.get(name), _with_unknowns(after.get(name), unknown.get(name))
        if unknown.get(name) is True:
            new_text = UNKNOWN
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
            forced = sorted({str(path[0]) for path in change.get("replace_paths") or [] if path})
            found.append(Change(entry.get("address", ""), entry.get("name", ""), values.get("name"), action,
                                attributes, entry["type"], forced))
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


def one_per_cause(problems: Sequence[Problem]) -> list[Problem]:
    """The same diagnostic met by several objects as one problem naming them all, in order of first
    appearance: a dead endpoint is one cause, not one error per object."""
    groups: dict[tuple[str, str, str], list[Problem]] = {}
    for problem in problems:
        groups.setdefault(problem.cause, []).append(problem)
    merged = []
    for first, *others in groups.values():
        if others:
            objects = tuple(dict.fromkeys(a for p in (first, *others) for a in p.addresses))
            first = Problem(first.severity, first.summary, first.detail, None, objects)
        merged.append(first)
    return merged


def explain_endpoint(problems: Sequence[Problem], project: Path) -> list[Problem]:
    """An endpoint that fails and is ``make demo``'s local AEP, or on its port: nobody answers (say
    how to start it), or the path is wrong (say the demo's URL)."""
    explained = []
    for problem in problems:
        advice = localdemo.advice_for(project, problem.summary)
        explained.append(Problem(problem.severity, problem.summary, f"{problem.detail}\n{advice}".strip(),
                                 problem.address, problem.objects) if advice else problem)
    return explained


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


PLAN_FILE = "review.tfplan"


def sandbox_of(project: Path, stack: str) -> str:
    """The sandbox a synthesized stack deploys to (its provider block's ``sandbox_name``)."""
    try:
        doc = json.loads((stack_dir(project, stack) / "cdk.tf.json").read_text())
        return str(doc["provider"][identity.TYPE][0].get("sandbox_name") or stack)
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        return stack


def plan_steps(folder: Path, environ: Mapping[str, str], parallelism: int) -> list[Step]:
    """init (when needed), the plan as JSON (through the wrapper: it runs the plan again if Terraform
    loses the lock race, which a deploy on main and a plan of a pull request can meet), its changes."""
    return [*init_step(folder, environ),
            Step((str(wrapper_path()), "plan", "-input=false", "-no-color", "-json", "-detailed-exitcode",
                  f"-parallelism={parallelism}", f"-out={PLAN_FILE}"), ok=(0, 2)),
            Step(("terraform", "show", "-json", PLAN_FILE))]


def stack_plan(project: Path, run: StackRun, environ: Mapping[str, str]) -> StackPlan:
    """What one stack's plan steps found: its changes, drift and diagnostics."""
    folder = stack_dir(project, run.stack)
    result = StackPlan(run.stack, sandbox=sandbox_of(project, run.stack))
    (folder / PLAN_FILE).unlink(missing_ok=True)
    planned = run.of("plan")
    if planned is not None:
        doc = json.loads((folder / "cdk.tf.json").read_text())
        found = explain_credentials(diagnostics_of("".join(planned)), doc, environ)
        result.problems.extend(one_per_cause(explain_endpoint(found, project)))
        guard = [p for p in result.problems if p.summary == legacy.GUARD_SUMMARY]
        if guard:  # a 0.1.0 state: the rest (Terraform's follow-up, plans of the new types) would mislead
            result.problems = guard
    if not run.ok:
        fallback = [] if result.errors else [Problem("error", "terraform failed", _error_text("".join(run.output)))]
        return result.fail(fallback)
    result.changes, result.drift = changes_of(json.loads("".join(run.of("show") or ["{}"])))
    return result


def plan_stacks(project: Path, stacks: Sequence[str], environ: Mapping[str, str], bound: int,
                runner: Runner | None = None) -> list[StackPlan]:
    """Every stack planned side by side, within the in-flight bound (``aep_iac.stacks``)."""
    missing = [s for s in stacks if not (stack_dir(project, s) / "cdk.tf.json").exists()]
    present = [s for s in stacks if s not in missing]
    runner = runner or Runner(project, environ, bound)
    runs = {run.stack: run for run in runner.run_all(
        present, lambda stack, parallelism: plan_steps(stack_dir(project, stack), runner.environ, parallelism))}
    plans = []
    for stack in stacks:
        if stack in runs:
            plans.append(stack_plan(project, runs[stack], environ))
        else:
            why = f"no synthesized stack {stack!r}" if stack in missing else "not planned: interrupted"
            plans.append(StackPlan(stack, sandbox=sandbox_of(project, stack)).fail([Problem("error", why)]))
    return plans


def _error_text(text: str) -> str:
    lines = [line.rstrip() for line in text.splitlines() if line.strip() and not set(line.strip()) <= set("│╷╵")]
    return "\n".join(line.lstrip("│ ").rstrip() for line in lines)[-4000:]


def _problem_lines(problem: Problem, *stacks: str) -> list[str]:
    label = "Error" if problem.severity == "error" else "Warning"
    where = ", ".join(f"`{w}`" for w in (None if problem.objects else problem.where, *stacks) if w)
    if problem.objects:
        where = problem.where + (f" in {where}" if where else "")
    where = f" ({where})" if where else ""
    lines = [f"- **{label}**{where}: {problem.summary}"]
    lines += [f"  {line}" if line.strip() else "" for line in problem.detail.splitlines()]
    return lines


def shared_errors(plans: Sequence[StackPlan]) -> list[tuple[Problem, tuple[str, ...]]]:
    """Errors of one cause met in more than one stack (a wrong setting meets every stack), each
    once: with every object it met (named with its stack) and the stacks."""
    met: dict[tuple[str, str, str], list[tuple[str, Problem]]] = {}
    for plan in plans:
        for problem in plan.errors:
            met.setdefault(problem.cause, []).append((plan.stack, problem))
    shared = []
    for members in met.values():
        if len(members) < 2:
            continue
        first = members[0][1]
        objects = tuple(f"{stack}: {address}" for stack, problem in members for address in problem.addresses
                        if not address.startswith("provider["))
        merged = Problem(first.severity, first.summary, first.detail, None if objects else first.address, objects)
        shared.append((merged, tuple(stack for stack, _ in members)))
    return shared


def by_sandbox(plans: Sequence[StackPlan]) -> dict[str, list[StackPlan]]:
    """Stack plans grouped by the sandbox they deploy to, in the order they came."""
    groups: dict[str, list[StackPlan]] = {}
    for plan in plans:
        groups.setdefault(plan.sandbox or plan.stack, []).append(plan)
    return groups


def _kind_order(change: review.ChangeLike) -> tuple[int, str]:
    return (list(KIND_NAMES).index(change.kind) if change.kind in KIND_NAMES else 9, change.key)


def pictures_for(project: Path, plans: Sequence[StackPlan]) -> dict[str, list[str]]:
    """Each sandbox's pipelines as declared, marked with what the plan changes (aep_iac.pictures)."""
    drawn: dict[str, list[str]] = {}
    for sandbox, members in by_sandbox(plans).items():
        configs = []
        for plan in members:
            path = stack_dir(project, plan.stack) / "cdk.tf.json"
            if path.exists():
                configs.append(json.loads(path.read_text()))
        graph = pictures.from_config(configs)
        for plan in members:
            for change in plan.changes:
                address = change.address.removeprefix("data.")
                if address not in graph.nodes:
                    graph.add(address, f"{KIND_NAMES.get(change.kind, change.kind)}<br/>{change.name or change.key}")
                graph.mark(address, change.action)
        drawn[sandbox] = pictures.mermaid(graph, {"create": "green: to create", "update": "yellow: to update",
                                                  "replace": "orange: to replace", "delete": "red: to delete"})
    return drawn


def review_parts(plans: Sequence[StackPlan], left: Sequence[Undeclared],
                 drawn: Mapping[str, list[str]] | None = None) -> tuple[list[str], list[Section], list[str]]:
    """What a review shows (aep_iac.review renders it): the header (counts, errors met in several
    stacks), one section per sandbox (however many stacks hold it), and the undeclared stacks."""
    counts = {a: sum(1 for p in plans for c in p.changes if c.action == a) for a in KINDS}
    groups = by_sandbox(plans)
    errors = [p.stack for p in plans if p.status == "error"]
    summary = ", ".join(f"{n} to {a}" for a, n in counts.items())
    header = ["# Plan: AEP S3 ingestion", "",
              f"**{summary}** in {len(groups)} sandbox{'es' if len(groups) != 1 else ''} "
              f"({len(plans)} stack{'s' if len(plans) != 1 else ''})"
              + (f"; **errors in {', '.join(errors)}**" if errors else "") + "."]
    shared = shared_errors(plans)
    if shared:
        header += ["", "## Errors in more than one stack", ""]
        for problem, stacks in shared:
            header += [*_problem_lines(problem, *stacks), ""]
    shown_above = {problem.cause for problem, _ in shared}
    sections = []
    for sandbox, members in groups.items():
        section = Section(sandbox, [p.stack for p in members],
                          changes=[(p.stack, c) for p in members for c in p.changes],
                          drift=[(p.stack, c) for p in members for c in p.drift],
                          notes=[_problem_lines(w, p.stack) for p in members for w in p.warnings],
                          picture=list((drawn or {}).get(sandbox, [])))
        for plan in members:
            if plan.status == "error":
                own = [problem for problem in plan.errors if problem.cause not in shown_above]
                also = " (and the errors above, in more than one stack)" if len(own) < len(plan.errors) else ""
                lines = [f"Planning failed in `{plan.stack}`{also}:" if own else
                         f"Planning failed in `{plan.stack}`: the errors above, in more than one stack.", ""]
                for problem in own:
                    lines += [*_problem_lines(problem), ""]
                section.errors.append(lines)
        sections.append(section)
    return header, sections, undeclared_lines(left)


def render_markdown(plans: Sequence[StackPlan], left: Sequence[Undeclared] = (),
                    drawn: Mapping[str, list[str]] | None = None) -> str:
    """plan.md: the whole plan, deletions and replacements first (aep_iac.review)."""
    header, sections, tail = review_parts(plans, left, drawn)
    text, _ = review.render(header, sections, tail, KIND_NAMES, _kind_order, data_kinds=DATA_KINDS)
    return text


def render_comment(plans: Sequence[StackPlan], left: Sequence[Undeclared], full: str,
                   link: str | None, drawn: Mapping[str, list[str]] | None = None) -> review.Review:
    """The body a pull request shows: plan.md when it fits, else folded to fit (aep_iac.review)."""
    header, sections, tail = review_parts(plans, left, drawn)
    return review.comment(full, lambda detail, note, budget: review.render(
        header, sections, tail, KIND_NAMES, _kind_order, detail, DATA_KINDS, note, budget), link)


def run_link(environ: Mapping[str, str]) -> str | None:
    """The CI run whose artifacts hold the full plan (GitHub Actions sets these), if any."""
    server, repository, run = (environ.get(k, "").strip() for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY",
                                                                     "GITHUB_RUN_ID"))
    return f"{server}/{repository}/actions/runs/{run}" if server and repository and run else None


def undeclared_lines(left: Sequence[Undeclared]) -> list[str]:
    """plan.md's section on stacks with state that main.py no longer declares."""
    if not left:
        return []
    lines = ["", f"## Not declared any more ({len(left)} stack{'s' if len(left) != 1 else ''})", "",
             "These stacks hold objects in AEP, but main.py no longer declares them (a sandbox removed or renamed, "
             "or a placement change). No deploy touches them until you choose:", ""]
    for stack in left:
        lines += [f"- {stack.line()}",
                  f"  - delete them: `{command('destroy', stacks=stack.stack)}`",
                  f"  - keep them in AEP and stop managing them: `{command('forget', stacks=stack.stack)}` "
                  "(no call to AEP)",
                  "  - keep managing them: declare the sandbox (or its connections) in main.py again"]
    return lines


def render_json(plans: Sequence[StackPlan], exit_code: int, left: Sequence[Undeclared] = ()) -> dict[str, Any]:
    """plan.json: the same per sandbox (each change with its stack), and per stack as it was planned."""
    def change(c: Change, stack: str | None = None) -> dict[str, Any]:
        out = {"address": c.address, "kind": KIND_NAMES.get(c.kind, c.kind), "key": c.key, "name": c.name,
               "action": c.action,
               "attributes": {k: {"before": b, "after": a} for k, (b, a) in c.attributes.items()}}
        return out | ({"stack": stack} if stack else {})

    def diagnostic(d: Problem, stack: str | None = None) -> dict[str, Any]:
        out = {"severity": d.severity, "summary": d.summary, "detail": d.detail, "address": d.address}
        return out | ({"objects": list(d.objects)} if d.objects else {}) | ({"stack": stack} if stack else {})

    return {"exit_code": exit_code,
            "undeclared": [{"stack": u.stack, "sandbox": u.sandbox, "objects": dict(u.objects)} for u in left],
            "shared_errors": [diagnostic(d) | {"stacks": list(stacks)} for d, stacks in shared_errors(plans)],
            "sandboxes": {sandbox: {"stacks": [p.stack for p in members],
                                    "changes": [change(c, p.stack) for p in members for c in p.changes],
                                    "drift": [change(c, p.stack) for p in members for c in p.drift],
                                    "diagnostics": [diagnostic(d, p.stack) for p in members for d in p.problems]}
                          for sandbox, members in by_sandbox(plans).items()},
            "stacks": [{"stack": p.stack, "sandbox": p.sandbox, "status": p.status,
                        "error": "\n".join(e.text() for e in p.errors) or None,
                        "diagnostics": [diagnostic(d) for d in p.problems],
                        "changes": [change(c) for c in p.changes], "drift": [change(c) for c in p.drift]}
                       for p in plans]}


def exit_code(plans: Sequence[StackPlan], left: Sequence[Undeclared] = ()) -> int:
    """1 when a stack failed, 2 when something would change or a stack holds objects nobody declares."""
    if any(p.status == "error" for p in plans):
        return 1
    return 2 if any(p.changed for p in plans) or left else 0


def print_summary(plans: Sequence[StackPlan]) -> None:
    """One line per stack, then each error met in several stacks once, with why and what to do."""
    shared = shared_errors(plans)
    shown_below = {problem.cause for problem, _ in shared}
    for plan in plans:
        state = f"{len(plan.changes)} change(s)" if plan.changed else "no changes"
        if plan.status == "error":
            own = [e for e in plan.errors if e.cause not in shown_below]
            state = "error" + (": " + "; ".join(f"{e.where + ': ' if e.where else ''}{e.summary}" for e in own)
                               if own else " (below)")
        print(f"{plan.stack}: {state}" + (f", {len(plan.drift)} changed outside Terraform" if plan.drift else ""))
    for problem, stacks in shared:
        count = f", {problem.where}" if problem.objects else ""
        print(f"error in {', '.join(stacks)}{count}: {problem.summary}")
        for line in problem.detail.splitlines():
            print(f"  {line}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = report_files.parser(__doc__, "plan")
    parser.add_argument("--comment", type=Path, default=None,
                        help="also write the body a pull request shows (plan.md, folded to fit when it does not)")
    parser.add_argument("--status-file", type=Path, default=None,
                        help="write the exit status (0/1/2) here and exit 0 unless planning failed")
    parser.add_argument("--synth", action="store_true",
                        help="synthesize and lock first (what `make lock` does); a failure is reported in plan.md")
    parser.add_argument("stacks", nargs="*")
    args = parser.parse_args(argv)
    project = args.project.resolve()
    localdemo.apply(project, announce=True)
    # Whatever happens next, no plan of an earlier run is left to be read as this one's.
    for stale in (args.out, args.json, args.comment):
        if stale is not None:
            stale.unlink(missing_ok=True)
    failure = prepare(project, stacks=args.stacks) if args.synth else None
    if failure is not None:
        plans = [StackPlan("synthesis").fail([Problem("error", "main.py was refused at synthesis", failure)])]
        return report(args, plans, [], 1)
    stacks = selected_stacks(project, args.stacks)
    backend = Backend.from_env(os.environ)
    whole = [p for p in args.stacks if p != "*"] == []
    try:
        left = undeclared(project, backend) if whole else []
    except Exception as exc:  # noqa: BLE001 - a state store we cannot list is an error of this plan
        plans = [StackPlan("states").fail([Problem("error", "The states could not be listed", str(exc))])]
        return report(args, plans, [], 1)
    repaired, refused = check_states(project, stacks, backend)
    runner = handle_interrupts(Runner(project, os.environ, bound_from(os.environ), progress=terminal()))
    started = time.monotonic()
    with warm(project, runner):
        plans = plan_stacks(project, [s for s in stacks if s not in refused], os.environ, runner.bound, runner)
    args.terraform_seconds = time.monotonic() - started
    for plan in plans:
        if plan.stack in repaired:
            plan.problems.insert(0, Problem("warning", "State restored from its backup", repaired[plan.stack]))
    plans += [StackPlan(stack, sandbox=sandbox_of(project, stack)).fail([Problem("error", "State not readable", why)])
              for stack, why in refused.items()]
    code = INTERRUPTED if runner.interrupted else exit_code(plans, left)
    return report(args, plans, left, code)


def check_states(project: Path, stacks: Sequence[str], backend: Backend) -> tuple[dict[str, str], dict[str, str]]:
    """Local states restored from their backup (stack -> what was done) and refused (stack -> why)."""
    repaired: dict[str, str] = {}
    refused: dict[str, str] = {}
    if backend.kind != "local":
        return repaired, refused
    for stack in stacks:
        try:
            done = repair_local_state(project, stack)
        except StateError as exc:
            refused[stack] = str(exc)
            continue
        if done:
            print(done, file=sys.stderr)
            repaired[stack] = done
    return repaired, refused


def report(args: argparse.Namespace, plans: Sequence[StackPlan], left: Sequence[Undeclared], code: int) -> int:
    """Write plan.md, plan.json (with what the review folded and how long each part took), the comment
    and the status, print a line per stack, return the exit status."""
    started = time.monotonic()
    drawn = pictures_for(args.project.resolve(), plans)
    full = render_markdown(plans, left, drawn)
    body = render_comment(plans, left, full, run_link(os.environ), drawn)
    if args.comment is not None:
        args.comment.write_text(body.text)
    doc = render_json(plans, code, left)
    doc["review"] = {"complete": body.complete, "folded": body.folded, "plan_md_chars": len(full),
                     "comment_chars": len(body.text)}
    doc["timings"] = {"terraform_s": round(getattr(args, "terraform_seconds", 0.0), 3),
                      "report_s": round(time.monotonic() - started, 4)}
    report_files.write(args.out, args.json, full, doc)
    if not body.complete:
        print(f"the pull-request comment could not show every deletion and replacement ({body.folded[-1]} only in "
              f"{args.out}): review the full plan", file=sys.stderr)
    print_summary(plans)
    for stack in left:
        print(f"{stack.stack}: not declared any more, still holds {describe(stack.objects)} (plan.md says what to do)")
    meaning = {0: "no changes", 1: "error", 2: "changes", INTERRUPTED: "interrupted"}[code]
    report_files.say_written(args.out, args.json, meaning, code)
    if args.status_file is not None:
        args.status_file.write_text(f"{code}\n")
        return code if code in (1, INTERRUPTED) else 0
    return code


if __name__ == "__main__":
    sys.exit(main())
