"""A stand-in provider for the warm server's tests: ``WARM_PROBE`` says what it does.

* ``report``: print one JSON line (pid, parent, cwd, argv, umask, environment, stdin), write a line
  to stderr, exit with ``WARM_PROBE_EXIT`` (default 0);
* ``wait``: print ``ready <pid> <ppid>``, then ``signal <n>`` for each signal received; SIGTERM
  ends it (exit 0); gives up after 60 s (exit 3);
* ``kill``: kill itself with SIGUSR2 (its default action: the process ends by that signal).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time


def _print(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main() -> None:
    mode = os.environ.get("WARM_PROBE", "report")
    if mode == "kill":
        os.kill(os.getpid(), signal.SIGUSR2)
        time.sleep(10)
    if mode == "wait":
        done = threading.Event()

        def seen(signum: int, frame: object) -> None:
            _print(f"signal {signum}")
            if signum == signal.SIGTERM:
                done.set()

        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1):
            signal.signal(signum, seen)
        _print(f"ready {os.getpid()} {os.getppid()}")
        sys.exit(0 if done.wait(60) else 3)
    mask = os.umask(0)
    os.umask(mask)
    env = {os.fsdecode(k): os.fsdecode(v) for k, v in os.environb.items()}
    _print(json.dumps({"pid": os.getpid(), "ppid": os.getppid(), "cwd": os.getcwd(), "argv": sys.argv[1:],
                       "umask": mask, "env": env, "stdin": sys.stdin.read()}))
    sys.stderr.write("probe stderr\n")
    sys.exit(int(os.environ.get("WARM_PROBE_EXIT", "0")))


def start_thread() -> None:
    """A preload that leaves a thread running: a server must refuse to fork from that."""
    threading.Thread(target=time.sleep, args=(30,), daemon=True).start()
