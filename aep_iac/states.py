"""The states a project holds, checked before Terraform reads them: nothing managed is forgotten.

Two ways objects in AEP fall out of every plan without a word, both caught here:

* **A state file emptied or cut short.** Terraform rewrites a local state file in place; killed at
  the wrong moment it leaves 0 bytes (hashicorp/terraform#34266), which Terraform then reads as
  "nothing exists" (a destroy says "No objects need to be destroyed" and exits 0). Before a plan,
  deploy or destroy, such a file is restored from Terraform's own backup when that is whole (and
  the broken file kept beside it), or refused with the way out: the ownership journal beside the
  state still lists what the state created, and a deploy adopts exactly those objects back.
* **A stack with state that is no longer declared** (a sandbox removed or renamed in main.py, a
  placement change): its objects stay in AEP and in its state, but no command would look at them.
  :func:`undeclared` finds them (local files beside the project, or keys under the S3 prefix), the
  plan names them with what they hold, and deploy and destroy act on one only when asked by name
  (:func:`tombstone` gives a named one an empty configuration, so a destroy deletes its objects).

S3 states are written whole by Terraform (one PUT), so only local files are checked for damage.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aep_iac.lock import stack_dir, synthesized_stacks
from aep_spec import identity
from aep_spec.commands import command

KIND_NOUNS = identity.KIND_NOUNS


class StateError(Exception):
    """A state that cannot be read safely; the message says which, why, and the way out."""


# ------------------------------------------------------------------------------ where states are


@dataclass(frozen=True)
class Backend:
    """Where the project's stacks keep state (constructs_lib.backend.StateBackend, read from the
    same settings, so this module needs nothing of the CDK)."""

    kind: str = "local"
    bucket: str = ""
    prefix: str = "aep-s3-connections"
    region: str = "us-east-1"
    endpoint: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Backend:
        if (environ.get("TF_STATE_BACKEND", "").strip() or "local") != "s3":
            return cls()
        return cls("s3", environ.get("TF_STATE_BUCKET", "").strip(),
                   environ.get("TF_STATE_PREFIX", "").strip().strip("/") or cls.prefix,
                   environ.get("TF_STATE_REGION", "").strip() or cls.region,
                   environ.get("TF_STATE_ENDPOINT", "").strip() or None)

    def local_path(self, project: Path, stack: str) -> Path:
        return project / f"terraform.{stack}.tfstate"

    def s3(self) -> Any:
        import botocore.config
        import botocore.session

        config = botocore.config.Config(s3={"addressing_style": "path"} if self.endpoint else {})
        return botocore.session.get_session().create_client("s3", region_name=self.region,
                                                            endpoint_url=self.endpoint, config=config)

    def held_stacks(self, project: Path) -> list[str]:
        """Every stack with a state here (a file, or an S3 key under the prefix)."""
        if self.kind == "local":
            return sorted(p.name[len("terraform."):-len(".tfstate")] for p in project.glob("terraform.*.tfstate"))
        names = []
        pages = self.s3().get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=f"{self.prefix}/")
        for page in pages:
            for item in page.get("Contents", []):
                key = str(item["Key"])[len(self.prefix) + 1:]
                if key.endswith(".tfstate") and "/" not in key:
                    names.append(key[:-len(".tfstate")])
        return sorted(names)

    def read(self, project: Path, stack: str) -> dict[str, Any]:
        """A stack's state document ({} when there is none)."""
        if self.kind == "local":
            path = self.local_path(project, stack)
            return dict(json.loads(path.read_text())) if path.exists() and path.stat().st_size else {}
        client = self.s3()
        try:
            body = client.get_object(Bucket=self.bucket, Key=f"{self.prefix}/{stack}.tfstate")["Body"].read()
        except client.exceptions.NoSuchKey:
            return {}
        return dict(json.loads(body)) if body else {}


# ------------------------------------------------------------------------------ damaged local files


def _whole(path: Path) -> dict[str, Any] | None:
    """The state document in ``path`` if it is one (JSON with a version and a lineage)."""
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) and "version" in doc and "lineage" in doc else None


