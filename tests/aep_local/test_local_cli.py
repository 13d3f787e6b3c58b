"""The command line: readiness line, free port, self-termination, concurrency."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from tests.aep_local.local_helpers import Api, s3_body

ROOT = Path(__file__).resolve().parents[2]


def _spawn(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "aep_local", "--port", "0",
                             "--data", str(tmp_path / "data"), *args],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_port_0_prints_the_url_and_max_lifetime_stops_it(tmp_path: Path) -> None:
    proc = _spawn(tmp_path, "--max-lifetime", "1.5", "--ready-file", str(tmp_path / "url"))
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line.startswith("listening on http://127.0.0.1:")
        url = line.removeprefix("listening on ")
        assert (tmp_path / "url").read_text().strip() == url
        assert requests.get(url + "/__local/health", timeout=5).json()["status"] == "ok"
        assert proc.wait(timeout=10) == 0
    finally:
        proc.kill()
        proc.wait()


def test_exits_when_parent_dies(tmp_path: Path) -> None:
    parent = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    proc = _spawn(tmp_path, "--parent-pid", str(parent.pid))
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith("listening on")
        time.sleep(0.3)
        assert proc.poll() is None
        parent.kill()
        parent.wait()
        assert proc.wait(timeout=10) == 0
    finally:
        parent.kill()
        proc.kill()
        proc.wait()


def test_parallel_patches_with_one_etag_exactly_one_wins(api: Api) -> None:
    created = api.create()

    def attempt(i: int) -> int:
        resp = requests.patch(api.url(f"/connections/{created['id']}"), timeout=10,
                              json=[{"op": "replace", "path": "/name", "value": f"w{i}"}],
                              headers={**api.headers, "If-Match": created["etag"]})
        return resp.status_code

    with ThreadPoolExecutor(10) as pool:
        statuses = list(pool.map(attempt, range(20)))
    assert statuses.count(200) == 1
    assert statuses.count(412) == 19


def test_parallel_creates_all_land(api: Api) -> None:
    def create(i: int) -> str:
        resp = requests.post(api.url("/connections"), json=s3_body(f"par-{i}"), headers=api.headers,
                             timeout=10)
        assert resp.status_code == 201
        return str(resp.json()["etag"])

    with ThreadPoolExecutor(10) as pool:
        etags = list(pool.map(create, range(30)))
    assert len(set(etags)) == 30


def test_every_flag_is_documented() -> None:
    """docs/local_aep.md lists every command-line flag, and no flag that does not exist."""
    from aep_local.__main__ import build_parser

    flags = {opt for action in build_parser()._actions for opt in action.option_strings
             if opt.startswith("--") and opt != "--help"}
    doc = (ROOT / "docs" / "local_aep.md").read_text()
    table = doc.split("### Every flag", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `(--[a-z0-9-]+)", table, re.MULTILINE))
    assert documented == flags
    assert "make local-aep PORT=" in doc


def test_flags_reach_the_server(tmp_path: Path) -> None:
    proc = _spawn(tmp_path, "--sandboxes", "dev", "--page-size", "1", "--fault-rate", "1",
                  "--fault-kinds", "429", "--retry-after", "9", "--fault-templates", "/connectionSpecs",
                  "--max-lifetime", "20")
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip().removeprefix("listening on ")
        assert requests.get(url + "/__local/health", timeout=5).json()["sandboxes"] == ["dev", "prod"]
        faults = requests.get(url + "/__local/faults", timeout=5).json()
        assert (faults["rate"], faults["kinds"], faults["retry_after"]) == (1.0, ["429"], 9)
        resp = requests.get(url + "/data/foundation/flowservice/connectionSpecs", timeout=5)
        assert resp.status_code == 429 and resp.headers["Retry-After"] == "9"
    finally:
        proc.terminate()
        proc.wait(10)
