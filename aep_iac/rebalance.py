"""Move connections between the stacks of their sandbox without touching AEP: a new bound, or an even spread.

``python -m aep_iac.rebalance [--project DIR] [--bound N] [SANDBOX...]`` (``make rebalance``)

1. The new placement (``constructs_lib.placement.balanced``): no stack above the bound, stacks as
   even as possible, as few connections moved as possible. ``placement.json`` is rewritten.
2. The app is synthesized with it, so every stack's configuration says where things now belong.
3. Each object whose resource left a stack's configuration and appears in another's is moved
   with its state: ``terraform state pull`` of both, the resource moved between the documents,
   ``terraform state push`` of both (the source first). Its attributes move unchanged (ids,
   etags, write-only versions), so the next plan shows no change and Flow Service sees no call:
   the move is not a delete in one state and a create in the other.
4. A journal (``.run/rebalance.json``) holds what is being moved until both pushes are done: an
   interrupted rebalance is finished by running it again; an object is never in two states.
5. Stacks left empty leave ``placement.json``.

Everything that belongs to a connection (its source and target connections, its dataflows) moves
with it, because the synthesized configuration puts them in the connection's stack.
"""

from __future__ import annotations

import argparse
import json
import os
import runpy
import subprocess
import sys
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aep_iac import localdemo
from aep_iac.lock import stack_dir, synth
from aep_iac.stacks import init_step, mark_initialized
from aep_provider.provider import AepProviderHandler
from aep_provider.resources.ownership import OwnershipJournal, open_journal
from aep_spec import identity
from constructs_lib.placement import Placement, balanced

JOURNAL = Path(".run") / "rebalance.json"


@dataclass(frozen=True)
class Move:
    """One resource (all its instances) leaving one state for another."""

    address: str  # aep_s3_base_connection.orders
    source: str  # stack
    target: str


def managed_addresses(doc: Mapping[str, Any]) -> set[str]:
    """``type.name`` of every managed resource a synthesized stack declares."""
    resources = doc.get("resource") or {}
    return {f"{kind}.{name}" for kind, named in resources.items() for name in named}


def state_addresses(state: Mapping[str, Any]) -> set[str]:
    return {f"{r['type']}.{r['name']}" for r in state.get("resources", []) if r.get("mode") == "managed"}


def planned_moves(configs: Mapping[str, set[str]], states: Mapping[str, set[str]]) -> list[Move]:
    """Resources each stack's configuration wants and its state lacks, found in another stack's state
    whose configuration no longer declares them."""
    moves = []
    for target, wanted in configs.items():
        for address in sorted(wanted - states.get(target, set())):
            holders = [s for s, held in states.items() if address in held and address not in configs.get(s, set())]
            if holders:
                moves.append(Move(address, holders[0], target))
    return moves


class States:
    """``terraform state pull``/``push`` of the stacks of one project, whatever their backend."""

    def __init__(self, project: Path, environ: Mapping[str, str]) -> None:
        self.project = project
        self.environ = dict(environ, TF_INPUT="0", CHECKPOINT_DISABLE="1")

    def _terraform(self, stack: str, *args: str, stdin: str | None = None) -> str:
        folder = stack_dir(self.project, stack)
        for step in init_step(folder, self.environ):
            subprocess.run(list(step.args), cwd=folder, env=self.environ, check=True, capture_output=True, text=True)
            mark_initialized(folder, self.environ)
        done = subprocess.run(["terraform", *args], cwd=folder, env=self.environ, input=stdin,
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"terraform {' '.join(args)} in {stack} failed:\n{done.stderr or done.stdout}")
        return done.stdout

    def pull(self, stack: str) -> dict[str, Any]:
        text = self._terraform(stack, "state", "pull").strip()
        return dict(json.loads(text)) if text else {}

    def push(self, stack: str, state: dict[str, Any]) -> None:
        folder = stack_dir(self.project, stack)
        path = folder / ".rebalance.tfstate"
        path.write_text(json.dumps(state))
        try:
            self._terraform(stack, "state", "push", path.name)
        finally:
            path.unlink(missing_ok=True)


def _take(state: dict[str, Any], address: str) -> list[dict[str, Any]]:
    kind, name = address.split(".", 1)
    kept: list[dict[str, Any]] = []
    taken: list[dict[str, Any]] = []
    for resource in state.get("resources", []):
        same = resource.get("mode") == "managed" and resource.get("type") == kind and resource.get("name") == name
        (taken if same else kept).append(resource)
    state["resources"] = kept
    return taken


def _next(state: dict[str, Any], template: Mapping[str, Any]) -> dict[str, Any]:
    """A state to push: the next serial of ``state`` (a new lineage for a stack that had none)."""
    if not state:
        state = {"version": template.get("version", 4), "terraform_version": template.get("terraform_version"),
                 "serial": 0, "lineage": str(uuid.uuid4()), "outputs": {}, "resources": [], "check_results": None}
    state["serial"] = int(state.get("serial", 0)) + 1
    return state


def journal_of(project: Path, stack: str) -> tuple[OwnershipJournal, str] | None:
    """A synthesized stack's ownership journal and sandbox (its provider block says where)."""
    path = stack_dir(project, stack) / "cdk.tf.json"
    if not path.exists():
        return None
    blocks = (json.loads(path.read_text()).get("provider") or {}).get(identity.TYPE) or [{}]
    where, sandbox = blocks[0].get("ownership_journal"), blocks[0].get("sandbox_name")
    if not isinstance(where, str) or not isinstance(sandbox, str):
        return None
    return open_journal(where), sandbox


