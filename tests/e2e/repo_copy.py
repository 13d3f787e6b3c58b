"""A copy of this checkout in which `make` targets run for real, as a user or a CI job runs them.

The tracked files are copied; the installed parts (.venv, node_modules, the provider mirror and
CLI config, the set-up stamps) are shared with this checkout, so `make` sees set-up as done and the
copy's state, plan files and demo data stay in the copy.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from toolchain.project import ROOT, Run, base_environment, layered, run_command

SHARED = (".venv", "node_modules", ".tf")


def copy_checkout(folder: Path) -> Path:
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in tracked.decode().split("\0"):
        if not name or not (ROOT / name).exists():
            continue
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    for name in SHARED:
        (folder / name).symlink_to(ROOT / name)
    stamps = folder / ".stamps"
    shutil.copytree(ROOT / ".stamps", stamps)
    for stamp in stamps.iterdir():  # newer than the copied sources: make sees nothing to redo
        stamp.touch()
    return folder


def make(folder: Path, *args: str, env: Mapping[str, str | None] | None = None, timeout: float = 900) -> Run:
    """`make ARGS` in the copy, with the project's usual environment and no settings of ours."""
    environment = layered(base_environment(ROOT / ".tf" / "cli.tfrc"), env,
                          {"MAKEFLAGS": None, "PATH": os.environ["PATH"]})
    return run_command(["make", "--no-print-directory", *args], folder, environment, timeout)
