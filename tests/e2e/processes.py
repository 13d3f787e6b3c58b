"""Finding the processes of a running deploy (Linux /proc): terraform and the provider, to kill them."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from aep_iac.processes import stat_fields


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = stat_fields(int(entry.name))
        if fields is not None:
            tree.setdefault(int(fields[1]), []).append(int(entry.name))
    return tree


def descendants(root: int) -> list[int]:
    tree, found, todo = _children(), [], [root]
    while todo:
        pid = todo.pop()
        for child in tree.get(pid, []):
            found.append(child)
            todo.append(child)
    return found


def command_line(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def find(root: int, match: Callable[[list[str]], bool]) -> list[int]:
    """Descendants of ``root`` whose command line ``match`` accepts."""
    return [pid for pid in descendants(root) if match(command_line(pid))]


def is_terraform_apply(argv: list[str]) -> bool:
    return bool(argv) and os.path.basename(argv[0]) == "terraform" and "apply" in argv[1:3]


def is_provider(argv: list[str]) -> bool:
    return any("terraform-provider-aep" in part for part in argv[:2])


def wait_for(condition: Callable[[], bool], timeout: float, what: str, poll: float = 0.05) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(poll)
