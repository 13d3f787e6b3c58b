"""The command line: readiness line, free port, self-termination, concurrency."""

from __future__ import annotations

import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from lfs_helpers import Api, s3_body

ROOT = Path(__file__).resolve().parents[2]


def _spawn(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "local_flowservice", "--port", "0",
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
