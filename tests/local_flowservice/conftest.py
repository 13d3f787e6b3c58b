"""One emulator per session (cheap to share: tests use fresh ids and names)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from local_flowservice.testing import LocalFlowService
from tests.local_flowservice.lfs_contract import CHECKER
from tests.local_flowservice.lfs_helpers import Api


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
        shapes = ", ".join(f"{name} {count}" for name, count in sorted(CHECKER.counts.items()))
        terminalreporter.write_line(
            f"local_flowservice contract: {total} responses checked against flowservice_spec/contract.json "
            f"({shapes}); {len(CHECKER.violations)} violations")


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


