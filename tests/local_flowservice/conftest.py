"""One emulator per session (cheap to share: tests use fresh ids and names)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `pytest` (unlike `python -m pytest`) does not add the repo root
    sys.path.insert(0, str(ROOT))

from lfs_contract import CHECKER, OPENAPI  # noqa: E402
from lfs_helpers import Api  # noqa: E402

from local_flowservice.testing import LocalFlowService  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def contract_checks() -> Iterator[None]:
    """Validate every response of this module's tests (see lfs_contract); module-scoped so it
    never touches other directories' tests and hypothesis sees no function-scoped fixture."""
    original = requests.Session.send
    before = len(CHECKER.violations)

    def send(self: requests.Session, request: requests.PreparedRequest, **kwargs: object) -> requests.Response:
        resp = original(self, request, **kwargs)  # type: ignore[arg-type]
        if not kwargs.get("stream"):
            CHECKER.check(resp)
        return resp

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(requests.Session, "send", send)
        yield
    assert CHECKER.violations[before:] == [], "contract violations (also raised in the tests)"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if CHECKER.counts:
        total = sum(CHECKER.counts.values())
        terminalreporter.write_line(
            f"local_flowservice contract: {total} responses validated "
            f"({CHECKER.counts['openapi']} against {OPENAPI.name}, {CHECKER.counts['docs']} against "
            f"shapes documented in flowservice-api.md); {len(CHECKER.violations)} violations")


@pytest.fixture(scope="session")
def service() -> Iterator[LocalFlowService]:
    with LocalFlowService(args=["--sandboxes", "dev,stage"]) as svc:
        yield svc


@pytest.fixture(scope="session")
def headers(service: LocalFlowService) -> dict[str, str]:
    return service.auth_headers()


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


@pytest.fixture
def api(service: LocalFlowService, headers: dict[str, str], http: requests.Session) -> Api:
    return Api(service, headers, http)


