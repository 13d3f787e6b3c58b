"""The one liveness check the runner, the local AEP and the tests share."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from aep_iac.processes import process_alive, stat_fields


def test_a_running_process_is_alive_and_shows_its_parent() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert process_alive(child.pid)
        fields = stat_fields(child.pid)
        assert fields is not None and int(fields[1]) == os.getpid()
    finally:
        child.kill()
        child.wait()


def test_an_unreaped_child_is_not_alive_and_a_reaped_one_is_gone() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 10
    while (stat_fields(child.pid) or ["Z"])[0] != "Z" and time.monotonic() < deadline:
        time.sleep(0.02)
    assert (stat_fields(child.pid) or [""])[0] == "Z"
    assert not process_alive(child.pid)  # a zombie: ended, waiting to be reaped
    child.wait()
    assert not process_alive(child.pid)
    assert stat_fields(child.pid) is None
