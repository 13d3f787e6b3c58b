"""Start the local AEP in the background for the demo, or stop it (``aep-iac local-aep start|stop``;
``aep-iac demo`` starts it; ``make demo`` and ``make local-aep-start|stop`` here run the same).

It runs with its local S3 API (`--local-s3`: sample order exports and CRM snapshots in the buckets
main.py names), so exploring a bucket and a dataflow's runs read real objects.

`start` is idempotent: a server already answering on the pid file's process is reused, so
running the demo twice keeps the same data and the same server. A port another program holds is
reported as such, with what to do. The server stops by itself after `--max-lifetime` seconds.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from aep_iac.processes import process_alive
from aep_spec.commands import command

#: Its files in the project's run folder: the server's pid, its URL once it listens, its log.
PID_FILE, URL_FILE, LOG_FILE = "local-aep.pid", "local-aep.url", "local-aep.log"
#: It stops by itself after this many seconds (8 hours), whatever happens to the shell that started it.
LIFETIME_SECONDS = 8 * 3600.0


def _healthy(url: str) -> bool:
    try:
        return requests.get(f"{url}/__local/health", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _port_taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def start(port: int, data: Path, run_dir: Path, sandboxes: str, lifetime: float = LIFETIME_SECONDS) -> int:
    """Start it (or reuse the one already running for this project on ``port``); 0 once it listens."""
    run_dir.mkdir(parents=True, exist_ok=True)
    pid_file, url_file, log_file = run_dir / PID_FILE, run_dir / URL_FILE, run_dir / LOG_FILE
    if pid_file.exists() and url_file.exists():
        pid, url = int(pid_file.read_text()), url_file.read_text().strip()
        if process_alive(pid) and _healthy(url):
            if url.endswith(f":{port}"):
                print(f"local AEP already running at {url} (pid {pid})")
                return 0
            print(f"the local AEP of this project runs at {url} (pid {pid}), not on port {port}: "
                  f"stop it first with `{command('local-aep stop')}`", file=sys.stderr)
            return 1
    if _port_taken(port):
        print(f"port {port} on 127.0.0.1 is already in use by another program. Choose a free port, e.g. "
              f"`{command('demo', port=port + 1)}`, or stop what listens on {port}.", file=sys.stderr)
        return 1
    url_file.unlink(missing_ok=True)
    with open(log_file, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "aep_local", "--host", "127.0.0.1", "--port", str(port),
             "--data", str(data), "--ready-file", str(url_file), "--sandboxes", sandboxes,
             "--max-lifetime", str(lifetime), "--local-s3"],
            cwd=run_dir, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
        )
    pid_file.write_text(str(process.pid))
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            print(f"local AEP exited with {process.returncode}; see {log_file}", file=sys.stderr)
            return 1
        if url_file.exists() and url_file.read_text().strip():
            print(f"local AEP started at {url_file.read_text().strip()} (pid {process.pid}, data {data})")
            return 0
        time.sleep(0.05)
    print(f"local AEP did not become ready in 15 s; its log: {log_file}", file=sys.stderr)
    return 1


def stop(run_dir: Path) -> int:
    """Stop the one this project started (its pid file says which); nothing else is touched."""
    pid_file = run_dir / PID_FILE
    if not pid_file.exists():
        print("local AEP is not running (no pid file)")
        return 0
    pid = int(pid_file.read_text())
    if process_alive(pid):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while process_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
    pid_file.unlink(missing_ok=True)
    (run_dir / URL_FILE).unlink(missing_ok=True)
    print(f"local AEP stopped (pid {pid})")
    return 0
