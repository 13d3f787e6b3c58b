"""Which stack (which Terraform state) holds each connection of a sandbox: a committed placement
file, like a lock file.

Why stacks at all: Terraform rewrites a local state after every resource it writes (and copies a
remote one), so one state of N objects costs about N^2; k states of N/k cost about N^2/k, and run
side by side. Why a file: the placement must be stable (adding, removing or renaming one
connection must never move another, since a move between states is a delete in one and a create
in the other) and reviewable, and it is decided once, in the pull request that adds a connection.

Rules, applied at synth:

* a connection already placed stays in its stack; one no longer declared leaves the file;
* a new connection (in key order) goes to the stack with the fewest connections among those below
  the bound, the earlier stack on a tie; stacks are opened when the total needs them (all at once
  for a large addition, so that it spreads evenly);
* the first stack of a sandbox is the sandbox's own (``s3-prod``), the next ``s3-prod-2``...;
  a stack emptied by removals stays until a rebalance, so that its state is destroyed by a deploy;
* ``frozen`` (CI's deploy on ``main``): a connection the file does not place is an error, since a
  placement decided anew on every deploy could differ from the one already deployed.

Everything that belongs to a connection (its source and target connections, its dataflows) goes
to the connection's stack. ``aep_iac.rebalance`` changes the placement (a new bound, or
evening out) and moves the connections' state accordingly, without a call to AEP.
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from aep_spec.commands import command
from constructs_lib.errors import ConstructError, PropViolation

#: The default bound of connections per stack, chosen by measurement (README, Performance).
DEFAULT_BOUND = 200
FROZEN_ENV = "PLACEMENT_FROZEN"
ABOUT = ("Which Terraform stack (state) holds each connection, per sandbox. Written at synth when a "
         "connection is added or removed; commit it with main.py. `aep-iac rebalance` changes it and moves state.")


def stack_name(first: str, index: int) -> str:
    """The ``index``-th (0-based) stack of a sandbox whose first stack is ``first``."""
    return first if index == 0 else f"{first}-{index + 1}"


@dataclass
class Placement:
    """The placement of every sandbox's connections, loaded from (and saved to) ``path``."""

    path: Path | None = None
    bound: int = DEFAULT_BOUND
    frozen: bool = False
    sandboxes: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    changed: bool = False

    @classmethod
    def file(cls, path: str | os.PathLike[str], bound: int = DEFAULT_BOUND,
             environ: Mapping[str, str] | None = None) -> Placement:
        """The placement in ``path`` (none yet: empty); frozen when ``$PLACEMENT_FROZEN`` is set."""
        env = os.environ if environ is None else environ
        placement = cls(Path(path), bound, frozen=env.get(FROZEN_ENV, "").strip() not in ("", "0"))
        if placement.path is not None and placement.path.exists():
            doc = json.loads(placement.path.read_text())
            placement.sandboxes = {sandbox: {stack: list(keys) for stack, keys in stacks.items()}
                                   for sandbox, stacks in (doc.get("sandboxes") or {}).items()}
        if bound < 1:
            raise ConstructError([PropViolation("placement", "bound", "must be 1 or more", bound)])
        return placement

    def assign(self, sandbox: str, first_stack: str, keys: Sequence[str]) -> dict[str, list[str]]:
        """The stacks of ``sandbox`` and their connection keys, placing new keys by the rules above."""
        declared = set(keys)
        current = self.sandboxes.get(sandbox) or {first_stack: []}
        stacks = {stack: sorted(k for k in placed if k in declared) for stack, placed in current.items()}
        placed = {k for ks in stacks.values() for k in ks}
        new = sorted(declared - placed)
        if new and self.frozen:
            shown = ", ".join(new[:5]) + (", ..." if len(new) > 5 else "")
            name = self.path.name if self.path else "it"
            raise ConstructError([PropViolation(
                f"placement ({self.path or 'in memory'})", "sandboxes",
                f"does not place {len(new)} connection(s) of sandbox {sandbox!r} ({shown}), and {FROZEN_ENV} "
                f"forbids placing them now: run `{command('lock')}` (or `{command('plan')}`) and commit {name}")])
        order = list(stacks)
        # Open at once every stack the total needs, so that a sandbox deployed for the first time (or
        # a large addition) is spread evenly rather than filling stacks one after the other.
        while len(order) * self.bound < len(placed) + len(new):
            order.append(stack_name(first_stack, len(order)))
            stacks[order[-1]] = []
        for key in new:
            room = [s for s in order if len(stacks[s]) < self.bound]
            if not room:
                room = [stack_name(first_stack, len(order))]
                order.append(room[0])
                stacks[room[0]] = []
            target = min(room, key=lambda s: (len(stacks[s]), order.index(s)))
            stacks[target].append(key)
            stacks[target].sort()
        if stacks != current:
            if self.frozen and self.path is not None and sandbox in self.sandboxes:
                name = self.path.name
                raise ConstructError([PropViolation(
                    f"placement ({self.path})", "sandboxes",
                    f"is not what synth writes for sandbox {sandbox!r} (connections removed from main.py are still "
                    f"placed), and {FROZEN_ENV} forbids changing it now: run `{command('plan')}` and commit {name}")])
            self.sandboxes[sandbox] = stacks
            self.changed = True
        return stacks

    def over_bound(self) -> list[tuple[str, int]]:
        """Stacks holding more than the bound (after the bound was lowered): a rebalance evens them out."""
        return [(stack, len(keys)) for stacks in self.sandboxes.values() for stack, keys in stacks.items()
                if len(keys) > self.bound]

    def save(self) -> bool:
        """Write the file if anything changed (a JSON document, one key per line, sorted)."""
        if self.path is None or not self.changed:
            return False
        doc = {"about": ABOUT, "sandboxes": self.sandboxes}
        self.path.write_text(json.dumps(doc, indent=2, sort_keys=False) + "\n")
        self.changed = False
        print(f"{self.path.name} updated (connections added or removed): commit it with the app", file=sys.stderr)
        return True


def balanced(stacks: Mapping[str, Sequence[str]], first_stack: str, bound: int) -> dict[str, list[str]]:
    """An even placement of the same keys with no stack above ``bound``, moving as few as possible.

    k = ceil(N / bound) stacks (at least one); each keeps up to its share (N/k, rounded up for the
    first N mod k stacks) of what it holds, in key order; the rest move to stacks below their share.
    Stacks beyond k end up empty (a deploy then has nothing left in them, and they can be dropped).
    """
    keys = sorted(k for ks in stacks.values() for k in ks)
    count = max(1, math.ceil(len(keys) / bound))
    names = [stack_name(first_stack, i) for i in range(max(count, len(stacks)))]
    ordered = [n for n in names if n in stacks] + [n for n in names if n not in stacks]
    targets = ordered[:count]
    share = {name: len(keys) // count + (1 if i < len(keys) % count else 0) for i, name in enumerate(targets)}
    result: dict[str, list[str]] = {name: [] for name in ordered}
    spill: list[str] = []
    for name in ordered:
        held = sorted(stacks.get(name, ()))
        keep = share.get(name, 0)
        result[name] = held[:keep]
        spill += held[keep:]
    for key in sorted(spill):
        open_ = [n for n in targets if len(result[n]) < share[n]]
        target = min(open_, key=lambda n: (len(result[n]), targets.index(n)))
        result[target].append(key)
        result[target].sort()
    return result