def managed(state: Mapping[str, Any]) -> Counter[str]:
    """How many managed objects of each type a state holds."""
    return Counter(str(r.get("type")) for r in state.get("resources") or [] if r.get("mode") == "managed"
                   for _ in r.get("instances") or [])


def describe(counts: Counter[str]) -> str:
    if not counts:
        return "no objects"
    order = list(KIND_NOUNS)  # the tutorial's order: base connection first, dataflow last
    ranked = sorted(counts.items(), key=lambda item: (order.index(item[0]) if item[0] in order else 9, item[0]))
    return ", ".join(f"{n} {KIND_NOUNS.get(kind, kind)}{'s' if n != 1 else ''}" for kind, n in ranked)


def journal_claims(state_path: Path) -> int:
    """How many objects the ownership journal beside a local state records."""
    folder = state_path.with_name(state_path.name + ".owned")
    return sum(1 for _ in folder.rglob("*.json")) if folder.is_dir() else 0


def repair_local_state(project: Path, stack: str) -> str | None:
    """Check one local state before Terraform reads it: None when whole or absent, a line saying what
    was restored, or :class:`StateError` with the way out."""
    path = Backend().local_path(project, stack)
    if not path.exists() or _whole(path) is not None:
        return None
    size = path.stat().st_size
    broken = path.with_name(f"{path.name}.broken-{time.strftime('%Y%m%dT%H%M%S')}")
    backup = path.with_name(path.name + ".backup")
    saved = _whole(backup) if backup.exists() else None
    what = "empty" if size == 0 else f"not a state ({size} bytes)"
    if saved is not None:
        shutil.copy2(path, broken)
        tmp = path.with_name(path.name + ".restoring")
        shutil.copy2(backup, tmp)
        os.replace(tmp, path)
        return (f"{stack}: its state file was {what} (a Terraform stopped while writing it); restored from "
                f"{backup.name} (serial {saved.get('serial')}, {describe(managed(saved))}); the broken file is "
                f"kept as {broken.name}. The plan refreshes every object against AEP.")
    claims = journal_claims(path)
    raise StateError(
        f"{stack}: its state file {path.name} is {what}, and there is no whole backup to restore it from. Read "
        "as it is, it would say that nothing exists, and the objects it held would be forgotten; nothing was "
        f"run. Its ownership journal ({path.name}.owned) records {claims} object(s) this state created. Move "
        f"the file aside (`mv {path.name} {path.name}.broken`), then `{command('deploy', stacks=stack)}`: the deploy "
        "adopts exactly those objects back into a new state (no object is created twice), after which plan "
        "and destroy see them again. Or put back a state you saved elsewhere.")


# ------------------------------------------------------------------------------ undeclared stacks


@dataclass
class Undeclared:
    """A stack with state that the app no longer synthesizes."""

    stack: str
    sandbox: str
    objects: Counter[str] = field(default_factory=Counter)

    def line(self) -> str:
        return f"`{self.stack}` (sandbox {self.sandbox or 'unknown'}): {describe(self.objects)}"


def sandbox_of_state(state: Mapping[str, Any]) -> str:
    """The sandbox a stack's state says it deployed to: its output, or an object's ``sandbox_name``."""
    output = (state.get("outputs") or {}).get(identity.SANDBOX_OUTPUT) or {}
    if isinstance(output.get("value"), str):
        return str(output["value"])
    for resource in state.get("resources") or []:
        for instance in resource.get("instances") or []:
            sandbox = (instance.get("attributes") or {}).get("sandbox_name")
            if isinstance(sandbox, str) and sandbox:
                return sandbox
    return ""


def undeclared(project: Path, backend: Backend, declared: Sequence[str] | None = None) -> list[Undeclared]:
    """Stacks that hold objects but that the last synthesis did not declare."""
    known = set(synthesized_stacks(project) if declared is None else declared)
    found = []
    for stack in backend.held_stacks(project):
        if stack in known:
            continue
        state = backend.read(project, stack) if backend.kind == "s3" else (
            _whole(backend.local_path(project, stack)) or {})
        counts = managed(state)
        if counts:
            found.append(Undeclared(stack, sandbox_of_state(state), counts))
    return found


