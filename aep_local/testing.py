"""Start a real emulator process for tests of any part of the project.

    with LocalAep() as svc:
        headers = svc.auth_headers()
        requests.post(svc.flow_url + "/connections", json=..., headers=headers)

The server runs as `python -m aep_local` on a free port of 127.0.0.1 with a temporary
data directory, and exits by itself if the test process dies (`--parent-pid`).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlencode

import requests

FLOW_BASE = "/data/foundation/flowservice"
SCHEMA_REGISTRY_BASE = "/data/foundation/schemaregistry"
CATALOG_BASE = "/data/foundation/catalog"
DATA_PREP_BASE = "/data/foundation/conversion"
DEFAULT_CLIENT_ID = "local-client-id"
DEFAULT_CLIENT_SECRET = "local-client-secret"  # noqa: S105 - a fixture value, not a credential
DEFAULT_ORG_ID = "0123456789ABCDEF01234567@AdobeOrg"
DEFAULT_SCOPES = "openid,AdobeID,read_organizations,additional_info.projectedProductContext,session"


class LocalAep:
    """A managed `aep_local` subprocess: start, stop, kill -9, restart on the same port."""

    def __init__(self, *, data_dir: str | os.PathLike[str] | None = None,
                 args: list[str] | None = None, startup_timeout: float = 20.0,
                 max_lifetime: float | None = 3600.0, python: str | None = None) -> None:
        self._owned_dir = data_dir is None
        self.data_dir = Path(data_dir) if data_dir else Path(tempfile.mkdtemp(prefix="flowsvc-"))
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.args = list(args or [])
        self.startup_timeout = startup_timeout
        self.max_lifetime = max_lifetime
        self.python = python or sys.executable
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self._log_path = self.data_dir / "server.log"

    @classmethod
    def attach(cls, port: int) -> LocalAep:
        """A handle on a server started elsewhere (e.g. by `make demo`): requests only, no lifecycle."""
        handle = cls(data_dir=tempfile.mkdtemp(prefix="flowsvc-attach-"), max_lifetime=None)
        handle.port = port
        return handle

    # --- lifecycle -----------------------------------------------------------------------

    def start(self) -> LocalAep:
        if self.proc is not None and self.proc.poll() is None:
            raise RuntimeError("already running")
        ready = self.data_dir / "ready-url"
        ready.unlink(missing_ok=True)
        cmd = [self.python, "-m", "aep_local", "--host", "127.0.0.1",
               "--port", str(self.port), "--data", str(self.data_dir),
               "--parent-pid", str(os.getpid()), "--ready-file", str(ready), *self.args]
        if self.max_lifetime:
            cmd += ["--max-lifetime", str(self.max_lifetime)]
        env = dict(os.environ)
        log = open(self._log_path, "ab")
        try:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env,
                                         stdin=subprocess.DEVNULL)
        finally:
            log.close()
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if ready.exists():
                url = ready.read_text().strip()
                self.port = int(url.rsplit(":", 1)[1])
                return self
            if self.proc.poll() is not None:
                raise RuntimeError(f"aep_local exited with {self.proc.returncode}:\n"
                                   f"{self.log_tail()}")
            time.sleep(0.02)
        self.kill()
        raise RuntimeError(f"aep_local not ready after {self.startup_timeout}s:\n"
                           f"{self.log_tail()}")

    def stop(self, timeout: float = 10.0) -> None:
        """Graceful stop (SIGTERM), falling back to SIGKILL."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def kill(self) -> None:
        """`kill -9`: the durability test; nothing gets a chance to flush."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def restart(self, *, hard: bool = True) -> LocalAep:
        """Stop (kill -9 when `hard`) and start again on the same port and data directory."""
        if hard:
            self.kill()
        else:
            self.stop()
        return self.start()

    def close(self) -> None:
        self.stop()
        if self._owned_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> LocalAep:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self._log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    # --- addresses -----------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def flow_url(self) -> str:
        return self.url + FLOW_BASE

    @property
    def ims_url(self) -> str:
        return self.url

    @property
    def schema_registry_url(self) -> str:
        return self.url + SCHEMA_REGISTRY_BASE

    @property
    def catalog_url(self) -> str:
        return self.url + CATALOG_BASE

    @property
    def data_prep_url(self) -> str:
        return self.url + DATA_PREP_BASE

    # --- instrumentation -----------------------------------------------------------------

    def requests(self) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = self._local("GET", "requests")
        return entries

    def reset_requests(self) -> None:
        self._local("DELETE", "requests")

    def counters(self) -> dict[str, int]:
        counts: dict[str, int] = self._local("GET", "counters")
        return counts

    def set_faults(self, **settings: Any) -> dict[str, Any]:
        """E.g. `set_faults(script=["503", "commit-drop"])` or `set_faults(rate=0.3, seed=1)`."""
        return self._object(self._local("POST", "faults", settings))

    def clear_faults(self) -> dict[str, Any]:
        return self._object(self._local("DELETE", "faults"))

    def health(self) -> dict[str, Any]:
        return self._object(self._local("GET", "health"))

    def tick(self) -> list[str]:
        """Start due slots and execute waiting runs now; the ids of the runs executed."""
        runs: list[str] = self._object(self._local("POST", "scheduler/tick"))["runs"]
        return runs

    def advance(self, seconds: float) -> list[str]:
        """Move the scheduler's clock forward, executing every run due on the way (see the docs)."""
        runs: list[str] = self._object(self._local("POST", "scheduler/advance", {"seconds": seconds}))["runs"]
        return runs

    def catalog(self) -> dict[str, Any]:
        return self._object(self._local("GET", "catalog"))

    def add_to_catalog(self, document: dict[str, Any]) -> dict[str, Any]:
        """Merge `{"sandboxes": {name: {"schemas": [...], "fieldGroups": [...], "datasets": [...],
        "mappingSets": [...]}}}` into the seed (objects every org sees as existing)."""
        return self._object(self._local("POST", "catalog", document))

    def landed(self, dataset_id: str, *, sandbox: str = "prod", org_id: str = DEFAULT_ORG_ID) -> dict[str, Any]:
        """What runs landed in a dataset: `{"dataSetId", "batches", "recordCount", "failedRecordCount",
        "records"}` (the records each batch kept, in order)."""
        query = urlencode({"org": org_id, "sandbox": sandbox})
        return self._object(self._local("GET", f"datasets/{dataset_id}?{query}"))

    def wait_idle(self, timeout: float = 30.0, poll: float = 0.05) -> None:
        """Until no API request is being served: a killed client's requests still run to their end
        here (latency included), and are logged only then."""
        deadline = time.monotonic() + timeout
        while self.health().get("in_flight"):
            if time.monotonic() > deadline:
                raise TimeoutError(f"aep_local still serving requests after {timeout} s")
            time.sleep(poll)

    @staticmethod
    def _object(doc: Any) -> dict[str, Any]:
        if not isinstance(doc, dict):
            raise RuntimeError(f"aep_local answered {type(doc).__name__}, not an object")
        return doc

    # --- convenience for clients under test --------------------------------------------------

    def token(self, client_id: str = DEFAULT_CLIENT_ID, client_secret: str = DEFAULT_CLIENT_SECRET,
              scope: str = DEFAULT_SCOPES) -> str:
        resp = requests.post(self.url + "/ims/token/v3", timeout=10, data={
            "grant_type": "client_credentials", "client_id": client_id,
            "client_secret": client_secret, "scope": scope})
        resp.raise_for_status()
        return str(resp.json()["access_token"])

    def auth_headers(self, *, client_id: str = DEFAULT_CLIENT_ID,
                     client_secret: str = DEFAULT_CLIENT_SECRET, org_id: str = DEFAULT_ORG_ID,
                     sandbox: str | None = "prod") -> dict[str, str]:
        """Every header a Flow Service call needs, with a fresh token."""
        headers = {"Authorization": f"Bearer {self.token(client_id, client_secret)}",
                   "x-api-key": client_id, "x-gw-ims-org-id": org_id,
                   "Content-Type": "application/json"}
        if sandbox is not None:
            headers["x-sandbox-name"] = sandbox
        return headers

    def _local(self, method: str, name: str, body: Any = None) -> Any:
        resp = requests.request(method, f"{self.url}/__local/{name}", json=body, timeout=120)
        resp.raise_for_status()
        return resp.json() if resp.content else None
