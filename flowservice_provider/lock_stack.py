"""Write a CDKTF stack's `.terraform.lock.hcl` from the project-local mirror.

Without that file `cdktf deploy` runs `terraform providers lock`, which ignores mirrors and asks
the provider's origin registry: offline it fails. `-fs-mirror` makes the same lock from the
mirror. cdktf's synth keeps the file, so this is done once per machine (and per stack dir).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from flowservice_provider.install import PLATFORM


def synth(project: Path, app_python: str = sys.executable) -> None:
    """Run the app directly: 5x faster than `cdktf synth`, and enough to write cdk.tf.json."""
    subprocess.run([app_python, "main.py"], cwd=project, check=True)


def lock(stack_dir: Path, mirror: Path, environ: Mapping[str, str] | None = None) -> Path:
    """Lock every provider the stack requires, from the mirror only."""
    env = dict(os.environ if environ is None else environ, CHECKPOINT_DISABLE="1")
    subprocess.run(
        ["terraform", "providers", "lock", f"-fs-mirror={mirror}", f"-platform={PLATFORM}"],
        cwd=stack_dir,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return stack_dir / ".terraform.lock.hcl"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, default=Path.cwd())
    parser.add_argument("--stack", required=True)
    parser.add_argument("--mirror", type=Path, default=None, help="default: PROJECT/.tf/mirror")
    args = parser.parse_args(argv)
    project = args.project.resolve()
    synth(project)
    path = lock(project / "cdktf.out" / "stacks" / args.stack, (args.mirror or project / ".tf" / "mirror").resolve())
    print(f"provider lock file: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
