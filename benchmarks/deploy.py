"""Wall time and API calls of the real deploy loop: `cdktf deploy` (create), a no-op `cdktf diff`,
an update deploy (session token rotation) and `cdktf destroy` of `main.py` against a local Flow Service.

Usage: python -m benchmarks.deploy OUT.json [--rounds 3]
What users wait for is the whole command (cdktf-cli, terraform, 3-4 provider starts, HTTP), so
that is what is timed. The emulator's request log gives the calls each command made, and how
many of them were IMS token requests: each round starts with an empty token cache, so the first
command of a round pays for the token and the rest show whether the cache is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from local_flowservice.testing import LocalFlowService
from tests.conftest import provider_env
from toolchain.project import CdktfProject, Run, install_provider

STACK = "s3-dev"

TOKEN_ROUTE = "POST /ims/token/v3"  # noqa: S105 - a route in the request log, not a credential
OPERATIONS = ("create", "noop_diff", "update", "destroy")
ROTATED = {"TF_VAR_s3_session_token": "bench-session-token-0002", "S3_SESSION_TOKEN_VERSION": "2"}
CREDENTIALS = {"TF_VAR_s3_access_key": "AKIABENCHACCESSKEY01", "TF_VAR_s3_secret_key": "bench-secret-key-0001",
               "TF_VAR_s3_session_token": "bench-session-token-0001"}


def _commands(project: CdktfProject) -> dict[str, Callable[[], Run]]:
    """The four commands of one round, in order; update and destroy carry the rotated token."""
    return {
        "create": lambda: project.deploy(),
        "noop_diff": lambda: project.cdktf("diff", STACK),
        "update": lambda: project.deploy(ROTATED),
        "destroy": lambda: project.cdktf("destroy", STACK, "--auto-approve", extra_env=ROTATED),
    }


def measure(rounds: int = 3) -> dict[str, Any]:
    """Run ``rounds`` create/diff/update/destroy cycles in a throw-away project; raw figures per command."""
    with tempfile.TemporaryDirectory(prefix="bench-deploy-") as tmp_name:
        tmp = Path(tmp_name)
        (tmp / "data").mkdir()
        with LocalFlowService(data_dir=tmp / "data") as server:
            cli_config = install_provider(tmp / "tf")
            project = CdktfProject(tmp / "app", cli_config, {**provider_env(server, tmp / "token-cache-0"),
                                                              **CREDENTIALS})
            started = time.monotonic()
            project.lock()
            setup_seconds = time.monotonic() - started
            samples: list[dict[str, Any]] = []
            for index in range(rounds):
                # A cold token cache per round, so rounds are alike.
                project.env["FLOWSERVICE_TOKEN_CACHE_DIR"] = str(tmp / f"token-cache-{index + 1}")
                for operation, command in _commands(project).items():
                    server.reset_requests()
                    run = command()
                    counters = server.counters()
                    samples.append({
                        "round": index + 1,
                        "operation": operation,
                        "seconds": round(run.seconds, 3),
                        "ims_token_requests": counters.get(TOKEN_ROUTE, 0),
                        "api_calls": {k: v for k, v in sorted(counters.items()) if k != TOKEN_ROUTE},
                    })
    return {"rounds": rounds, "setup_seconds": round(setup_seconds, 3), "samples": samples}


def summarize(raw: dict[str, Any]) -> dict[str, Any]:
    """Median/min/max seconds per operation, and the calls per operation when every round agrees."""
    summary: dict[str, Any] = {}
    for operation in OPERATIONS:
        rows = [s for s in raw["samples"] if s["operation"] == operation]
        seconds = [s["seconds"] for s in rows]
        calls = [s["api_calls"] for s in rows]
        tokens = [s["ims_token_requests"] for s in rows]
        summary[operation] = {
            "median_s": round(statistics.median(seconds), 3),
            "min_s": min(seconds),
            "max_s": max(seconds),
            "api_calls": calls[0] if all(c == calls[0] for c in calls) else calls,
            "ims_token_requests": tokens[0] if len(set(tokens)) == 1 else tokens,
        }
    return summary


def run(out: Path, rounds: int = 3) -> dict[str, Any]:
    """Measure, summarize and write ``out``; returns what was written."""
    raw = measure(rounds)
    result = {
        "benchmark": "cdktf deploy loop of main.py against local_flowservice",
        "summary": summarize(raw),
        **raw,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="JSON file to write")
    parser.add_argument("--rounds", type=int, default=3, help="create/diff/update/destroy cycles (default 3)")
    args = parser.parse_args(argv)
    result = run(args.out, args.rounds)
    for operation, figures in result["summary"].items():
        print(f"{operation:10} median {figures['median_s']:.2f} s  calls {figures['api_calls']}  "
              f"token requests {figures['ims_token_requests']}")
    print(f"-> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
