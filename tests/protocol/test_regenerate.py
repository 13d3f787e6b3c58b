"""The committed ``*_pb2.py`` modules are exactly what the committed protos generate."""

from __future__ import annotations

from pathlib import Path

from aep_provider.protocol import regenerate


def test_generated_modules_have_not_drifted(tmp_path: Path) -> None:
    for fresh in regenerate.generate(tmp_path):
        committed = regenerate.HERE / fresh.name
        assert committed.exists(), f"{committed.name} missing: run python -m aep_provider.protocol.regenerate"
        assert committed.read_text() == fresh.read_text(), (
            f"{committed.name} is stale: run python -m aep_provider.protocol.regenerate"
        )
