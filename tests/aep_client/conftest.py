"""Fixtures of the client's unit tests: a private token cache directory per test."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "token-cache"


@pytest.fixture(autouse=True)
def _no_shared_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Nothing in these tests may touch the developer's real ~/.cache."""
    monkeypatch.setenv("AEP_TOKEN_CACHE_DIR", str(tmp_path / "default-cache"))
    for name in ("AEP_FLOW_SERVICE_URL", "AEP_IMS_URL", "AEP_CLIENT_ID", "AEP_CLIENT_SECRET", "AEP_ORG_ID",
                 "AEP_SANDBOX_NAME", "AEP_SCOPES", "AEP_REQUEST_TIMEOUT", "AEP_OPERATION_TIMEOUT",
                 "AEP_MAX_RETRIES"):
        monkeypatch.delenv(name, raising=False)
