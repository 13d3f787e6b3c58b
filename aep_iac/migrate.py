"""Move a state written by release 0.1.0 to 0.2.0's names: one step, no call to AEP.

``python -m aep_iac.migrate --project DIR [STACK...]`` (``make migrate``): every synthesized
stack of a CDKTF project; ``python -m aep_iac.migrate --dir DIR``: one plain Terraform folder,
whose ``*.tf`` files are renamed too (types, the provider's source, local name and version).

0.1.0 named the provider ``terraform.local/aep/flowservice`` and its types ``flowservice_*``;
0.2.0 names them ``terraform.local/aep/aep`` and ``aep_*`` (:mod:`aep_spec.legacy`). In each
folder this pulls the state through the folder's own backend (local or S3), renames the provider
and the types of its resources, data sources and dependencies, and pushes it back one serial
later: ids, etags, every attribute and the lineage stay as they were, and no provider runs, so
AEP sees no request. The state as it was is kept in ``.terraform/pre-migration.tfstate``.
Running it again finds nothing to rename and changes nothing.

The lock file's entry for the 0.1.0 package (which the mirror no longer has) is dropped first, so
``terraform init`` can run, and the guard's entry (the mirror's stand-in at the old address,
:mod:`aep_provider.legacy`) last, since no state needs it any more.

With ``--project``, the local AEP of ``make demo`` moves too: its data folder and run files get
0.2.0's names (``.local-aep-data``, ``.run/local-aep.*``); a server of 0.1.0 still running is
stopped first and started again on the same port, on the same data.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aep_iac import localdemo
from aep_iac.lock import drop_lock_entry, selected_stacks, stack_dir
from aep_iac.processes import process_alive
from aep_spec import identity, legacy

BACKUP = Path(".terraform") / "pre-migration.tfstate"
_LEGACY_PROVIDER = f'provider["{legacy.SOURCE}"]'
_NEW_PROVIDER = f'provider["{identity.SOURCE}"]'
#: An address step naming a 0.1.0 type: ``flowservice_dataflow.x``, ``data.flowservice_explore.y``.
_OLD_TYPE = re.compile(r"(?<![\w-])(" + "|".join(sorted(map(re.escape, legacy.RENAMED_TYPES), key=len, reverse=True))
                       + r")(?=\.)")


class MigrationError(Exception):
    """A step failed; the message says which folder and what Terraform said."""


# ------------------------------------------------------------------------------ the state itself


def rename_address(address: str) -> str:
    """``flowservice_x.name`` (also under ``module.m.`` or ``data.``) -> ``aep_x.name``."""
    return _OLD_TYPE.sub(lambda m: legacy.RENAMED_TYPES[m.group(1)], address)


def rename_provider(provider: str) -> str:
    """``provider["terraform.local/aep/flowservice"].alias`` -> the same under 0.2.0's address."""
    return provider.replace(_LEGACY_PROVIDER, _NEW_PROVIDER)


