"""End to end: real Terraform drives the ``testkv`` provider cold and through a warm server, alike.

The same launcher (the mirror's, as ``aep_iac.mirror`` writes it, running ``testkv_provider``)
serves both runs; only ``AEP_WARM_PROVIDER`` differs. Every command must print, store and
write the same (ids aside), and every provider process of the warm run must come from the server.
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
from pathlib import Path

import pytest

from aep_iac.mirror import launcher_script
from aep_provider.protocol.stats import STATS_DIR_ENV
from aep_provider.protocol.warm import ENV_VAR, warm_provider
from tests.protocol.test_e2e_terraform import MAIN_TF, _terraform, _workspace
from tests.protocol.test_warm import _server_pid

pytestmark = pytest.mark.e2e

STEPS: list[tuple[tuple[str, ...], dict[str, object]]] = [
    (("init",), {}),
    (("apply", "-auto-approve"), {"value": "v1", "secret": "s-one", "version": 1}),
    (("plan", "-detailed-exitcode"), {"value": "v1", "secret": "s-one", "version": 1}),
    (("plan", "-detailed-exitcode"), {"value": "v2", "secret": "s-one", "version": 1, "ok": (2,)}),
    (("apply", "-auto-approve"), {"value": "v2", "secret": "s-two", "version": 2}),
    (("plan", "-detailed-exitcode"), {"value": "invalid", "secret": "s-two", "version": 2, "ok": (1,)}),
    (("destroy", "-auto-approve"), {"value": "v2", "secret": "s-two", "version": 2}),
]


def _normalized(text: str, ids: set[str]) -> str:
    for item in ids:
        text = text.replace(item, "<id>")
    return re.sub(r"after \d+s", "after <n>s", text)


def _run(tmp_path: Path, warm: dict[str, str]) -> tuple[list[str], list[str], list[dict[str, object]]]:
    """Every step's output, the data file after each step, and the provider processes' figures."""
    ws = _workspace(tmp_path, MAIN_TF)
    launcher = next((tmp_path / "mirror").rglob("terraform-provider-testkv_*"))
    launcher.write_text(launcher_script(Path(sys.executable), "tests.protocol.testkv_provider:main"))
    stats = tmp_path / "stats"
    stats.mkdir()
    outputs, data = [], []
    for args, options in STEPS:
        outputs.append(_terraform(ws, *args, extra={**warm, STATS_DIR_ENV: str(stats)}, **options))  # type: ignore[arg-type]
        data_file = ws["work"] / "data.json"
        data.append(data_file.read_text() if data_file.exists() else "")
    ids = {item for text in data if text for item in json.loads(text)}
    figures = [json.loads(path.read_text()) for path in sorted(stats.glob("*.json"))]
    return [_normalized(text, ids) for text in outputs], [_normalized(text, ids) for text in data], figures


def test_plan_and_apply_through_the_warm_server_match_a_cold_run(tmp_path: Path) -> None:
    cold_out, cold_data, cold_figures = _run(tmp_path / "cold", {})
    run_dir = Path(tempfile.mkdtemp(prefix="wte-"))  # short: a unix socket lives there
    try:
        with warm_provider(run_dir) as env:
            assert env[ENV_VAR]
            warm_out, warm_data, warm_figures = _run(tmp_path / "warm", env)
        server = _server_pid(run_dir)
        log = (run_dir / "warm-provider.log").read_text()
    finally:
        for path in sorted(run_dir.rglob("*"), reverse=True):
            path.rmdir() if path.is_dir() else path.unlink()
        run_dir.rmdir()

    assert warm_out == cold_out
    assert warm_data == cold_data
    assert "value must not be 'invalid'" in warm_out[5] and "1 destroyed" in warm_out[6]
    # The same provider processes, serving the same calls; cold ones ran in their launcher, warm ones
    # were forked by the server for their launcher, and needed no import the server had not made.
    assert len(warm_figures) == len(cold_figures) >= 10
    assert sorted(json.dumps(f["rpcs"], sort_keys=True) for f in warm_figures) == sorted(
        json.dumps(f["rpcs"], sort_keys=True) for f in cold_figures)
    assert not any("warm" in f for f in cold_figures)
    for figures in warm_figures:
        warm = figures["warm"]
        assert isinstance(warm, dict)
        assert warm["server_pid"] == server and warm["launcher_pid"] != figures["pid"]
        late = warm["imported_after_fork"]
        assert "tests.protocol.testkv_provider" in late  # testkv's own modules only:
        assert not [name for name in late if name.startswith(("aep_", "grpc", "google", "msgpack"))], late
    assert f"after {len(warm_figures)} provider processes; 0 still running" in log
