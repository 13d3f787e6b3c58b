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

from lfs_helpers import Api  # noqa: E402

from local_flowservice.testing import LocalFlowService  # noqa: E402


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


