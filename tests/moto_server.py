"""A moto S3/IAM server in a subprocess on 127.0.0.1: the connectivity tests check credentials against
it, the team-workflow tests keep Terraform state in it.

The subprocess binds port 0 itself (no race for a free port), reports the port through a file,
and stops on its own when the test process is gone or after `max_lifetime` seconds, so a killed
pytest never leaves it behind. `enforce_auth()` switches moto's IAM checks on after set-up, so
wrong keys, bad signatures and missing permissions are answered as AWS would.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

import requests

# Runs in the child: moto's WSGI app behind werkzeug on port 0, plus a watchdog thread.
_CHILD = r"""
import os, sys, threading, time
from pathlib import Path
from werkzeug.serving import make_server
from moto.server import DomainDispatcherApplication, create_backend_app

parent, lifetime, ready = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
server = make_server("127.0.0.1", 0, DomainDispatcherApplication(create_backend_app), threaded=True)
os.environ["MOTO_PORT"] = str(server.port)

def watchdog():
    deadline = time.monotonic() + lifetime
    while time.monotonic() < deadline:
        try:
            os.kill(parent, 0)
        except ProcessLookupError:
            break
        if os.getppid() != parent:
            break
        time.sleep(0.3)
    server.shutdown()

threading.Thread(target=watchdog, daemon=True).start()
Path(ready + ".tmp").write_text(str(server.port))
os.replace(ready + ".tmp", ready)
server.serve_forever()
"""


class MotoServer:
    """`with MotoServer() as moto: boto3.client("s3", endpoint_url=moto.url, ...)`."""

    def __init__(self, max_lifetime: float = 300.0) -> None:
        self.max_lifetime = max_lifetime
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self._dir = tempfile.TemporaryDirectory(prefix="moto-")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> MotoServer:
        ready = Path(self._dir.name) / "port"
        log = open(Path(self._dir.name) / "moto.log", "wb")
        env = {**os.environ, "AWS_ACCESS_KEY_ID": "setup", "AWS_SECRET_ACCESS_KEY": "setup",
               "MOTO_ALLOW_NONEXISTENT_REGION": "true"}
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", _CHILD, str(os.getpid()), str(self.max_lifetime), str(ready)],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
        finally:
            log.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if ready.exists():
                self.port = int(ready.read_text())
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("moto server did not start:\n" + self.log_tail())

    def enforce_auth(self) -> None:
        """From now on every request must be signed by a known IAM key with the permission."""
        requests.post(f"{self.url}/moto-api/reset-auth", data=b"0", timeout=10).raise_for_status()

    def log_tail(self) -> str:
        try:
            return (Path(self._dir.name) / "moto.log").read_text(errors="replace")[-3000:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def __enter__(self) -> MotoServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
        self._dir.cleanup()