def tombstone(project: Path, stack: str, sandbox: str) -> Path:
    """An empty configuration for an undeclared stack, beside the declared ones: its backend and a
    provider block like theirs in ``sandbox``; no resource, so applying or destroying it deletes
    what its state holds."""
    declared = [s for s in synthesized_stacks(project) if (stack_dir(project, s) / "cdk.tf.json").exists()]
    if not declared:
        raise StateError(f"{stack}: no synthesized stack to take the provider's settings from; run `{command('lock')}`")
    model = json.loads((stack_dir(project, declared[0]) / "cdk.tf.json").read_text())
    terraform = dict(model.get("terraform") or {})
    backend = dict(terraform.get("backend") or {})
    if "local" in backend:
        backend["local"] = {"path": str(Backend().local_path(project, stack))}
    elif "s3" in backend:
        s3 = dict(backend["s3"])
        s3["key"] = str(s3["key"]).rsplit("/", 1)[0] + f"/{stack}.tfstate"
        backend["s3"] = s3
    providers = model.get("provider") or {}
    blocks = [dict(block, sandbox_name=sandbox) for block in providers.get(identity.TYPE, [{}])][:1]
    for block in blocks:
        journal = str(block.get("ownership_journal") or "")
        if journal:
            block["ownership_journal"] = journal.replace(f"{declared[0]}.tfstate", f"{stack}.tfstate")
    doc = {"//": {"aep": f"tombstone of the undeclared stack {stack}: no resource, so apply or destroy deletes "
                         "what its state holds"},
           "terraform": dict(terraform, backend=backend), "provider": {identity.TYPE: blocks}}
    folder = stack_dir(project, stack)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cdk.tf.json").write_text(json.dumps(doc, indent=2) + "\n")
    lock = stack_dir(project, declared[0]) / ".terraform.lock.hcl"
    if lock.exists():
        shutil.copy2(lock, folder / ".terraform.lock.hcl")
    return folder


def forget(project: Path, backend: Backend, stack: str) -> str:
    """Stop managing an undeclared stack's objects: its state moves aside (no call to AEP; the objects
    stay). Its ownership journal stays too, so declaring the stack again adopts them back."""
    if stack in synthesized_stacks(project):
        raise StateError(f"{stack}: main.py declares it; remove it from main.py first (forget is for stacks "
                         "main.py no longer declares)")
    held = managed(backend.read(project, stack))
    stamp = time.strftime("%Y%m%dT%H%M%S")
    if backend.kind == "local":
        path = backend.local_path(project, stack)
        if not path.exists():
            raise StateError(f"{stack}: no state file {path.name}")
        path.rename(path.with_name(f"{path.name}.forgotten-{stamp}"))
        where = f"{path.name}.forgotten-{stamp}"
    else:
        client = backend.s3()
        key = f"{backend.prefix}/{stack}.tfstate"
        client.copy_object(Bucket=backend.bucket, Key=f"{key}.forgotten-{stamp}",
                           CopySource={"Bucket": backend.bucket, "Key": key})
        client.delete_object(Bucket=backend.bucket, Key=key)
        where = f"s3://{backend.bucket}/{key}.forgotten-{stamp}"
    return (f"{stack}: no longer managed ({describe(held)} stay in AEP, untouched); its state is kept as {where}, "
            "and declaring the stack again adopts its objects back")


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m aep_iac.states forget --project DIR STACK...`` (``make forget STACKS=...``)."""
    import argparse

    parser = argparse.ArgumentParser(description="Stop managing stacks main.py no longer declares (no call to AEP).")
    parser.add_argument("verb", choices=["forget"])
    parser.add_argument("--project", type=Path, default=Path.cwd())
    parser.add_argument("stacks", nargs="+")
    args = parser.parse_args(argv)
    backend = Backend.from_env(os.environ)
    code = 0
    for stack in [s for s in args.stacks if s != "*"] or []:
        try:
            print(forget(args.project.resolve(), backend, stack))
        except StateError as exc:
            print(f"forget: {exc}", file=sys.stderr)
            code = 1
    if not [s for s in args.stacks if s != "*"]:
        print("forget: name the stacks, e.g. make forget STACKS=s3-qa", file=sys.stderr)
        code = 1
    return code


if __name__ == "__main__":
    raise SystemExit(main())
