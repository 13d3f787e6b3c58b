"""What synthesis costs per construct: the fleet app run directly (`python app.py`, what the CLI
runs) for a small and a large N, best of three each; the difference over the extra constructs.

Every S3BaseConnection is a jsii object in a Node process: round trips to it were most of a large
app's synthesis, so this is where cutting them shows.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from aep_iac.apps import FLEET_APP


def _seconds(folder: Path, n: int) -> float:
    env = {**os.environ, "FLEET_CONNECTIONS": str(n), "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    started = time.perf_counter()
    subprocess.run([sys.executable, str(FLEET_APP)], cwd=folder, env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    return time.perf_counter() - started


def measure(folder: Path, small: int = 1, large: int = 200, rounds: int = 3) -> dict[str, Any]:
    folder.mkdir(parents=True, exist_ok=True)
    best = {n: min(_seconds(folder, n) for _ in range(rounds)) for n in (small, large)}
    per_construct_ms = 1000 * (best[large] - best[small]) / (large - small)
    return {"small": small, "large": large, "seconds": {str(n): round(s, 3) for n, s in best.items()},
            "ms_per_construct": round(per_construct_ms, 2)}
