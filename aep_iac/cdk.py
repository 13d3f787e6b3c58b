"""Run a CDKTF command (``deploy``, ``destroy``, ``diff``...) so that interrupts are graceful and
its exit status can be trusted.

``python -m aep_iac.cdk deploy STACK... --auto-approve``

* Terraform is run through :mod:`aep_iac.terraform_wrapper` (``TERRAFORM_BINARY_NAME``), so an
  interrupted command lets Terraform finish what is in flight and save state.
* Ctrl-C (SIGINT), SIGTERM or SIGHUP reach the framework CLI once, as a Ctrl-C; this runner then
  waits until every Terraform run it started has ended (the state is saved and the lock released)
  before it returns, with status 130.
* The status is non-zero when the CLI's is, or when any Terraform run failed or was interrupted:
  some CLIs exit 0 after an interrupted deploy.
* ``TF_INPUT=0``: a missing variable fails at once with Terraform's message naming it, instead of
  waiting for terminal input that never comes.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from aep_iac import localdemo
from aep_iac.processes import process_alive
from aep_iac.terraform_wrapper import LOG_ENV, REAL_ENV

INTERRUPTED = 130


@dataclass(frozen=True)
class TerraformRun:
    """One terraform call the CLI made, as the wrapper recorded it."""

    pid: int
    command: str
    args: tuple[str, ...]
    code: int | None  # None: still running (or killed before it could record its end)
    interrupted: bool

    @property
    def failed(self) -> bool:
        if self.code is None or self.code == 0:
            return False
        # `plan -detailed-exitcode` says "changes present" with 2.
        return not (self.command == "plan" and "-detailed-exitcode" in self.args and self.code == 2)


def read_runs(log: Path) -> list[TerraformRun]:
    started: dict[int, dict[str, object]] = {}
    ended: dict[int, dict[str, object]] = {}
    if log.exists():
        for line in log.read_text().splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue
            (started if event.get("event") == "start" else ended)[int(event["pid"])] = event
    runs = []
    for pid, start in started.items():
        end = ended.get(pid, {})
        code, args = end.get("code"), start.get("args")
        runs.append(TerraformRun(pid, str(start.get("command", "")),
                                 tuple(str(a) for a in args) if isinstance(args, list) else (),
                                 code if isinstance(code, int) else None, bool(end.get("interrupted"))))
    return runs


def wrapper_path() -> Path:
    """The wrapper's console script, beside this interpreter (pyproject: ``terraform-graceful``)."""
    return Path(os.path.abspath(sys.executable)).parent / "terraform-graceful"


#: Where each framework's CLI is installed in a project (npm, pinned): cdktf-cli in its
#: node_modules; CDK Terrain's CLI, with the Node 22 it needs, in cdktn-cli/ (this repository's
#: layout) or its node_modules. Else the CLI on the PATH.
CLI_FOLDERS = {"cdktf": ("node_modules/.bin",), "cdktn": ("cdktn-cli/node_modules/.bin", "node_modules/.bin")}


def cli_bin(project: Path, name: str) -> Path:
    """The folder holding the framework's CLI in ``project`` (its first candidate when none does)."""
    folders = [project / folder for folder in CLI_FOLDERS[name]]
    return next((folder for folder in folders if (folder / name).exists()), folders[0])


def framework(environ: Mapping[str, str]) -> str:
    """``$CDK``: ``cdktf`` (CDKTF 0.21, the default) or ``cdktn`` (CDK Terrain)."""
    name = environ.get("CDK", "").strip() or "cdktf"
    if name not in CLI_FOLDERS:
        raise SystemExit(f"CDK={name!r}: choose cdktf (the default) or cdktn")
    return name


def framework_cli(environ: Mapping[str, str], project: Path | None = None) -> list[str]:
    """The framework CLI to run: ``$CDK_CLI`` if set, else the project's pinned CLI, else the PATH's."""
    explicit = environ.get("CDK_CLI")
    if explicit:
        return [explicit]
    name = framework(environ)
    cli = cli_bin(project or Path.cwd(), name) / name
    if cli.exists():
        return [str(cli)]
    found = shutil.which(name, path=environ.get("PATH"))
    if found is None:
        raise SystemExit(f"{name} is not installed: `npm install` in the project (its package.json pins it), "
                         f"or install {name} on the PATH")
    return [found]


