"""Run one Terraform command in many stacks at once, with one bound on Flow Service calls in flight.

``python -m aep_iac.stacks apply|destroy [--project DIR] [STACK...]`` (``*`` or nothing: every
synthesized stack). What ``make deploy`` and ``make destroy`` run after synthesizing ``main.py``.

* **One bound.** Terraform's ``-parallelism`` (10 by default) bounds one state's operations, and
  each operation makes one Flow Service call at a time. Run side by side, k stacks would send 10k
  calls at once; here the bound (``$AEP_MAX_IN_FLIGHT``, default 10, Terraform's own
  default, so the API sees no more than a single stack sends) is one pool of slots for the whole
  command (:mod:`aep_client.inflight`): every provider holds a slot around each request.
  Up to ``bound`` stacks run at once, each at ``-parallelism`` of twice the bound
  (:data:`QUEUED_PER_SLOT`), so that while a Terraform writes its state or plans the next
  object, another operation is already waiting for the slot that frees: the API is kept at the
  bound, never above it.
* **Init once.** ``terraform init`` runs only when a stack's backend, providers or lock file
  changed since its last init (a marker in ``.terraform``), not on every command as the CDK CLI does.
* **Interrupts.** Ctrl-C, SIGTERM or SIGHUP reach every running Terraform once, as Terraform's
  graceful stop (operations in flight finish and reach state); no stack starts after it, and the
  command waits for every Terraform to save state and release its lock before it returns 130.
* **Exit status.** 0 when every stack succeeded, 1 when one failed (its output says why), 130
  when interrupted. Each line of output is prefixed with its stack; a diagnostic that many objects
  or stacks meet is shown once, then counted (:mod:`aep_iac.console`).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from types import FrameType
from typing import TextIO

from aep_client.inflight import SlotServer
from aep_client.progress import ProgressListener
from aep_iac import localdemo
from aep_iac.cdk import INTERRUPTED, wrapper_path
from aep_iac.console import Console
from aep_iac.lock import selected_stacks, stack_dir, synthesized_stacks
from aep_iac.states import (
    Backend,
    StateError,
    Undeclared,
    describe,
    managed,
    repair_local_state,
    sandbox_of_state,
    tombstone,
    undeclared,
)
from aep_spec import identity
from aep_spec.commands import command

BOUND_ENV = "AEP_MAX_IN_FLIGHT"
DEFAULT_BOUND = 10
INIT_MARKER = "aep-init.sha256"
WARM_ENV = "AEP_WARM"
#: Each stack's ``-parallelism``, as a multiple of the bound. Measured at N=200 and 150 ms in one
#: stack (make bench's cell): 1x 1.57 / 1.48 / 1.35 / 1.31 times the floor (create / no-op /
#: rotation / destroy), 2x 1.51 / 1.37 / 1.22 / 1.21; the slots keep the API at the bound either way.
QUEUED_PER_SLOT = 2


def bound_from(environ: Mapping[str, str]) -> int:
    """The in-flight bound: ``$AEP_MAX_IN_FLIGHT`` (a whole number >= 1), default 10."""
    text = environ.get(BOUND_ENV, "").strip()
    if not text:
        return DEFAULT_BOUND
    if not text.isdigit() or int(text) < 1:
        raise SystemExit(f"{BOUND_ENV}={text!r}: must be a whole number of at least 1")
    return int(text)


@dataclass(frozen=True)
class Step:
    """One command run in a stack's folder, and the exit statuses that let the next one run."""

    args: tuple[str, ...]
    ok: tuple[int, ...] = (0,)


@dataclass
class StackRun:
    """One stack's commands, once they ended: the last status, and each command's output lines."""

    stack: str
    code: int
    outputs: list[tuple[Step, list[str]]] = field(default_factory=list)
    seconds: float = 0.0
    ok: bool = True

    @property
    def output(self) -> list[str]:
        return [line for _, lines in self.outputs for line in lines]

    def of(self, verb: str) -> list[str] | None:
        """The output of the step running ``verb`` (``plan``, ``show``...), if it ran."""
        return next((lines for step, lines in self.outputs if verb in step.args[1:2]), None)