def migrate_state(state: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """The state with 0.2.0's names and the next serial, and how many resources were renamed (0:
    the state is returned as it was)."""
    renamed = 0
    resources = []
    for resource in state.get("resources") or []:
        provider = str(resource.get("provider", ""))
        if _LEGACY_PROVIDER not in provider:
            resources.append(resource)
            continue
        renamed += 1
        new = dict(resource, provider=rename_provider(provider),
                   type=legacy.RENAMED_TYPES.get(resource["type"], resource["type"]))
        new["instances"] = [
            dict(instance, dependencies=[rename_address(d) for d in instance["dependencies"]])
            if instance.get("dependencies") else instance
            for instance in resource.get("instances") or []]
        resources.append(new)
    if not renamed:
        return state, 0
    migrated = dict(state, resources=resources, serial=int(state.get("serial", 0)) + 1)
    for resource in resources:  # resources of other providers may depend on ours
        for instance in resource.get("instances") or []:
            if instance.get("dependencies"):
                instance["dependencies"] = [rename_address(d) for d in instance["dependencies"]]
    if migrated.get("check_results"):
        migrated["check_results"] = json.loads(rename_address(json.dumps(migrated["check_results"])))
    return migrated, renamed


# ------------------------------------------------------------------------------ plain Terraform files


_LOCAL_NAME_BLOCK = re.compile(r"(?m)^(\s*)" + legacy.TYPE + r"(\s*=\s*\{)([^}]*)\}")
_VERSION = re.compile(r'version(\s*)=(\s*)"[^"]*"')
_CONFIG_RENAMES = (
    (re.compile(r"\b(" + "|".join(sorted(legacy.RENAMED_TYPES, key=len, reverse=True)) + r")\b"),
     lambda m: legacy.RENAMED_TYPES[m.group(1)]),
    (re.compile(re.escape(legacy.SOURCE) + r"\b"), lambda m: identity.SOURCE),
    (re.compile(r'provider(\s+)"' + legacy.TYPE + '"'), lambda m: f'provider{m.group(1)}"{identity.TYPE}"'),
    (re.compile(r"(provider\s*=\s*)" + legacy.TYPE + r"\b"), lambda m: f"{m.group(1)}{identity.TYPE}"),
)


def migrate_config(text: str) -> str:
    """A ``.tf`` file of 0.1.0 in 0.2.0's names: types, the provider block and references to it,
    and the ``required_providers`` entry (its version constraint becomes this release)."""
    for pattern, replace in _CONFIG_RENAMES:
        text = pattern.sub(replace, text)
    return _LOCAL_NAME_BLOCK.sub(lambda m: f"{m.group(1)}{identity.TYPE}{m.group(2)}"
                                 + _VERSION.sub(f'version\\1=\\2"{identity.VERSION}"', m.group(3)) + "}", text)


def migrate_config_files(folder: Path) -> list[str]:
    """Rewrite the folder's ``*.tf`` files that use 0.1.0's names; the names of those changed."""
    changed = []
    for path in sorted(folder.glob("*.tf")):
        text = path.read_text()
        new = migrate_config(text)
        if new != text:
            path.write_text(new)
            changed.append(path.name)
    return changed


# ------------------------------------------------------------------------------ one folder


@dataclass
class FolderResult:
    name: str
    renamed: int
    serial: tuple[int, int] | None = None

    def line(self) -> str:
        if not self.renamed:
            return f"{self.name}: nothing to migrate"
        before, after = self.serial or (0, 0)
        return (f"{self.name}: {self.renamed} resource(s) renamed to {identity.SOURCE} ({identity.TYPE}_*), "
                f"state serial {before} -> {after}; ids and etags unchanged, 0 calls to AEP")


def _terraform(folder: Path, args: Sequence[str], environ: Mapping[str, str], **kwargs: Any) -> str:
    done = subprocess.run(["terraform", *args], cwd=folder, env=dict(environ), capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, **kwargs)
    if done.returncode != 0:
        raise MigrationError(f"{folder}: `terraform {' '.join(args)}` failed:\n{done.stderr.strip() or done.stdout}")
    return str(done.stdout)


def migrate_folder(folder: Path, name: str, environ: Mapping[str, str]) -> FolderResult:
    """Pull, rename, push one folder's state through its own backend."""
    env = dict(environ, TF_INPUT="0", CHECKPOINT_DISABLE="1")
    drop_lock_entry(folder, keep_guard=True)
    _terraform(folder, ["init", "-input=false", "-no-color"], env)
    pulled = _terraform(folder, ["state", "pull"], env)
    if not pulled.strip():
        drop_lock_entry(folder, keep_guard=False)
        return FolderResult(name, 0)
    state = json.loads(pulled)
    migrated, renamed = migrate_state(state)
    if renamed:
        backup = folder / BACKUP
        backup.parent.mkdir(parents=True, exist_ok=True)
        backup.write_text(pulled)
        staged = folder / ".terraform" / "migrated.tfstate"
        staged.write_text(json.dumps(migrated, indent=2) + "\n")
        _terraform(folder, ["state", "push", str(staged)], env)
        staged.unlink()
    drop_lock_entry(folder, keep_guard=False)
    return FolderResult(name, renamed, (int(state.get("serial", 0)), int(migrated.get("serial", 0))))


# ------------------------------------------------------------------------------ make demo's local AEP


OLD_DATA, NEW_DATA = ".flowservice-data", ".local-aep-data"
OLD_DB, NEW_DB = "flowservice.sqlite3", "local-aep.sqlite3"
OLD_RUN, NEW_RUN = "flowservice", "local-aep"


def move_demo_data(project: Path) -> str | None:
    """Give ``make demo``'s local AEP 0.2.0's names; the line to print, or None (nothing of 0.1.0)."""
    old, new, run = project / OLD_DATA, project / NEW_DATA, project / ".run"
    if not old.is_dir() or new.exists():
        return None
    pid_file = run / f"{OLD_RUN}.pid"
    restart = False
    if pid_file.exists():
        pid = int(pid_file.read_text().strip() or 0)
        if pid and process_alive(pid):
            os.kill(pid, signal.SIGTERM)  # ours: the pid file of this project's demo
            deadline = time.monotonic() + 15
            while process_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if process_alive(pid):
                raise MigrationError(f"the local AEP of release {legacy.VERSION} (pid {pid}) did not stop; "
                                     "stop it and run the migration again")
            restart = True
    old.rename(new)
    if (new / OLD_DB).exists():
        for suffix in ("", "-wal", "-shm"):
            if (new / (OLD_DB + suffix)).exists():
                (new / (OLD_DB + suffix)).rename(new / (NEW_DB + suffix))
    for suffix in ("pid", "url"):
        (run / f"{OLD_RUN}.{suffix}").unlink(missing_ok=True)
    if (run / f"{OLD_RUN}.log").exists():
        (run / f"{OLD_RUN}.log").rename(run / f"{NEW_RUN}.log")
    line = f"local AEP data: {OLD_DATA} -> {NEW_DATA}"
    if restart:
        line += "; " + _restart_demo(project)
    return line


def _restart_demo(project: Path) -> str:
    from aep_iac import local_aep, sandboxes

    port = int(json.loads((project / localdemo.RECORD).read_text())["port"])
    names = ",".join(sandboxes.names(project / "main.py"))
    if local_aep.start(port, project / NEW_DATA, project / ".run", names) != 0:
        raise MigrationError(f"the local AEP did not start again on port {port} (its log: .run/{local_aep.LOG_FILE})")
    return f"restarted on port {port} with the same data"


# ------------------------------------------------------------------------------ command


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--project", type=Path, help="a CDKTF project (default: the current folder)")
    where.add_argument("--dir", type=Path, help="one plain Terraform folder instead")
    parser.add_argument("stacks", nargs="*", help="with --project: stacks or patterns (default: every one)")
    args = parser.parse_args(argv)
    try:
        if args.dir is not None:
            folder = args.dir.resolve()
            for name in migrate_config_files(folder):
                print(f"{name}: renamed to {identity.SOURCE} ({identity.TYPE}_*)")
            results = [migrate_folder(folder, str(args.dir), os.environ)]
        else:
            project = (args.project or Path.cwd()).resolve()
            demo = move_demo_data(project)
            if demo:
                print(demo)
            results = [migrate_folder(stack_dir(project, stack), stack, os.environ)
                       for stack in selected_stacks(project, args.stacks)]
    except MigrationError as exc:
        print(f"migration failed: {exc}", file=sys.stderr)
        return 1
    for result in results:
        print(result.line())
    renamed = sum(r.renamed for r in results)
    print(f"migrated {renamed} resource(s) in {sum(1 for r in results if r.renamed)} of {len(results)} state(s)"
          if renamed else "every state already uses 0.2.0's names")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
