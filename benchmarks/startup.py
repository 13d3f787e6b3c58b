"""Provider start-up against its floor: Terraform pays it 3-4 times per command.

* floor: exec of the venv's python running ``import grpc`` until it prints a line (the least a
  Python gRPC server can cost);
* provider: exec of the installed launcher (the project mirror's, as Terraform runs it) with the
  environment Terraform gives a plugin, TLS on, until the go-plugin handshake line arrives;
* first RPC: the same with ``TF_DISABLE_PLUGIN_TLS=1``, until a GetProviderSchema call is answered.
  TLS is off there only because grpcio's Python client cannot verify the provider's Ed25519
  certificate; the report says so.

Launches are interleaved (floor, provider, first RPC, in a rotating order) so a machine that gets
busier shifts all three alike; medians and p90 are reported with the ratio provider/floor.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from aep_client.ims import CACHE_DIR_ENV
from aep_provider.protocol.plugin import MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE

# Only its presence matters: it turns AutoMTLS on (the provider cannot verify Terraform's P-521 cert).
DUMMY_CLIENT_CERT = "-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n"
FLOOR_CODE = "import grpc; print('ready', flush=True)"
SCHEMA_RPC = "/tfplugin6.Provider/GetProviderSchema"


def plugin_env(tls: bool) -> dict[str, str]:
    """What Terraform sets for a provider it launches (and nothing of the benchmark's own)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TF_", "AEP_", "PLUGIN_")) and k != CACHE_DIR_ENV}
    env.update({MAGIC_COOKIE_KEY: MAGIC_COOKIE_VALUE}, PLUGIN_PROTOCOL_VERSIONS="6", PLUGIN_MIN_PORT="10000",
               PLUGIN_MAX_PORT="25000")
    if tls:
        env["PLUGIN_CLIENT_CERT"] = DUMMY_CLIENT_CERT
    else:
        env["TF_DISABLE_PLUGIN_TLS"] = "1"
    return env


def _schema_call(address: str) -> None:
    """GetProviderSchema over the handshake's insecure socket; empty request, response not decoded."""
    import grpc

    with grpc.insecure_channel(address) as channel:
        call = channel.unary_unary(SCHEMA_RPC, request_serializer=bytes, response_deserializer=bytes)
        call(b"", timeout=30)


def time_to_line(command: list[str], env: Mapping[str, str], prefix: bytes,
                 then: Callable[[str], None] | None = None) -> float:
    """Seconds from exec until a stdout line starting with ``prefix`` (and until ``then(line)`` returns)."""
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=dict(env),
                            stdin=subprocess.DEVNULL)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.startswith(prefix):
            raise RuntimeError(f"{command[0]}: expected a line starting {prefix!r}, got {line[:120]!r}")
        if then is not None:
            then(line.decode().strip())
        return time.perf_counter() - started
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _first_rpc(line: str) -> None:
    fields = line.split("|")  # 1|6|unix|/path/plugin.sock|grpc[|cert]
    _schema_call(f"unix:{fields[3]}")


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))]


def _figures(seconds: list[float]) -> dict[str, Any]:
    ms = [s * 1000 for s in seconds]
    return {"median_ms": round(statistics.median(ms), 1), "p90_ms": round(percentile(ms, 0.9), 1),
            "min_ms": round(min(ms), 1), "max_ms": round(max(ms), 1), "samples_ms": [round(x, 1) for x in ms]}


def measure(launcher: Path, launches: int = 30, warmup: int = 2, python: str = sys.executable) -> dict[str, Any]:
    """Interleaved launches of the floor, the provider (TLS) and the provider to its first RPC."""
    import grpc  # loaded before any timing, as Terraform has its client loaded

    del grpc
    kinds: dict[str, Callable[[], float]] = {
        "floor": lambda: time_to_line([python, "-c", FLOOR_CODE], plugin_env(tls=True), b"ready"),
        "provider": lambda: time_to_line([str(launcher)], plugin_env(tls=True), b"1|6|"),
        "first_rpc": lambda: time_to_line([str(launcher)], plugin_env(tls=False), b"1|6|", _first_rpc),
    }
    names = list(kinds)
    for _ in range(warmup):
        for name in names:
            kinds[name]()
    samples: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(launches):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            samples[name].append(kinds[name]())
    result: dict[str, Any] = {name: _figures(values) for name, values in samples.items()}
    floor = result["floor"]["median_ms"]
    result.update(
        launches=launches,
        ratio_median=round(result["provider"]["median_ms"] / floor, 2),
        ratio_p90=round(result["provider"]["p90_ms"] / result["floor"]["p90_ms"], 2),
        floor_command=f"python -c \"{FLOOR_CODE}\"",
        provider_command="the mirror's launcher, TLS on, to the handshake line",
        first_rpc_note=("TLS off (TF_DISABLE_PLUGIN_TLS=1): grpcio's Python client cannot verify the provider's "
                        "Ed25519 certificate; timed from exec until GetProviderSchema is answered"),
    )
    return result
