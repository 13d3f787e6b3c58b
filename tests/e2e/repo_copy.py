"""A copy of this checkout in which `make` targets run for real, as a user or a CI job runs them.

The tracked files (and new ones git does not ignore) are copied; the installed parts (.venv,
node_modules, the provider mirror and CLI config, the set-up stamps) are shared with this checkout,
so `make` sees set-up as done and the copy's state, plan files and demo data stay in the copy.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from aep_iac.project import ROOT, Run, base_environment, layered, run_command

SHARED = (".venv", "node_modules", ".aep")


def checkout_files() -> list[str]:
    """This checkout's files as a commit of it would hold them: tracked, and new but not ignored."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True).stdout
    return [name for name in listed.decode().split("\0") if name and (ROOT / name).is_file()]


def copy_files(folder: Path, keep_times: bool = True) -> None:
    """This checkout's files into ``folder``; without ``keep_times`` they are new, as a pull writes them."""
    for name in checkout_files():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copy2 if keep_times else shutil.copy)(ROOT / name, target)


def copy_checkout(folder: Path) -> Path:
    copy_files(folder)
    for name in SHARED:
        (folder / name).symlink_to(ROOT / name)
    stamps = folder / ".stamps"
    shutil.copytree(ROOT / ".stamps", stamps)
    now = time.time()
    for stamp in stamps.iterdir():  # newer than the copied sources, and all of one time: make sees
        os.utime(stamp, (now, now))  # nothing to redo (never a venv rebuilt into the shared .venv)
    return folder


def make_environment(env: Mapping[str, str | None] | None = None) -> dict[str, str]:
    """The project's usual environment, with no settings of ours (AEP_*, TF_VAR_*), plus ``env``."""
    return layered(base_environment(ROOT / ".aep" / "cli.tfrc"), env, {"MAKEFLAGS": None, "PATH": os.environ["PATH"]})


def make(folder: Path, *args: str, env: Mapping[str, str | None] | None = None, timeout: float = 900) -> Run:
    """`make ARGS` in the copy, as a user runs it."""
    return run_command(["make", "--no-print-directory", *args], folder, make_environment(env), timeout)


def plan_script(folder: Path, *stacks: str, env: Mapping[str, str | None] | None = None,
                timeout: float = 900) -> Run:
    """`scripts/plan [STACK...]` in the copy, as a user or the CI workflow runs it."""
    return run_command([str(folder / "scripts" / "plan"), *stacks], folder, make_environment(env), timeout)


@contextmanager
def after_demo(repo: Path, port: int) -> Iterator[tuple[Path, int]]:
    """`make demo` on ``port`` in the copy ``repo``; its local AEP is stopped when the block ends."""
    try:
        done = make(repo, "demo", f"PORT={port}")
        assert done.returncode == 0, done.output[-3000:]
        yield repo, port
    finally:
        make(repo, "local-aep-stop")
