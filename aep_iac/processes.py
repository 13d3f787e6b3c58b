"""Whether a process still runs, from its pid: the runner waits on Terraform with it, the local
Flow Service watches its parent with it, and the tests find a deploy's processes the same way.

Standard library only (the local AEP imports it on start-up).
"""

from __future__ import annotations

import os
from pathlib import Path


def stat_fields(pid: int) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command name (state, ppid, ...); None without one."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def process_alive(pid: int) -> bool:
    """Is ``pid`` running? A zombie (ended, not yet reaped) is not."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    fields = stat_fields(pid)
    return fields is None or fields[0] != "Z"  # no /proc (macOS): os.kill said it exists