def framework_path(environ: Mapping[str, str], project: Path | None = None) -> str:
    """PATH with the chosen framework's binaries first (for CDK Terrain, its Node 22), then this
    venv's (the CLI runs ``python3 --version`` each time; a version manager's shim is slow)."""
    venv = Path(os.path.abspath(sys.executable)).parent
    return os.pathsep.join([str(cli_bin(project or Path.cwd(), framework(environ))), str(venv),
                            environ.get("PATH", "")])


def environment(base: Mapping[str, str], log: Path) -> dict[str, str]:
    env = dict(base)
    env["CDK"] = framework(base)
    env["PATH"] = framework_path(base)
    real = env.get(REAL_ENV) or env.get("TERRAFORM_BINARY_NAME")
    if real and Path(real).name != "terraform-graceful":
        env[REAL_ENV] = real
    env.update(TERRAFORM_BINARY_NAME=str(wrapper_path()), TF_INPUT="0", CI="1", CHECKPOINT_DISABLE="1")
    env[LOG_ENV] = str(log)
    return env


def run(args: Sequence[str], environ: Mapping[str, str] | None = None, cli: Sequence[str] | None = None) -> int:
    """Run the CLI with ``args``; the exit status this command should have."""
    base = os.environ if environ is None else environ
    with tempfile.TemporaryDirectory(prefix="cdk-run-") as tmp:
        log = Path(tmp) / "terraform-runs.jsonl"
        command = [*(cli or framework_cli(base)), *args]
        # Its own process group: the terminal's Ctrl-C reaches this runner only, which passes it on
        # exactly once (a second one would make Terraform exit without saving state).
        child = subprocess.Popen(command, env=environment(base, log), process_group=0)
        interrupts: list[int] = []

        def on_signal(signum: int, frame: FrameType | None) -> None:
            if not interrupts:
                sys.stderr.write("\nInterrupted: Terraform finishes the operations in flight and saves state; "
                                 "waiting for it (interrupting again does not cut this short)...\n")
                sys.stderr.flush()
                try:
                    os.killpg(child.pid, signal.SIGINT)
                except ProcessLookupError:
                    pass
            interrupts.append(signum)

        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
        try:
            code = child.wait()
            _wait_for_terraform(log)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        runs = read_runs(log)
    return _verdict(code, runs, bool(interrupts))


def _wait_for_terraform(log: Path, poll: float = 0.2) -> bool:
    """Block until no recorded Terraform run is still alive; True if there was one to wait for."""
    waited = False
    while True:
        pending = [r.pid for r in read_runs(log) if r.code is None and process_alive(r.pid)]
        if not pending:
            return waited
        if not waited:
            sys.stderr.write(f"Waiting for Terraform (pid {', '.join(map(str, pending))}) to save state...\n")
            sys.stderr.flush()
        waited = True
        time.sleep(poll)


def _verdict(code: int, runs: Sequence[TerraformRun], interrupted: bool) -> int:
    failed = [r for r in runs if r.failed or r.interrupted]
    for r in failed:
        reason = "was interrupted" if r.interrupted else f"exited {r.code}"
        sys.stderr.write(f"terraform {r.command} {reason}\n")
    if interrupted:
        sys.stderr.write("Interrupted; state is saved. Run the command again to finish: it converges to the "
                         "configuration without duplicates.\n")
        return INTERRUPTED
    if code != 0:
        return code if code > 0 else 128 - code
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        sys.stderr.write("usage: python -m aep_iac.cdk COMMAND [ARGS...]  (e.g. deploy '*' --auto-approve)\n")
        sys.exit(2)
    localdemo.apply(Path.cwd(), announce=True)  # after `make demo`: its Flow Service, unless told otherwise
    sys.exit(run(args))


if __name__ == "__main__":
    main()
