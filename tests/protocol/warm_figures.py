"""Start-up of one provider process, cold vs warm: ``python -m tests.protocol.warm_figures [launches]``.

Not a test: it prints figures. As ``benchmarks/startup.py`` does, it execs the mirror's launcher with
the environment Terraform gives a plugin (TLS on) and times exec to the handshake line; then stops
it with SIGTERM and takes its CPU: the launcher's as this process's children's, and a warm child's from the figures
it writes (``TF_PROVIDER_STATS_DIR``). Cold and warm launches alternate, so load shifts both alike.
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from aep_iac.mirror import launcher_script
from aep_provider.protocol.stats import STATS_DIR_ENV
from aep_provider.protocol.warm import warm_provider
from benchmarks.startup import percentile, plugin_env


def launch(launcher: Path, env: dict[str, str], stats: Path) -> dict[str, float]:
    """One launch: ms from exec to the handshake line, CPU ms of the launcher, of a warm child, and in all."""
    started = time.perf_counter()
    proc = subprocess.Popen([str(launcher)], env={**env, STATS_DIR_ENV: str(stats)}, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    wall = time.perf_counter() - started
    if not line.startswith(b"1|6|"):
        raise RuntimeError(f"no handshake: {line[:120]!r}")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc.terminate()
    proc.wait(timeout=30)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc.stdout.close()
    (doc,) = [json.loads(path.read_text()) for path in stats.glob("*.json")]
    for path in stats.glob("*.json"):
        path.unlink()
    warm = doc.get("warm") or {}
    own = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime  # the launcher: our only child to end
    child = warm.get("child_cpu_user", 0.0) + warm.get("child_cpu_system", 0.0)
    return {"wall": wall * 1000, "launcher_cpu": own * 1000, "child_cpu": child * 1000, "cpu": (own + child) * 1000}


def main(launches: int = 30) -> None:
    with tempfile.TemporaryDirectory(prefix="wf-") as folder:
        root = Path(folder)
        launcher = root / "launcher"
        launcher.write_text(launcher_script(Path(sys.executable)))
        launcher.chmod(0o755)
        stats = root / "stats"
        stats.mkdir()
        with warm_provider(root) as warm:
            assert warm, "the warm server did not start"
            envs = {"cold": plugin_env(tls=True), "warm": {**plugin_env(tls=True), **warm}}
            samples: dict[str, list[dict[str, float]]] = {"cold": [], "warm": []}
            for round_ in range(launches + 2):
                for mode in ("cold", "warm") if round_ % 2 else ("warm", "cold"):
                    figures = launch(launcher, envs[mode], stats)
                    if round_ >= 2:  # two rounds of warm-up
                        samples[mode].append(figures)
    print(f"{launches} launches each, exec of the launcher to the handshake line (TLS on), then SIGTERM")
    print("mode  wall ms median / p90   CPU ms median / p90   launcher CPU ms   child CPU ms")
    for mode, rows in samples.items():
        def col(key: str, rows: list[dict[str, float]] = rows) -> list[float]:
            return [row[key] for row in rows]
        print(f"{mode:5} {statistics.median(col('wall')):8.1f} / {percentile(col('wall'), 0.9):6.1f}"
              f"   {statistics.median(col('cpu')):8.1f} / {percentile(col('cpu'), 0.9):6.1f}"
              f"   {statistics.median(col('launcher_cpu')):15.1f}   {statistics.median(col('child_cpu')):12.1f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
