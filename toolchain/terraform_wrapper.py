"""A stand-in for the ``terraform`` binary that makes an interrupted CDKTF command stop gracefully.

Why: cdktf-cli 0.21 runs terraform on a pseudo-terminal. On Ctrl-C it sends terraform one SIGINT
(Terraform's graceful stop: finish what is in flight, write state) and exits at once; closing the
pseudo-terminal then sends terraform SIGHUP, which kills it mid-stop. Creates the API committed
never reach the state. Named by ``TERRAFORM_BINARY_NAME``, this wrapper runs the real terraform in
a session of its own, where the pseudo-terminal's hang-up cannot reach it, and turns the first
SIGINT, SIGTERM, SIGHUP or SIGQUIT it receives into exactly one SIGINT for terraform; later ones
are ignored, because a second SIGINT makes Terraform exit without saving state.

Every run is recorded as JSON lines in ``$TF_RUN_LOG`` (when set): the runner
(:mod:`toolchain.cdk`) waits for runs still in flight after an interrupt and fails the command
when any of them failed, whatever the framework CLI's own exit status says.

Standard library only: it starts once per terraform call (cdktf makes about six per deploy).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

#: The real binary (default: the first ``terraform`` on PATH that is not this wrapper).
REAL_ENV = "TF_WRAPPED_BINARY"
#: Where runs are recorded, one JSON object per line.
LOG_ENV = "TF_RUN_LOG"
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)


def real_terraform(environ: dict[str, str] | os._Environ[str]) -> str:
    explicit = environ.get(REAL_ENV)
    if explicit:
        return explicit
    me = Path(sys.argv[0]).resolve()
    for folder in environ.get("PATH", "").split(os.pathsep):
        found = shutil.which("terraform", path=folder)
        if found and Path(found).resolve() != me:
            return found
    raise FileNotFoundError("terraform is not on PATH")


def record(event: dict[str, object]) -> None:
    """Append one line to $TF_RUN_LOG; a single small write with O_APPEND, so runs never interleave."""
    path = os.environ.get(LOG_ENV)
    if not path:
        return
    line = (json.dumps(event, separators=(",", ":")) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def run(args: Sequence[str]) -> int:
    binary = real_terraform(os.environ)
    child = subprocess.Popen([binary, *args], start_new_session=True)
    interrupted: list[int] = []

    def forward(signum: int, frame: FrameType | None) -> None:
        if not interrupted:
            interrupted.append(signum)
            try:
                child.send_signal(signal.SIGINT)
            except ProcessLookupError:
                pass

    for sig in FORWARDED:
        signal.signal(sig, forward)
    command = next((a for a in args if not a.startswith("-")), "")
    record({"event": "start", "pid": os.getpid(), "command": command, "args": list(args), "time": time.time()})
    code = child.wait()
    record({"event": "end", "pid": os.getpid(), "command": command, "args": list(args), "code": code,
            "interrupted": bool(interrupted), "time": time.time()})
    return code if code >= 0 else 128 - code


def main() -> None:
    try:
        sys.exit(run(sys.argv[1:]))
    except FileNotFoundError as exc:
        sys.stderr.write(f"terraform wrapper: {exc}\n")
        sys.exit(127)


if __name__ == "__main__":
    main()
