"""Wrong settings fail fast, once, with the fix: through the documented commands, after `make demo`.

Three settings a new user gets wrong: an IMS nobody answers (a closed port, a host whose connects
time out), the demo's Flow Service stopped, and a wrong path in `AEP_FLOW_SERVICE_URL`. Each ends
well within a minute (the subprocess timeout is the only clock here) with one message naming the
setting and its value, how to fix it, and no plan to re-create anything.
"""

from __future__ import annotations

import os
import pty
import re
import select
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from aep_iac import localdemo
from aep_iac.project import Run
from aep_local.testing import LocalAep
from tests.e2e.repo_copy import after_demo, copy_checkout, make, make_environment, plan_script
from tests.e2e.test_exit_status import SECRETS
from tests.e2e.test_team_workflow import free_port

pytestmark = pytest.mark.e2e

#: The guard against a hang: a wrong setting used to cost minutes; now a command takes seconds.
GUARD = 60
NO_PLAN = "**0 to create, 0 to update, 0 to replace, 0 to delete**"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, int]]:
    """A copy of the project after `make demo` on a free port; its local AEP stopped at the end."""
    with after_demo(copy_checkout(tmp_path_factory.mktemp("wrong-settings") / "repo"), free_port()) as made:
        yield made


def closed_port() -> int:
    """A port of 127.0.0.1 nobody listens on (connections are refused)."""
    return free_port()


class SilentPort:
    """A port of 127.0.0.1 whose connects time out, as an unroutable host's do: it listens, never
    accepts, and its queue is full. Bound to 127.0.0.1 only; closed by the ``with`` block."""

    def __enter__(self) -> int:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(0)
        port = int(self.listener.getsockname()[1])
        self.queued = []
        for _ in range(4):
            waiting = socket.socket()
            waiting.setblocking(False)
            try:
                waiting.connect(("127.0.0.1", port))
            except BlockingIOError:
                pass
            self.queued.append(waiting)
        time.sleep(0.2)
        return port

    def __exit__(self, *exc: object) -> None:
        for waiting in self.queued:
            waiting.close()
        self.listener.close()


def plan_md(repo: Path) -> str:
    return (repo / "plan.md").read_text()


def said_once(run: Run, repo: Path, message: str) -> None:
    """The plan failed with ``message`` once in plan.md and once on the console, and planned nothing."""
    text = plan_md(repo)
    assert run.returncode == 1, run.output[-3000:]
    assert text.count(message) == 1 and run.output.count(message) == 1, (text, run.output[-3000:])
    assert NO_PLAN in text and "deleted in Flow Service" not in text and "### Create" not in text, text
    assert "## Errors in more than one stack" in text
    assert re.search(r"\(\d+ objects in `s3-dev`, `s3-prod`, `s3-stage`\)", text), text
    assert "planning failed before any plan could be made" not in run.output


def deployed_once(run: Run, message: str) -> None:
    """`make deploy` failed with ``message`` shown once, then counted, and wrote nothing."""
    assert run.returncode == 2, run.output[-3000:]
    assert run.output.count(f"Error: {message}\n") == 1, run.output[-3000:]
    assert f"Error: {message} (and " in run.output and "more with the same words" in run.output
    assert "Creating..." not in run.output and "Destroying..." not in run.output


SECONDS: dict[str, float] = {}


def timed(case: str, run: Run) -> Run:
    """Keep how long each command took, for the record (printed at the end, never asserted)."""
    SECONDS[case] = round(run.seconds, 1)
    return run


@pytest.fixture(scope="module", autouse=True)
def report_seconds() -> Iterator[None]:
    yield
    print("\nseconds per command:", ", ".join(f"{case} {s}" for case, s in SECONDS.items()))


def test_an_ims_that_refuses_ends_in_seconds_with_one_message(demo: tuple[Path, int], tmp_path: Path) -> None:
    repo, _ = demo
    ims = f"http://127.0.0.1:{closed_port()}"
    settings = {"AEP_IMS_URL": ims, "AEP_TOKEN_CACHE_DIR": str(tmp_path / "tokens")}
    message = f"Cannot reach Adobe IMS: AEP_IMS_URL={ims}"
    run = timed("ims refused: scripts/plan", plan_script(repo, env=settings, timeout=GUARD))
    said_once(run, repo, message)
    assert "connection refused" in plan_md(repo) and "Check AEP_IMS_URL" in plan_md(repo)
    assert "retrying" not in run.output  # not a terminal: nothing extra
    assert timed("ims refused: make plan", make(repo, "plan", env=settings, timeout=GUARD)).returncode == 2
    deployed_once(timed("ims refused: make deploy", make(repo, "deploy", env=settings, timeout=GUARD)), message)


