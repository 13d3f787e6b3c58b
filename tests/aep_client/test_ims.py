"""IMS token cache: private files, reuse across clients and processes, expiry, corruption, 401."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from aep_client.ims import (
    Token,
    TokenCache,
    TokenProvider,
    cache_key,
    default_cache_dir,
    secret_fingerprint,
)
from tests.aep_client.scripted import (
    CLIENT_SECRET,
    TOKEN_PREFIX,
    FakeClock,
    Reply,
    TokenIssuer,
    make_config,
    make_harness,
    send_json,
)

ROOT = Path(__file__).resolve().parents[2]
OK = Reply(200, {"items": [{"id": "c1", "etag": '"e"'}]})


def cache_files(cache_dir: Path) -> list[Path]:
    return sorted(p for p in cache_dir.iterdir() if p.suffix == ".json")


def test_cache_file_is_private_and_holds_no_secret(cache_dir: Path) -> None:
    h = make_harness(cache_dir, OK)
    h.client.get_connection("c1")
    assert stat.S_IMODE(cache_dir.stat().st_mode) == 0o700
    (entry,) = cache_files(cache_dir)
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    text = entry.read_text()
    assert CLIENT_SECRET not in text and CLIENT_SECRET not in entry.name
    assert json.loads(text)["access_token"] == f"{TOKEN_PREFIX}1"
    assert [p.name for p in cache_dir.iterdir() if p.name.endswith(".tmp")] == []


def test_permissive_existing_directory_is_tightened(cache_dir: Path) -> None:
    cache_dir.mkdir()
    os.chmod(cache_dir, 0o755)  # noqa: S103 - the permissive state under test
    make_harness(cache_dir, OK).client.get_connection("c1")
    assert stat.S_IMODE(cache_dir.stat().st_mode) == 0o700


def test_token_is_reused_by_a_second_client(cache_dir: Path) -> None:
    first = make_harness(cache_dir, OK)
    first.client.get_connection("c1")
    second = make_harness(cache_dir, OK, clock=first.clock)
    second.client.get_connection("c1")
    assert first.issuer.count == 1 and second.issuer.count == 0
    assert second.flow.sent[0].headers["Authorization"] == f"Bearer {TOKEN_PREFIX}1"


def test_cache_is_keyed_by_secret_and_scopes(cache_dir: Path) -> None:
    make_harness(cache_dir, OK).client.get_connection("c1")
    other_secret = make_harness(cache_dir, OK, client_secret="another-secret-value")
    other_secret.client.get_connection("c1")
    other_scopes = make_harness(cache_dir, OK, scopes=["openid"])
    other_scopes.client.get_connection("c1")
    assert other_secret.issuer.count == 1 and other_scopes.issuer.count == 1
    assert len(cache_files(cache_dir)) == 3
    # Scope order does not matter; the fingerprint is a keyed hash, never the secret.
    assert cache_key(make_config(scopes=["a", "b"])) == cache_key(make_config(scopes=["b", "a"]))
    assert CLIENT_SECRET not in secret_fingerprint(make_config())


def test_expiring_token_is_refreshed(cache_dir: Path) -> None:
    clock = FakeClock()
    h = make_harness(cache_dir, OK, OK, OK, clock=clock)
    h.client.get_connection("c1")
    clock.wall += 86399 - 301  # still 301 s left: reuse
    h.client.get_connection("c1")
    assert h.issuer.count == 1
    clock.wall += 2  # under 5 minutes left: refresh
    h.client.get_connection("c1")
    assert h.issuer.count == 2
    assert json.loads(cache_files(cache_dir)[0].read_text())["access_token"] == f"{TOKEN_PREFIX}2"


def test_expired_cache_entry_from_another_process_is_not_used(cache_dir: Path) -> None:
    clock = FakeClock()
    make_harness(cache_dir, OK, clock=clock).client.get_connection("c1")
    clock.wall += 90000
    later = make_harness(cache_dir, OK, clock=clock)
    later.client.get_connection("c1")
    assert later.issuer.count == 1


def test_short_lived_tokens_refresh_at_half_life() -> None:
    token = Token("t", expires_at=1060.0, fetched_at=1000.0)
    assert token.is_fresh(1029.0) and not token.is_fresh(1031.0)


@pytest.mark.parametrize("content", [b"not json", b"{}", b'{"format": 1}', b"\xff\xfe", b'["list"]'])
def test_corrupt_cache_falls_back_to_fetching(cache_dir: Path, content: bytes) -> None:
    make_harness(cache_dir, OK).client.get_connection("c1")
    (entry,) = cache_files(cache_dir)
    entry.write_bytes(content)
    again = make_harness(cache_dir, OK)
    again.client.get_connection("c1")
    assert again.issuer.count == 1
    assert json.loads(entry.read_text())["access_token"] == f"{TOKEN_PREFIX}1"


def test_cache_file_readable_by_others_is_ignored(cache_dir: Path) -> None:
    make_harness(cache_dir, OK).client.get_connection("c1")
    (entry,) = cache_files(cache_dir)
    os.chmod(entry, 0o644)
    again = make_harness(cache_dir, OK)
    again.client.get_connection("c1")
    assert again.issuer.count == 1
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600  # replaced by a private file


def test_symlinked_cache_entry_is_not_followed(cache_dir: Path, tmp_path: Path) -> None:
    make_harness(cache_dir, OK).client.get_connection("c1")
    (entry,) = cache_files(cache_dir)
    target = tmp_path / "elsewhere.json"
    target.write_text(entry.read_text())
    os.chmod(target, 0o600)
    entry.unlink()
    entry.symlink_to(target)
    again = make_harness(cache_dir, OK)
    again.client.get_connection("c1")
    assert again.issuer.count == 1


def test_unusable_cache_dir_still_works(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    h = make_harness(blocker / "sub", OK)
    h.client.get_connection("c1")
    assert h.issuer.count == 1


def test_401_invalidates_the_shared_entry(cache_dir: Path) -> None:
    h = make_harness(cache_dir, Reply(401, {"error_code": "401013", "message": "Oauth token is not valid"}), OK)
    h.client.get_connection("c1")
    assert json.loads(cache_files(cache_dir)[0].read_text())["access_token"] == f"{TOKEN_PREFIX}2"
    # a new process picks up the refreshed token
    later = make_harness(cache_dir, OK, clock=h.clock)
    later.client.get_connection("c1")
    assert later.issuer.count == 0


def test_invalidate_keeps_a_newer_token_written_by_someone_else(cache_dir: Path) -> None:
    cfg = make_config()
    issuer = TokenIssuer()
    provider = TokenProvider(cfg, lambda url, form, deadline: (200, json.dumps(
        issuer(None).body).encode(), {}), cache_dir=cache_dir)  # type: ignore[arg-type, union-attr]
    old = provider.get_token()
    cache = TokenCache(cache_dir, cache_key(cfg))
    cache.write(Token("newer-token-from-elsewhere", time.time() + 3600, time.time()))
    provider.invalidate(old)
    assert provider.get_token() == "newer-token-from-elsewhere"
    assert issuer.count == 1


def test_threads_of_one_process_share_one_fetch(cache_dir: Path) -> None:
    cfg = make_config()
    calls = []

    def post_form(url, form, deadline):  # type: ignore[no-untyped-def]
        calls.append(1)
        time.sleep(0.2)
        return 200, b'{"access_token": "shared-token", "expires_in": 86399}', {}

    provider = TokenProvider(cfg, post_form, cache_dir=cache_dir)
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(provider.get_token())) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["shared-token"] * 8 and len(calls) == 1


def test_default_cache_dir_resolution(tmp_path: Path) -> None:
    assert default_cache_dir({"AEP_TOKEN_CACHE_DIR": str(tmp_path / "x")}) == tmp_path / "x"
    assert default_cache_dir({"XDG_CACHE_HOME": str(tmp_path)}) == tmp_path / "aep-provider"
    assert default_cache_dir({"XDG_CACHE_HOME": "relative"}) == Path.home() / ".cache" / "aep-provider"
    assert default_cache_dir({}) == Path.home() / ".cache" / "aep-provider"


def test_env_var_selects_the_cache_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AEP_TOKEN_CACHE_DIR", str(tmp_path / "from-env"))
    provider = TokenProvider(make_config(), lambda *a: (500, b"", {}))
    assert provider.cache is not None and provider.cache.directory == tmp_path / "from-env"


# -- several provider processes starting at once -------------------------------------------------

class _SlowIms(BaseHTTPRequestHandler):
    count = 0
    lock = threading.Lock()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with _SlowIms.lock:
            _SlowIms.count += 1
            n = _SlowIms.count
        time.sleep(0.5)
        send_json(self, json.dumps({"access_token": f"proc-token-{n}", "expires_in": 86399}).encode())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def slow_ims() -> Iterator[str]:
    _SlowIms.count = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SlowIms)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_four_processes_starting_together_make_one_token_request(slow_ims: str, cache_dir: Path) -> None:
    script = textwrap.dedent(f"""
        import sys
        from aep_client.config import FlowServiceConfig
        from aep_client.session import FlowServiceSession
        cfg = FlowServiceConfig(flow_service_url="http://127.0.0.1:9/x", ims_url={slow_ims!r},
                                client_id="cid", client_secret="secret-for-procs", org_id="o@AdobeOrg")
        session = FlowServiceSession(cfg, token_cache_dir={str(cache_dir)!r})
        print(session.tokens.get_token())
    """)
    env = dict(os.environ)
    procs = [subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env=env, cwd=ROOT) for _ in range(4)]
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err.decode()
        outputs.append(out.decode().strip())
    assert _SlowIms.count == 1
    assert outputs == ["proc-token-1"] * 4
