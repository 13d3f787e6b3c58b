"""One emulator per session (cheap to share: tests use fresh ids and names)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from aep_local.testing import LocalAep
from tests.aep_local.local_contract import CHECKER
from tests.aep_local.local_helpers import Api, Ingestion, Platform


@pytest.fixture(scope="module", autouse=True)
def contract_checks() -> Iterator[None]:
    """Validate every response of this module's tests (see local_contract); module-scoped so it
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
            f"aep_local contract: {total} responses checked against aep_spec/contract.json "
            f"({shapes}); {len(CHECKER.violations)} violations")


@pytest.fixture(scope="session")
def service() -> Iterator[LocalAep]:
    with LocalAep(args=["--sandboxes", "dev,stage"]) as svc:
        yield svc


@pytest.fixture(scope="session")
def headers(service: LocalAep) -> dict[str, str]:
    return service.auth_headers()


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


@pytest.fixture
def api(service: LocalAep, headers: dict[str, str], http: requests.Session) -> Api:
    return Api(service, headers, http)


@pytest.fixture
def platform(api: Api) -> Platform:
    return Platform(api)


@pytest.fixture
def ing(api: Api) -> Ingestion:
    return Ingestion(api)
