"""Fixtures for the construct tests: a fresh CDKTF test app and stack per test."""

from __future__ import annotations

import pytest

from tests.constructs_lib.support import TerraformStack, Testing


@pytest.fixture
def stack() -> TerraformStack:
    return TerraformStack(Testing.app(), "test-stack")