def test_an_ims_whose_connects_time_out_ends_in_seconds_with_one_message(demo: tuple[Path, int],
                                                                         tmp_path: Path) -> None:
    repo, _ = demo
    with SilentPort() as port:
        ims = f"http://127.0.0.1:{port}"
        settings = {"AEP_IMS_URL": ims, "AEP_TOKEN_CACHE_DIR": str(tmp_path / "tokens")}
        run = timed("ims silent: scripts/plan", plan_script(repo, env=settings, timeout=GUARD))
    said_once(run, repo, f"Cannot reach Adobe IMS: AEP_IMS_URL={ims}")
    assert "the connection timed out" in plan_md(repo)


def plan_at_a_terminal(repo: Path, env: dict[str, str]) -> tuple[int, str]:
    """scripts/plan with its stderr on a terminal (a pty), as a user runs it: status, stderr."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen([str(repo / "scripts" / "plan")], cwd=repo, env=make_environment(env),
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=terminal)
    os.close(terminal)
    seen: list[bytes] = []

    def read() -> None:
        while True:
            ready, _, _ = select.select([controller], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(controller, 4096)
                except OSError:
                    return
                if not chunk:
                    return
                seen.append(chunk)
            elif process.poll() is not None:
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        code = process.wait(timeout=GUARD)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        reader.join(5)
        os.close(controller)
    return code, b"".join(seen).decode(errors="replace")


def test_at_a_terminal_each_retry_is_one_line_as_it_happens(demo: tuple[Path, int], tmp_path: Path) -> None:
    repo, _ = demo
    ims = f"http://127.0.0.1:{closed_port()}"
    code, stderr = plan_at_a_terminal(repo, {"AEP_IMS_URL": ims, "AEP_TOKEN_CACHE_DIR": str(tmp_path / "tokens")})
    assert code == 1, stderr
    lines = [line for line in stderr.splitlines() if line.startswith("retrying ")]
    assert lines and lines[0].startswith(f"retrying Adobe IMS at {ims} (connection refused): attempt 2 of 6, next in ")
    assert len(lines) == len({line.split(", next in")[0] for line in lines})  # once per attempt, not per call


def test_the_demos_flow_service_stopped_says_how_to_start_it(demo: tuple[Path, int]) -> None:
    repo, port = demo
    assert make(repo, "local-aep-stop").returncode == 0
    try:
        run = timed("flow service down: scripts/plan", plan_script(repo, timeout=GUARD))
        text = plan_md(repo)
        dead = [line for line in text.splitlines() if "Cannot reach" in line]
        assert len(dead) == 1, text
        said_once(run, repo, dead[0].split("): ", 1)[1])
        start = f"start it with `make local-aep-start PORT={port}` (or `make demo PORT={port}`)"
        assert start in text and start in run.output
        assert timed("flow service down: make plan", make(repo, "plan", timeout=GUARD)).returncode == 2
        deploy = timed("flow service down: make deploy", make(repo, "deploy", timeout=GUARD))
        deployed_once(deploy, dead[0].split("): ", 1)[1])
        assert start in deploy.output
    finally:
        assert make(repo, "local-aep-start", f"PORT={port}").returncode == 0


def test_a_wrong_path_in_the_flow_service_url_deletes_nothing_and_plans_nothing(demo: tuple[Path, int]) -> None:
    repo, port = demo
    server = LocalAep.attach(port)
    demo_urls = localdemo.urls(port)
    wrong = demo_urls["AEP_FLOW_SERVICE_URL"][:-1]  # .../flowservic
    settings = {"AEP_FLOW_SERVICE_URL": wrong, "AEP_IMS_URL": demo_urls["AEP_IMS_URL"],
                "AEP_CLIENT_ID": localdemo.CLIENT_ID, "AEP_CLIENT_SECRET": localdemo.CLIENT_SECRET,
                "AEP_ORG_ID": localdemo.ORG_ID} | SECRETS
    server.reset_requests()
    message = f"No Flow Service API at AEP_FLOW_SERVICE_URL={wrong}"
    run = timed("wrong path: scripts/plan", plan_script(repo, env=settings, timeout=GUARD))
    said_once(run, repo, message)
    text = plan_md(repo)
    assert "The path is probably wrong in AEP_FLOW_SERVICE_URL" in text
    assert f"The local AEP of `make demo` serves AEP_FLOW_SERVICE_URL={demo_urls['AEP_FLOW_SERVICE_URL']}." in text
    deployed_once(timed("wrong path: make deploy", make(repo, "deploy", env=settings, timeout=GUARD)), message)
    writes = [r for r in server.requests() if r["method"] in ("POST", "PATCH", "DELETE")
              and r["template"] != "/ims/token/v3"]
    assert writes == []
    assert plan_script(repo, timeout=GUARD * 2).returncode == 0  # the demo's own settings: nothing to change