def init_fingerprint(folder: Path, environ: Mapping[str, str]) -> str:
    """What ``terraform init`` depends on: the backend and providers the stack declares, its lock
    file, and the CLI configuration that says where providers come from."""
    doc = json.loads((folder / "cdk.tf.json").read_text())
    terraform = doc.get("terraform") or {}
    lock = folder / ".terraform.lock.hcl"
    material = json.dumps([terraform.get("backend"), terraform.get("required_providers"),
                           lock.read_text() if lock.exists() else None, environ.get("TF_CLI_CONFIG_FILE")],
                          sort_keys=True)
    return hashlib.sha256(material.encode()).hexdigest()


def needs_init(folder: Path, environ: Mapping[str, str]) -> bool:
    marker = folder / ".terraform" / INIT_MARKER
    return not marker.exists() or marker.read_text().strip() != init_fingerprint(folder, environ)


def mark_initialized(folder: Path, environ: Mapping[str, str]) -> None:
    (folder / ".terraform" / INIT_MARKER).write_text(init_fingerprint(folder, environ) + "\n")


class Runner:
    """Runs commands in stack folders, at most ``bound`` Flow Service calls in flight in all."""

    def __init__(self, project: Path, environ: Mapping[str, str], bound: int,
                 echo: Console | None = None, progress: TextIO | None = None) -> None:
        self.project = project
        #: Where each retry of a provider is shown as it happens (a terminal), if anywhere.
        self.progress = progress
        self.environ = dict(environ, TF_INPUT="0", CHECKPOINT_DISABLE="1")
        self.bound = bound
        self.echo = echo
        # Re-entrant: the signal handler runs in the main thread, which may hold it at that moment.
        self._lock = threading.RLock()
        self._running: dict[str, subprocess.Popen[str]] = {}
        self.interrupted = False

    # -- signals -----------------------------------------------------------------------------

    def interrupt(self, signum: int = signal.SIGINT, frame: FrameType | None = None) -> None:
        """Terraform's graceful stop, once, to every running stack; nothing new starts."""
        with self._lock:
            first = not self.interrupted
            self.interrupted = True
            running = list(self._running.values())
        if first:
            sys.stderr.write("\nInterrupted: every Terraform finishes the operations in flight and saves state; "
                             "waiting for them (interrupting again does not cut this short)...\n")
            sys.stderr.flush()
            for process in running:
                try:
                    process.send_signal(signal.SIGINT)  # the wrapper passes exactly one on to Terraform
                except ProcessLookupError:
                    pass

    # -- running -----------------------------------------------------------------------------

    def run_all(self, stacks: Sequence[str], command: Callable[[str, int], list[Step]]) -> list[StackRun]:
        """``command(stack, parallelism)`` lists the steps of one stack (run in its folder, in order,
        stopping at the first that fails); up to ``bound`` stacks run side by side, every request
        of theirs within one of the ``bound`` slots served here."""
        results: dict[str, StackRun] = {}
        running = threading.BoundedSemaphore(max(1, min(self.bound, len(stacks))))
        threads: list[threading.Thread] = []

        def one(stack: str) -> None:
            try:
                results[stack] = self._stack(stack, command(stack, QUEUED_PER_SLOT * self.bound))
            finally:
                running.release()

        with SlotServer(self.bound) as slots, self._progress() as listener:
            self.environ.update(slots.environ | listener)
            try:
                for stack in stacks:
                    running.acquire()
                    if self.interrupted:
                        running.release()
                        break
                    thread = threading.Thread(target=one, args=(stack,), daemon=True)
                    thread.start()
                    threads.append(thread)
                for thread in threads:
                    thread.join()
            finally:
                for name in [*slots.environ, *listener]:
                    self.environ.pop(name, None)
        return [results[s] for s in stacks if s in results]

    @contextmanager
    def _progress(self) -> Iterator[dict[str, str]]:
        """The environment that has providers report their retries to :attr:`progress`."""
        if self.progress is None:
            yield {}
            return
        with ProgressListener(self.progress) as listener:
            yield listener.environ

    def _stack(self, stack: str, steps: list[Step]) -> StackRun:
        folder = stack_dir(self.project, stack)
        run = StackRun(stack, 0)
        started = time.monotonic()
        for step in steps:
            lines: list[str] = []
            run.outputs.append((step, lines))
            run.code = self._process(stack, folder, list(step.args), lines)
            if run.code not in step.ok:
                run.ok = False
                break
            if step.args[:2] == ("terraform", "init"):
                mark_initialized(folder, self.environ)
        run.seconds = time.monotonic() - started
        return run

    def _process(self, stack: str, folder: Path, args: list[str], output: list[str]) -> int:
        with self._lock:
            if self.interrupted:
                return INTERRUPTED
            # Its own session: the terminal's Ctrl-C reaches this runner only, which passes it on once.
            process = subprocess.Popen(args, cwd=folder, env=self.environ, stdout=subprocess.PIPE,
                                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
                                       start_new_session=True)
            self._running[f"{stack}:{process.pid}"] = process
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            if self.echo is not None:
                self.echo.line(stack, line)
        code = process.wait()
        if self.echo is not None:
            self.echo.done(stack)
        with self._lock:
            self._running.pop(f"{stack}:{process.pid}", None)
        return code if code >= 0 else 128 - code


