"""A stand-in for the ``terraform`` binary that makes an interrupted CDKTF command stop gracefully.

Why: cdktf-cli 0.21 runs terraform on a pseudo-terminal. On Ctrl-C it sends terraform one SIGINT
(Terraform's graceful stop: finish what is in flight, write state) and exits at once; closing the
pseudo-terminal then sends terraform SIGHUP, which kills it mid-stop. Creates the API committed
never reach the state. Named by ``TERRAFORM_BINARY_NAME``, this wrapper runs the real terraform in
a session of its own, where the pseudo-terminal's hang-up cannot reach it, and turns the first
SIGINT, SIGTERM, SIGHUP or SIGQUIT it receives into exactly one SIGINT for terraform; later ones
are ignored, because a second SIGINT makes Terraform exit without saving state.

Every run is recorded as JSON lines in ``$TF_RUN_LOG`` (when set): the runner
(:mod:`aep_iac.cdk`) waits for runs still in flight after an interrupt and fails the command
when any of them failed, whatever the framework CLI's own exit status says.

With a lock timeout (``-lock-timeout``), Terraform still gives up when the lock it lost is
released before it reads who held it (the holder's lock file is gone: no "Lock Info"). Nothing was
done then, so the wrapper runs the same command again, a few times at most; for that (and only
when a lock timeout is set) it reads terraform's standard error on the way through.

Standard library only: it starts once per terraform call (cdktf makes about six per deploy).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from io import BufferedReader
from itertools import pairwise
from pathlib import Path
from types import FrameType
from typing import BinaryIO

#: The real binary (default: the first ``terraform`` on PATH that is not this wrapper).
REAL_ENV = "TF_WRAPPED_BINARY"
#: Where runs are recorded, one JSON object per line.
LOG_ENV = "TF_RUN_LOG"
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)
#: Runs of one command after Terraform lost the race for a lock that was being released.
LOCK_RACE_ATTEMPTS = 4
#: How much of terraform's standard error is kept to recognise that race.
STDERR_TAIL = 16 * 1024


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


def lock_timeout_set(args: Sequence[str], command: str, environ: Mapping[str, str]) -> bool:
    """Whether this run waits for a held lock (the flag may come from ``TF_CLI_ARGS[_<command>]``)."""
    words = [*args, *environ.get("TF_CLI_ARGS", "").split(), *environ.get(f"TF_CLI_ARGS_{command}", "").split()]
    values = [w.split("=", 1)[1] if "=" in w else nxt for w, nxt in pairwise([*words, ""])
              if w.lstrip("-") == "lock-timeout" or w.lstrip("-").startswith("lock-timeout=")]
    return any(v not in ("", "0", "0s") for v in values)


def lost_lock_race(stderr_tail: bytes) -> bool:
    """Terraform's lock error without the holder's lock info: the conditional write failed because
    the lock was held, and the lock was gone when Terraform read it (S3 lock file or DynamoDB item)."""
    text = " ".join(stderr_tail.decode("utf-8", "replace").split())
    return ("Error acquiring the state lock" in text and "Lock Info:" not in text
            and ("PreconditionFailed" in text or "ConditionalCheckFailed" in text))


def relay(source: BufferedReader, sink: BinaryIO, tail: bytearray) -> None:
    """Copy one of terraform's output streams to ours, keeping its end. Reading never stops before
    the end: a full pipe would block terraform, even after our own terminal is gone."""
    while chunk := source.read1(65536):
        tail.extend(chunk)
        del tail[:-STDERR_TAIL]
        try:
            sink.write(chunk)
            sink.flush()
        except (OSError, ValueError):
            pass


def run(args: Sequence[str]) -> int:
    binary = real_terraform(os.environ)
    command = next((a for a in args if not a.startswith("-")), "")
    interrupted: list[int] = []
    current: list[subprocess.Popen[bytes]] = []

    def forward(signum: int, frame: FrameType | None) -> None:
        if not interrupted:
            interrupted.append(signum)
            try:
                current[-1].send_signal(signal.SIGINT)
            except (ProcessLookupError, IndexError):
                pass

    for sig in FORWARDED:
        signal.signal(sig, forward)
    record({"event": "start", "pid": os.getpid(), "command": command, "args": list(args), "time": time.time()})
    retry_races = lock_timeout_set(args, command, os.environ)
    attempt = 0
    while True:
        attempt += 1
        # Terraform's output passes through us only when a retry may need to read it: its standard
        # error, and with -json its standard output (where the diagnostics then go).
        child = subprocess.Popen([binary, *args], start_new_session=True,
                                 stdout=subprocess.PIPE if retry_races and "-json" in args else None,
                                 stderr=subprocess.PIPE if retry_races else None)
        current.append(child)
        tails: list[bytearray] = []
        relaying = []
        for source, sink in ((child.stdout, sys.stdout.buffer), (child.stderr, sys.stderr.buffer)):
            if isinstance(source, BufferedReader):
                tails.append(bytearray())
                relaying.append(threading.Thread(target=relay, args=(source, sink, tails[-1]), daemon=True))
                relaying[-1].start()
        code = child.wait()
        for thread in relaying:
            thread.join()
        again = (retry_races and attempt < LOCK_RACE_ATTEMPTS
                 and any(lost_lock_race(bytes(tail)) for tail in tails))
        if code == 0 or interrupted or not again:
            break
        sys.stderr.write(f"terraform wrapper: the state lock was released while terraform {command} "
                         "read it; running it again\n")
    record({"event": "end", "pid": os.getpid(), "command": command, "args": list(args), "code": code,
            "interrupted": bool(interrupted), "attempts": attempt, "time": time.time()})
    return code if code >= 0 else 128 - code


def main() -> None:
    try:
        sys.exit(run(sys.argv[1:]))
    except FileNotFoundError as exc:
        sys.stderr.write(f"terraform wrapper: {exc}\n")
        sys.exit(127)


if __name__ == "__main__":
    main()
