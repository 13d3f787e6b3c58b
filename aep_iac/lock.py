"""Write a CDKTF stack's `.terraform.lock.hcl` from the project-local mirror.

Without that file `cdktf deploy` runs `terraform providers lock`, which ignores mirrors and asks
the provider's origin registry: offline it fails. `-fs-mirror` makes the same lock from the
mirror, for the platform the local Terraform runs on. cdktf's synth keeps the file, so this is
done once per machine (and per stack dir).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from aep_iac import localdemo
from aep_iac.mirror import PROVIDER_DIR, terraform_platform
from aep_spec import legacy


def synth(project: Path, app: str = "main.py", python: str = sys.executable,
          environ: Mapping[str, str] | None = None) -> None:
    """Run the app directly: 5x faster than `cdktf synth`, and enough to write cdk.tf.json.

    An app that refuses its declarations prints why and exits 1: that ends set-up here, cleanly.
    """
    done = subprocess.run([python, app], cwd=project, env=None if environ is None else dict(environ))
    if done.returncode != 0:
        raise SystemExit(done.returncode)


def prepare(project: Path, app: str = "main.py", stacks: Sequence[str] = (), mirror: Path | None = None,
            echo: bool = False) -> str | None:
    """Synthesize, then lock every stack from the mirror: `make lock`, and the plan's first step (it
    writes a failure into plan.md). None when done, else what the app or Terraform said."""
    done = subprocess.run([sys.executable, app], cwd=project, capture_output=True, text=True)
    sys.stdout.write(done.stdout)
    sys.stderr.write(done.stderr)
    if done.returncode != 0:
        return (done.stderr + done.stdout).strip() or f"{app} exited {done.returncode}"
    mirror = (mirror or project / PROVIDER_DIR / "mirror").resolve()
    try:
        platform = terraform_platform()
        for stack in selected_stacks(project, stacks):
            if (stack_dir(project, stack) / "cdk.tf.json").exists():
                path = lock(stack_dir(project, stack), mirror, platform=platform)
                if echo:
                    print(f"provider lock file: {path.relative_to(project)}")
    except subprocess.CalledProcessError as exc:
        failure = f"locking the provider from {mirror} failed: `{' '.join(map(str, exc.cmd))}` exited {exc.returncode}"
        print(failure, file=sys.stderr)
        return failure
    return None


LOCK_FILE = ".terraform.lock.hcl"


def drop_lock_entry(folder: Path, keep_guard: bool) -> bool:
    """Remove the 0.1.0 address's block from the folder's lock file (only the real 0.1.0 package's
    when ``keep_guard``); True when the file changed."""
    path = folder / LOCK_FILE
    if not path.exists():
        return False
    text = path.read_text()
    pattern = re.compile(r'(?ms)^provider "' + re.escape(legacy.SOURCE) + r'" \{\n(.*?)^\}\n\n?')
    kept = pattern.sub(
        lambda m: m.group(0) if keep_guard and f'version = "{legacy.GUARD_VERSION}"' in m.group(1) else "", text)
    if kept == text:
        return False
    path.write_text(kept.rstrip("\n") + "\n")
    return True


def lock(stack_dir: Path, mirror: Path, environ: Mapping[str, str] | None = None,
         platform: str | None = None) -> Path:
    """Lock every provider the stack requires, from the mirror only.

    A lock file of release 0.1.0 pins ``terraform.local/aep/flowservice`` 0.1.0, a package the
    mirror no longer has: that entry goes, so that init can install the guard a 0.1.0 state
    needs (``aep_spec.legacy``), which then names the migration step at plan.
    """
    drop_lock_entry(stack_dir, keep_guard=True)
    env = dict(os.environ if environ is None else environ, CHECKPOINT_DISABLE="1")
    subprocess.run(
        ["terraform", "providers", "lock", f"-fs-mirror={mirror}", f"-platform={platform or terraform_platform()}"],
        cwd=stack_dir,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return stack_dir / LOCK_FILE


#: Where the framework writes a synthesis, relative to the project.
OUT_DIR = "cdktf.out"


def stack_dir(project: Path, stack: str) -> Path:
    """The folder of one synthesized stack (its cdk.tf.json; Terraform runs there)."""
    return project / OUT_DIR / "stacks" / stack


def synthesized_stacks(project: Path) -> list[str]:
    """The stacks the last synth wrote (cdktf.out/manifest.json), in its order."""
    manifest = json.loads((project / OUT_DIR / "manifest.json").read_text())
    return list(manifest.get("stacks", {}))


def selected_stacks(project: Path, names: Sequence[str]) -> list[str]:
    """The stacks a command names, as names or patterns (``s3-prod*``: every stack of sandbox prod,
    however many hold it); ``*`` or none means every synthesized stack."""
    patterns = [name for name in names if name != "*"]
    if not patterns:
        return synthesized_stacks(project)
    known = synthesized_stacks(project)
    chosen = [s for s in known if any(fnmatch.fnmatchcase(s, p) for p in patterns)]
    return chosen + [p for p in patterns if not any(ch in p for ch in "*?[") and p not in known]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--project", type=Path, default=Path.cwd())
    parser.add_argument("--stack", action="append", default=None, help="stack name (repeatable; default: all)")
    parser.add_argument("--mirror", type=Path, default=None, help=f"default: PROJECT/{PROVIDER_DIR}/mirror")
    parser.add_argument("--app", default="main.py", help="the app file (default: main.py)")
    args = parser.parse_args(argv)
    project = args.project.resolve()
    localdemo.apply(project)  # after `make demo`, main.py synthesizes for the demo's Flow Service
    # A failure is printed as it happens: the app's blocks (one per problem), or Terraform's.
    return 0 if prepare(project, args.app, args.stack or [], args.mirror, echo=True) is None else 1


if __name__ == "__main__":
    raise SystemExit(main())