def terminal() -> TextIO | None:
    """stderr when a user watches it (a terminal), for the retries shown as they happen; in CI, None."""
    return sys.stderr if sys.stderr.isatty() else None


def handle_interrupts(runner: Runner) -> Runner:
    """Ctrl-C, SIGTERM and SIGHUP go to ``runner`` (its graceful stop) until the command exits: one
    that comes after the last Terraform ended, while the command writes its report, is the same
    graceful stop, not a traceback and a death by signal."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, runner.interrupt)
    return runner


@contextmanager
def warm(project: Path, runner: Runner) -> Iterator[None]:
    """A warm provider server for the command (``aep_provider.protocol.warm``): every provider
    process Terraform starts is forked from it, with its modules loaded, instead of importing them
    again (about 0.3 s of CPU each, 3-4 per stack and command). ``AEP_WARM=0`` turns it off."""
    if runner.environ.get(WARM_ENV, "").strip() == "0":
        yield
        return
    from aep_provider.protocol.warm import warm_provider

    run_dir = project / ".run"
    run_dir.mkdir(exist_ok=True)
    with warm_provider(run_dir) as extra:
        runner.environ.update(extra)
        yield


def init_step(folder: Path, environ: Mapping[str, str]) -> list[Step]:
    """``terraform init``, when the stack needs it."""
    return [Step(("terraform", "init", "-input=false", "-no-color"))] if needs_init(folder, environ) else []


def terraform_command(verb: str, folder: Path, environ: Mapping[str, str], parallelism: int,
                      targets: Sequence[str] = ()) -> list[Step]:
    """init (when needed), then ``terraform <verb>`` through the graceful wrapper; with ``targets``,
    only those objects (and what they need), its two warnings about that in their short form."""
    flags = {"apply": ("-auto-approve",), "destroy": ("-auto-approve",)}[verb]
    only = (*(f"-target={address}" for address in targets), "-compact-warnings") if targets else ()
    return [*init_step(folder, environ),
            Step((str(wrapper_path()), verb, *flags, *only, "-input=false", "-no-color",
                  f"-parallelism={parallelism}"))]


def steps_of(project: Path, verb: str, environ: Mapping[str, str], phase: Phase, stack: str,
             parallelism: int) -> list[Step]:
    """One stack's steps in a phase (``Runner.run_all``'s command)."""
    return terraform_command(verb, stack_dir(project, stack), environ, parallelism,
                             target_addresses(project, stack) if phase.targets_only else ())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("verb", choices=["apply", "destroy"])
    parser.add_argument("--project", type=Path, default=Path.cwd())
    parser.add_argument("stacks", nargs="*")
    args = parser.parse_intermixed_args(argv)
    project = args.project.resolve()
    localdemo.apply(project, announce=True)
    try:
        stacks, left = stacks_to_run(project, args.verb, args.stacks, Backend.from_env(os.environ))
    except StateError as exc:
        print(f"{args.verb}: nothing was run: {exc}", file=sys.stderr)
        return 1
    if not stacks:
        print("no stack to run")
        return 0
    bound = bound_from(os.environ)
    if args.verb == "apply":  # what verify waits for: the runs of what this deploy created or changed
        (project / ".run").mkdir(exist_ok=True)
        (project / ".run" / "last-deploy.json").write_text(json.dumps({"started": time.time(), "stacks": stacks}))
    console = Console(project)
    runner = handle_interrupts(Runner(project, os.environ, bound, echo=console, progress=terminal()))
    with warm(project, runner):
        last: dict[str, StackRun] = {}  # each stack's last run (a stack holding targets runs twice)
        for phase in phases(project, stacks, args.verb):
            done = runner.run_all(phase.stacks, partial(steps_of, project, args.verb, runner.environ, phase))
            last |= {r.stack: r for r in done}
            if any(not r.ok for r in done):
                break
        runs = list(last.values())
    for line in console.summary():
        print(line)
    failed = [r for r in runs if not r.ok]
    print(f"\n{args.verb}: {len(runs) - len(failed)} of {len(stacks)} stack(s) done, at most {bound} "
          f"Flow Service call(s) in flight" + (f"; failed: {', '.join(r.stack for r in failed)}" if failed else ""))
    for stack in left:
        print(f"not touched: {stack.line()}, a stack main.py no longer declares; "
              f"`{command('destroy', stacks=stack.stack)}` deletes those objects, "
              f"`{command('forget', stacks=stack.stack)}` stops managing them")
    if runner.interrupted:
        sys.stderr.write("Interrupted; state is saved. Run the command again to finish: it converges to the "
                         "configuration without duplicates.\n")
        return INTERRUPTED
    return 1 if failed or len(runs) < len(stacks) else 0


#: What a stack that holds a sandbox's schemas, datasets and mapping sets declares (its first stack).
TARGET_TYPES = (identity.XDM_SCHEMA, identity.DATASET, identity.MAPPING_SET)


@dataclass(frozen=True)
class Phase:
    """Stacks that run side by side; ``targets_only``: only their schemas, datasets and mapping sets."""

    stacks: list[str]
    targets_only: bool = False


def target_addresses(project: Path, stack: str) -> list[str]:
    """The addresses of the schemas, datasets and mapping sets a stack declares."""
    path = stack_dir(project, stack) / "cdk.tf.json"
    resources = (json.loads(path.read_text()).get("resource") or {}) if path.exists() else {}
    return [f"{kind}.{key}" for kind in TARGET_TYPES for key in resources.get(kind) or {}]


def phases(project: Path, stacks: Sequence[str], verb: str) -> list[Phase]:
    """The order stacks run in. A sandbox's other stacks find its schemas, datasets and mapping sets
    by name, so on apply the stacks that hold them first apply those alone (a few objects, not their
    share of the sandbox's pipelines), then every stack runs side by side; on destroy the others go
    first. One phase when no stack holds any, or when no other stack needs them."""
    first = [s for s in stacks if target_addresses(project, s)]
    rest = [s for s in stacks if s not in first]
    if not (first and rest):
        return [Phase(list(stacks))]
    return [Phase(first, targets_only=True), Phase(list(stacks))] if verb == "apply" else [Phase(rest), Phase(first)]


def stacks_to_run(project: Path, verb: str, names: Sequence[str],
                  backend: Backend) -> tuple[list[str], list[Undeclared]]:
    """The stacks a deploy or destroy runs, after checking their states (:mod:`aep_iac.states`),
    and the undeclared stacks it leaves alone. A stack with state that main.py no longer declares runs
    only when named, and only to be destroyed (an empty configuration for it is written first)."""
    stacks = selected_stacks(project, names)
    declared = set(synthesized_stacks(project))
    if not [n for n in names if n != "*"]:
        left = undeclared(project, backend, sorted(declared))
    else:
        left = []
    for stack in [s for s in stacks if s not in declared]:
        state = backend.read(project, stack)
        if not managed(state):
            raise StateError(f"{stack}: no such stack: main.py does not declare it and no state holds objects for it")
        if verb != "destroy":
            raise StateError(f"{stack}: main.py no longer declares it; it still holds {describe(managed(state))}. "
                             f"`{command('destroy', stacks=stack)}` deletes them; "
                             f"`{command('forget', stacks=stack)}` stops managing them (they stay in AEP); or "
                             "declare it in main.py again")
        sandbox = sandbox_of_state(state)
        if not sandbox:
            raise StateError(f"{stack}: its state does not say which sandbox it deployed to; declare it again in "
                             "main.py to destroy it")
        tombstone(project, stack, sandbox)
    if backend.kind == "local":
        for stack in stacks:
            done = repair_local_state(project, stack)
            if done:
                print(done, file=sys.stderr)
    return stacks, left


if __name__ == "__main__":
    sys.exit(main())