def move_claims(project: Path, moved: Sequence[tuple[str, str, str, str]]) -> int:
    """The journal records of moved objects follow them ((type, name, source stack, target stack)):
    the state that now holds an object is the one that may adopt it back or recover it."""
    kinds = {name: handler.journal_kind for name, handler in AepProviderHandler().handlers.items()}
    count = 0
    for kind_type, name, source, target in moved:
        leaving, arriving = journal_of(project, source), journal_of(project, target)
        if kind_type not in kinds or leaving is None or arriving is None:
            continue
        old, sandbox = leaving
        new = arriving[0]
        key = old.key(kinds[kind_type], sandbox, name)
        data = old.store.read(key)
        if data is not None:
            new.store.write(key, data)
            old.store.remove(key)
            count += 1
    return count


def apply_moves(states: States, moves: Sequence[Move], journal: Path) -> int:
    """Move each resource, source state first; the journal keeps the moved resources until the target has them.
    Then the ownership records of what moved follow it."""
    moved = 0
    claims: list[tuple[str, str, str, str]] = []
    pending: dict[str, Any] = json.loads(journal.read_text()) if journal.exists() else {}
    by_pair: dict[tuple[str, str], list[str]] = {}
    for move in moves:
        by_pair.setdefault((move.source, move.target), []).append(move.address)
    for (source, target), addresses in by_pair.items():
        source_state = states.pull(source)
        taken = {a: _take(source_state, a) for a in addresses}
        claims += [(r["type"], str(i["attributes"]["name"]), source, target) for rs in taken.values() for r in rs
                   for i in r.get("instances") or [] if isinstance((i.get("attributes") or {}).get("name"), str)]
        key = f"{source}->{target}"
        pending[key] = {"target": target, "resources": [r for rs in taken.values() for r in rs],
                        "template": {k: source_state.get(k) for k in ("version", "terraform_version")}}
        journal.parent.mkdir(parents=True, exist_ok=True)
        journal.write_text(json.dumps(pending))
        states.push(source, _next(source_state, source_state))
        moved += len(addresses)
    for key in list(pending):
        entry = pending[key]
        target_state = _next(states.pull(entry["target"]), entry["template"])
        present = state_addresses(target_state)
        target_state["resources"].extend(r for r in entry["resources"] if f"{r['type']}.{r['name']}" not in present)
        states.push(entry["target"], target_state)
        del pending[key]
        journal.write_text(json.dumps(pending))
    journal.unlink(missing_ok=True)
    move_claims(states.project, claims)
    return moved


def app_placement(project: Path, app: str = "main.py") -> Placement:
    """The app's ``PLACEMENT`` (its file and bound), read without synthesizing it."""
    found = runpy.run_path(str(project / app), run_name="app_declarations").get("PLACEMENT")
    if not isinstance(found, Placement):
        raise SystemExit(f"{app} declares no PLACEMENT = Placement.file(...): its stacks are not placed")
    return found


def rebalance(project: Path, environ: Mapping[str, str], bound: int | None = None,
              sandboxes: Sequence[str] = (), app: str = "main.py") -> tuple[int, Placement]:
    """Rebalance, move the state, drop emptied stacks; the number of resources moved."""
    placement = app_placement(project, app)
    if bound is not None:
        placement.bound = bound
    previous = {s: dict(stacks) for s, stacks in placement.sandboxes.items()}
    for sandbox, stacks in placement.sandboxes.items():
        if sandboxes and sandbox not in sandboxes:
            continue
        first = next(iter(stacks))
        placement.sandboxes[sandbox] = balanced(stacks, first, placement.bound)
    placement.changed = True
    placement.save()
    synth(project, app, environ=environ)
    involved = sorted({stack for stacks in [*previous.values(), *placement.sandboxes.values()] for stack in stacks})
    states = States(project, environ)
    configs = {s: managed_addresses(json.loads((stack_dir(project, s) / "cdk.tf.json").read_text()))
               for s in involved if (stack_dir(project, s) / "cdk.tf.json").exists()}
    pulled = {s: state_addresses(states.pull(s)) for s in configs}
    moved = apply_moves(states, planned_moves(configs, pulled), project / JOURNAL)
    emptied = [(sandbox, stack) for sandbox, stacks in placement.sandboxes.items() for stack, keys in stacks.items()
               if not keys and not state_addresses(states.pull(stack))]
    for sandbox, stack in emptied:
        del placement.sandboxes[sandbox][stack]
    if emptied:
        placement.changed = True
        placement.save()
        synth(project, app, environ=environ)
    return moved, placement


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--project", type=Path, default=Path.cwd())
    parser.add_argument("--bound", type=int, default=None, help="the new bound (default: the app's)")
    parser.add_argument("--app", default="main.py")
    parser.add_argument("sandboxes", nargs="*")
    args = parser.parse_args(argv)
    project = args.project.resolve()
    localdemo.apply(project)
    moved, placement = rebalance(project, os.environ, args.bound, args.sandboxes, args.app)
    for sandbox, stacks in placement.sandboxes.items():
        print(f"{sandbox}: " + ", ".join(f"{stack} {len(keys)}" for stack, keys in stacks.items()))
    print(f"moved {moved} resource(s) between states; no call to Flow Service. Commit placement.json"
          + (f" (the bound in the app is still {app_placement(project, args.app).bound}: set it to {args.bound})"
             if args.bound is not None else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
