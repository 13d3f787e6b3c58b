"""Fixtures shared by the whole suite: a real local AEP and a server-side view of it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from aep_iac.project import CdktfProject
from aep_iac.project import provider_env as project_provider_env
from aep_local.testing import LocalAep

#: The one-connection app the lifecycle tests follow (tests/e2e/apps/single.py).
SINGLE_APP = Path(__file__).resolve().parent / "e2e" / "apps" / "single.py"
SINGLE_STACK = "s3-base-connection"

CLIENT_ID = "e2e-client"
CLIENT_SECRET = "e2e-client-secret-CANARY-7f3a"
ORG_ID = "E2E0000000000000000000@AdobeOrg"


@pytest.fixture(autouse=True)
def console_spelling(monkeypatch: pytest.MonkeyPatch) -> None:
    """Messages name aep-iac's commands unless a test says otherwise: `make test` runs this suite
    with the Makefile's AEP_IAC_VIA=make exported (the e2e tests' make runs set it again)."""
    monkeypatch.delenv("AEP_IAC_VIA", raising=False)


class FlowApi:
    """Talks to the local AEP directly (not through our client) to check the server side."""

    def __init__(self, server: LocalAep, sandbox: str = "prod", org_id: str = ORG_ID) -> None:
        self.server = server
        self.sandbox = sandbox
        self.org_id = org_id
        self._headers: dict[str, str] | None = None

    def headers(self) -> dict[str, str]:
        """One token for the whole test, so the server's log shows one IMS request from us."""
        if self._headers is None:
            self._headers = self.server.auth_headers(client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                                                     org_id=self.org_id, sandbox=self.sandbox)
        return self._headers

    def get(self, connection_id: str) -> requests.Response:
        return requests.get(f"{self.server.flow_url}/connections/{connection_id}", headers=self.headers(), timeout=10)

    def connection(self, connection_id: str) -> dict:
        response = self.get(connection_id)
        response.raise_for_status()
        return response.json()["items"][0]

    def list(self, collection: str = "/connections") -> list[dict]:
        """Every object of a collection (``/connections``, ``/sourceConnections``, ``/flows``...)."""
        response = requests.get(f"{self.server.flow_url}{collection}", headers=self.headers(), timeout=10)
        response.raise_for_status()
        return response.json()["items"]


def provider_env(server: LocalAep, cache_dir: Path) -> dict[str, str]:
    """Environment that points our provider at ``server`` with test credentials."""
    return project_provider_env(server.flow_url, server.ims_url, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                                org_id=ORG_ID, token_cache=cache_dir)


@pytest.fixture
def local_aep(tmp_path: Path) -> Iterator[LocalAep]:
    data = tmp_path / "local-aep-data"
    data.mkdir()
    with LocalAep(data_dir=data) as server:
        yield server


@pytest.fixture
def flow_api(local_aep: LocalAep) -> FlowApi:
    return FlowApi(local_aep)


@pytest.fixture(scope="session")
def cli_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One provider mirror per test session, built from this checkout."""
    from aep_iac.project import install_provider

    os.environ.setdefault("CHECKPOINT_DISABLE", "1")
    return install_provider(tmp_path_factory.mktemp("tf"))


def single_project(folder: Path, cli_config: Path, env: dict[str, str], app_file: Path = SINGLE_APP) -> CdktfProject:
    """A throw-away project of the one-connection app (or a variant of it)."""
    return CdktfProject(folder, cli_config, env, app_file=app_file, stacks=(SINGLE_STACK,))
