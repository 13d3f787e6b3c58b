"""The warm provider server and the launcher: real processes, the launcher as Terraform runs it.

The launcher is the mirror's executable (``aep_iac.mirror.launcher_script``) running either the
probe (``warm_probe.py``) or the real provider; the server is ``warm_provider``'s.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import grpc
import pytest

from aep_iac.mirror import launcher_script
from aep_provider.protocol import plugin
from aep_provider.protocol.warm import ENV_VAR, SERVER_ENV, warm_provider

PROBE = "tests.protocol.warm_probe:main"
TIMEOUT = 30


@pytest.fixture
def run_dir() -> Iterator[Path]:
    # Short: the socket path must fit a unix socket (pytest's own folders may not, under xdist).
    folder = Path(tempfile.mkdtemp(prefix="wt-"))
    yield folder
    for path in sorted(folder.rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    folder.rmdir()


@pytest.fixture
def warm(run_dir: Path) -> Iterator[dict[str, str]]:
    with warm_provider(run_dir) as env:
        assert env, (run_dir / "warm-provider.log").read_text()
        yield env


def _launcher(folder: Path, entry: str = PROBE) -> Path:
    path = folder / f"launcher-{entry.partition(':')[0].rsplit('.', 1)[-1]}"
    path.write_text(launcher_script(Path(sys.executable), entry))
    path.chmod(0o755)
    return path


def _server_pid(run_dir: Path) -> int:
    match = re.search(r"warm provider server (\d+): listening", (run_dir / "warm-provider.log").read_text())
    assert match, (run_dir / "warm-provider.log").read_text()
    return int(match.group(1))


def _env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != ENV_VAR and not k.startswith(("TF_", "PLUGIN_"))}
    return {**env, **extra}


def _report(proc: subprocess.CompletedProcess[str]) -> dict[str, object]:
    report: dict[str, object] = json.loads(proc.stdout.splitlines()[0])
    return report


def _probe(launcher: Path, env: Mapping[Any, Any], args: Sequence[str] = (),
           **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(launcher), *args], env=env, capture_output=True, text=True, timeout=TIMEOUT,
                          check=False, **kwargs)


def _gone(pid: int, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


@contextlib.contextmanager
def _running(launcher: Path, env: dict[str, str]) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """A waiting probe (``ready`` line read); killed at the end if still there."""
    proc = subprocess.Popen([str(launcher)], env={**env, "WARM_PROBE": "wait"}, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        yield proc, proc.stdout.readline()
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=TIMEOUT)


# ------------------------------------------------------------------------ the hand-over


def test_the_child_gets_the_launchers_descriptors_environment_cwd_argv_umask_and_exit_code(
        run_dir: Path, warm: dict[str, str]) -> None:
    launcher = _launcher(run_dir)
    cwd = run_dir / "work dir"
    cwd.mkdir()
    stdin = run_dir / "stdin.txt"
    stdin.write_text("what the launcher reads\n")
    env = _env({**warm, "WARM_PROBE": "report", "WARM_PROBE_EXIT": "7", "PROBE_VALUE": "ä = b"})
    env_bytes = {os.fsencode(k): os.fsencode(v) for k, v in env.items()} | {b"PROBE_RAW": b"\xff\xfe raw"}
    with stdin.open() as source:
        proc = _probe(launcher, env_bytes, ["--flag", "x y"], cwd=cwd, stdin=source, umask=0o027)
    assert proc.returncode == 7, proc.stderr
    report = _report(proc)
    assert report["ppid"] == _server_pid(run_dir)  # forked by the server
    assert report["cwd"] == str(cwd) and report["argv"] == ["--flag", "x y"] and report["umask"] == 0o027
    assert report["stdin"] == "what the launcher reads\n"
    assert report["env"] == {os.fsdecode(k): os.fsdecode(v) for k, v in env_bytes.items()}  # exactly, bytes and all
    assert proc.stderr == "probe stderr\n"


def test_each_child_sees_its_own_environment_and_the_server_none(run_dir: Path, warm: dict[str, str]) -> None:
    launcher = _launcher(run_dir)
    first = _probe(launcher, _env({**warm, "AEP_CLIENT_SECRET": "secret-of-stack-one"}))
    second = _probe(launcher, _env({**warm, "AEP_SANDBOX_NAME": "stage"}))
    one, two = _report(first)["env"], _report(second)["env"]
    assert isinstance(one, dict) and isinstance(two, dict)
    assert one["AEP_CLIENT_SECRET"] == "secret-of-stack-one" and "AEP_SANDBOX_NAME" not in one
    assert two["AEP_SANDBOX_NAME"] == "stage" and "AEP_CLIENT_SECRET" not in two
    server_env = Path(f"/proc/{_server_pid(run_dir)}/environ").read_bytes()
    names = {item.partition(b"=")[0].decode() for item in server_env.split(b"\0") if item}
    assert all(name in SERVER_ENV or name.startswith("PYTHON") for name in names), names
    assert b"secret-of-stack-one" not in server_env


def test_a_child_killed_by_a_signal_kills_its_launcher_with_it(run_dir: Path, warm: dict[str, str]) -> None:
    proc = _probe(_launcher(run_dir), _env({**warm, "WARM_PROBE": "kill"}))
    assert proc.returncode == -signal.SIGUSR2


def test_a_warm_launch_loads_nothing_heavy(run_dir: Path, warm: dict[str, str]) -> None:
    """What the launcher imports before the hand-over (Python reports each import on stderr)."""
    proc = _probe(_launcher(run_dir), _env({**warm, "PYTHONPROFILEIMPORTTIME": "1"}))
    assert proc.returncode == 0
    loaded = {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}
    assert "aep_provider.protocol.launch" in loaded
    heavy = {"typing", "enum", "socket", "signal", "json", "re", "grpc", "aep_provider.protocol.plugin"}
    assert not loaded & heavy, sorted(loaded)


# ------------------------------------------------------------------------ without a server


def _runs_in_the_launcher(run_dir: Path, env: dict[str, str]) -> None:
    env = _env({**env, "WARM_PROBE": "report", "WARM_PROBE_EXIT": "5"})
    proc = subprocess.Popen([str(_launcher(run_dir))], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True)
    out, err = proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == 5, err
    report = json.loads(out)
    assert report["pid"] == proc.pid and report["ppid"] == os.getpid()
    assert err == "probe stderr\n"


def test_without_the_variable_the_provider_runs_in_the_launcher(run_dir: Path) -> None:
    _runs_in_the_launcher(run_dir, {})


def test_a_missing_socket_means_a_cold_start(run_dir: Path) -> None:
    _runs_in_the_launcher(run_dir, {ENV_VAR: str(run_dir / "no-such.sock")})


def test_a_dead_server_means_a_cold_start(run_dir: Path) -> None:
    path = run_dir / "dead.sock"
    with socket.socket(socket.AF_UNIX) as dead:
        dead.bind(str(path))  # the file stays, nobody listens: what a killed server leaves
    _runs_in_the_launcher(run_dir, {ENV_VAR: str(path)})


def test_a_server_that_never_says_hello_means_a_cold_start(run_dir: Path) -> None:
    path = run_dir / "stuck.sock"
    with socket.socket(socket.AF_UNIX) as stuck:
        stuck.bind(str(path))
        stuck.listen(4)  # connections queue, nobody answers
        started = time.monotonic()
        _runs_in_the_launcher(run_dir, {ENV_VAR: str(path)})
    assert time.monotonic() - started < 15


# ------------------------------------------------------------------------ lifecycle


def test_the_child_dies_with_its_launcher(run_dir: Path, warm: dict[str, str]) -> None:
    with _running(_launcher(run_dir), _env(warm)) as (proc, ready):
        _, child, parent = ready.split()
        assert int(parent) == _server_pid(run_dir)
        proc.kill()  # what Terraform does to a plugin that does not stop
        assert _gone(int(child), 5)


def test_signals_reach_the_child_and_sigterm_ends_it(run_dir: Path, warm: dict[str, str]) -> None:
    with _running(_launcher(run_dir), _env(warm)) as (proc, ready):
        assert ready.startswith("ready")
        assert proc.stdout is not None
        for signum in (signal.SIGUSR1, signal.SIGHUP, signal.SIGINT, signal.SIGTERM):
            proc.send_signal(signum)
            assert proc.stdout.readline() == f"signal {signum}\n"
        assert proc.wait(timeout=TIMEOUT) == 0


def test_when_terraform_goes_away_the_child_gets_sigterm(run_dir: Path, warm: dict[str, str]) -> None:
    out = run_dir / "out.txt"
    # A stand-in for Terraform: starts the launcher, waits for the provider to be up, then dies without
    # a word (as a killed Terraform would). The launcher lives on, reparented.
    code = ("import pathlib, subprocess, sys, time\n"
            f"out = pathlib.Path({str(out)!r})\n"
            "p = subprocess.Popen([sys.argv[1]], stdout=out.open('w'), stderr=subprocess.DEVNULL,\n"
            "                     stdin=subprocess.DEVNULL)\n"
            "while not out.read_text(): time.sleep(0.02)\n"
            "print(p.pid)\n")
    middle = subprocess.run([sys.executable, "-c", code, str(_launcher(run_dir))],
                            env=_env({**warm, "WARM_PROBE": "wait"}), capture_output=True, text=True,
                            timeout=TIMEOUT, check=True)
    launcher = int(middle.stdout)
    try:
        assert _gone(launcher, 10)
        lines = out.read_text().splitlines()
        assert lines[0].startswith("ready") and lines[1:] == [f"signal {signal.SIGTERM}"]
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(launcher, signal.SIGKILL)


def test_a_stopped_server_lets_its_children_finish_and_new_launches_start_cold(run_dir: Path) -> None:
    launcher = _launcher(run_dir)
    with contextlib.ExitStack() as server_scope:
        env = server_scope.enter_context(warm_provider(run_dir))
        server = _server_pid(run_dir)
        with _running(launcher, _env(env)) as (proc, _):
            closing = threading.Thread(target=server_scope.close)  # the deploy runner leaves its `with` block
            closing.start()
            deadline = time.monotonic() + 10
            while Path(env[ENV_VAR]).exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            assert not Path(env[ENV_VAR]).exists() and not _gone(server, 0)  # stopped accepting, still serving
            _runs_in_the_launcher(run_dir, env)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=TIMEOUT) == 0  # its status still came from the server
        closing.join(TIMEOUT)
        assert _gone(server, 5)
    assert "stopped accepting (signal 15) after 1 provider processes; 1 still running" in (
        run_dir / "warm-provider.log").read_text()


def _server(run_dir: Path, *args: str) -> subprocess.Popen[bytes]:
    """A bare server (preloading nothing) on ``run_dir/s.sock``, its log in ``run_dir/server.log``."""
    with (run_dir / "server.log").open("ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "aep_provider.protocol.warm", "--socket",
                                 str(run_dir / "s.sock"), "--preload", "os:getpid", *args],
                                stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL)
    assert proc.stdout is not None
    with proc.stdout:
        assert proc.stdout.readline().startswith(b"ready")
    return proc


def test_the_server_stops_when_its_parent_goes_away_or_its_lifetime_ends(run_dir: Path) -> None:
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        orphaned = _server(run_dir, "--parent", str(sleeper.pid))
        sleeper.kill()
        sleeper.wait()
        assert orphaned.wait(timeout=10) == 0
        assert not (run_dir / "s.sock").exists()
        short = _server(run_dir, "--lifetime", "0.5")
        assert short.wait(timeout=10) == 0
        log = (run_dir / "server.log").read_text()
        assert "the process that started us is gone" in log and "lifetime over" in log
    finally:
        sleeper.kill()
        sleeper.wait()


def test_a_preload_that_starts_threads_is_refused(run_dir: Path) -> None:
    with warm_provider(run_dir, preload="tests.protocol.warm_probe:start_thread") as env:
        assert env == {}
    assert "threads running" in (run_dir / "warm-provider.log").read_text()


# ------------------------------------------------------------------------ the real provider


def test_the_provider_through_the_warm_server(run_dir: Path, warm: dict[str, str]) -> None:
    """Handshake, a call, Shutdown, its figures and debug logs: all as a cold provider process."""
    stats = run_dir / "stats"
    stats.mkdir()
    env = _env({**warm, plugin.MAGIC_COOKIE_KEY: plugin.MAGIC_COOKIE_VALUE, "PLUGIN_PROTOCOL_VERSIONS": "6",
                "TF_DISABLE_PLUGIN_TLS": "1", "TF_LOG": "debug", "TF_PROVIDER_STATS_DIR": str(stats),
                "TF_PROVIDER_PROFILE_DIR": str(stats)})
    proc = subprocess.Popen([str(_launcher(run_dir, "aep_provider.__main__:main"))], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        assert proc.stdout is not None
        fields = proc.stdout.readline().decode().strip().split("|")
        assert fields[:3] == ["1", "6", "unix"]
        with grpc.insecure_channel(f"unix:{fields[3]}") as channel:
            schema = channel.unary_unary("/tfplugin6.Provider/GetProviderSchema",
                                         request_serializer=bytes, response_deserializer=bytes)
            assert b"aep_s3_base_connection" in schema(b"", timeout=TIMEOUT)
            channel.unary_unary("/plugin.GRPCController/Shutdown", request_serializer=bytes,
                                response_deserializer=bytes)(b"", timeout=TIMEOUT)
        assert proc.wait(timeout=TIMEOUT) == 0
        assert proc.stderr is not None
        assert '"@message": "plugin started"' in proc.stderr.read().decode()  # TF_LOG=debug: the launcher's
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    (doc,) = [json.loads(path.read_text()) for path in stats.glob("*.json")]
    assert doc["rpcs"] == {"GetProviderSchema": 1} and doc["pid"] != proc.pid
    assert doc["warm"]["server_pid"] == _server_pid(run_dir) and doc["warm"]["launcher_pid"] == proc.pid
    late = doc["warm"]["imported_after_fork"]  # the preload has everything a provider loads, profiling aside
    assert "cProfile" in late and not [name for name in late if name.startswith(("aep_", "grpc", "google"))]
    assert doc["cpu_user"] == pytest.approx(doc["warm"]["child_cpu_user"] + doc["warm"]["launcher_cpu"])
    assert (stats / f"{doc['pid']}.prof").stat().st_size  # TF_PROVIDER_PROFILE_DIR: the launcher's, read again


def test_each_forked_provider_makes_its_own_key(run_dir: Path, warm: dict[str, str]) -> None:
    """Children share the server's memory, not its random state: every certificate is new."""
    env = _env({**warm, plugin.MAGIC_COOKIE_KEY: plugin.MAGIC_COOKIE_VALUE, "PLUGIN_PROTOCOL_VERSIONS": "6",
                "PLUGIN_CLIENT_CERT": "present"})
    launcher = _launcher(run_dir, "aep_provider.__main__:main")
    certificates = set()
    for _ in range(3):
        proc = subprocess.Popen([str(launcher)], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                stdin=subprocess.DEVNULL, text=True)
        assert proc.stdout is not None
        fields = proc.stdout.readline().strip().split("|")
        proc.terminate()
        assert proc.wait(timeout=TIMEOUT) == 0  # SIGTERM, forwarded: a graceful stop, as cold
        assert len(fields) == 6
        certificates.add(fields[5])
    assert len(certificates) == 3
