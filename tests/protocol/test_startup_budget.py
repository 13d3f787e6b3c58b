"""Guards for what start-up speed depends on (the figures themselves come from `make bench`).

Terraform starts the provider 3-4 times per command: heavy imports before the handshake line
and key files on disk would cost every start, and a key on disk would also be a secret at rest.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from aep_provider.protocol.plugin import MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("requests", "urllib3", "cryptography.x509", "jsonschema", "aep_client.session", "cdktf")


def test_provider_entry_modules_import_nothing_heavy() -> None:
    code = (
        "import sys, aep_provider.provider, aep_provider.protocol.plugin;"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_start_up_writes_no_key_material(tmp_path: Path) -> None:
    # TMPDIR short enough for a unix socket path (pytest's own folders may not be, under xdist).
    short_tmp = Path(tempfile.mkdtemp(prefix="su-"))
    dirs = {"tmp": short_tmp, "home": tmp_path / "home", "cache": tmp_path / "cache"}
    dirs["home"].mkdir()
    dirs["cache"].mkdir()
    env = dict(os.environ, **{MAGIC_COOKIE_KEY: MAGIC_COOKIE_VALUE}, PLUGIN_PROTOCOL_VERSIONS="6",
               PLUGIN_CLIENT_CERT="present", TMPDIR=str(dirs["tmp"]), HOME=str(dirs["home"]),
               XDG_CACHE_HOME=str(dirs["cache"]))
    proc = subprocess.Popen([sys.executable, "-m", "aep_provider"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().decode()
        assert line.startswith("1|6|unix|") and line.rstrip().split("|")[-1], line  # a TLS cert was offered
        assert line.split("|")[3].startswith(f"{short_tmp}{os.sep}tfprov-"), line
        written = sorted(p.name for folder in (tmp_path, short_tmp) for p in folder.rglob("*") if not p.is_dir())
        assert written == ["plugin.sock"]  # the socket only: no key, no certificate, no cache
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(short_tmp, ignore_errors=True)
