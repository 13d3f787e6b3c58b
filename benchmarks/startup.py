"""Exec-to-handshake time of a provider launcher, the cost Terraform pays 3-4 times per command.

Usage: python benchmarks/startup.py OUT.json [-n 30] [--no-tls] [--first-rpc] -- LAUNCHER [ARGS...]
Starts the launcher with the environment Terraform gives a provider, times until the go-plugin
handshake line arrives on stdout, stops it with SIGTERM, and writes median/p90 (ms) to OUT.json.
With --first-rpc it also connects as Terraform does and times until GetProviderSchema answers
(the provider may defer imports past the handshake line; this shows what that leaves to pay).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

COOKIE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"
# Only its presence matters to the provider (it cannot verify Terraform's P-521 client cert).
DUMMY_CLIENT_CERT = "-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n"


def _first_rpc(fields: list[str]) -> None:
    """GetProviderSchema over the handshake's socket, verifying the server as "localhost"."""
    import base64
    import ssl

    import grpc

    if len(fields) > 5:
        der = base64.b64decode(fields[5] + "=" * (-len(fields[5]) % 4))
        creds = grpc.ssl_channel_credentials(root_certificates=ssl.DER_cert_to_PEM_cert(der).encode())
        options = [("grpc.ssl_target_name_override", "localhost")]
        channel = grpc.secure_channel(f"unix:{fields[3]}", creds, options=options)
    else:
        channel = grpc.insecure_channel(f"unix:{fields[3]}")
    with channel:
        # An empty request message is empty bytes; the response is not decoded.
        call = channel.unary_unary("/tfplugin6.Provider/GetProviderSchema", request_serializer=bytes,
                                   response_deserializer=bytes)
        call(b"", timeout=30)


def measure_once(command: list[str], env: dict[str, str], first_rpc: bool = False) -> tuple[float, float | None]:
    """Seconds from exec to a complete handshake line (and to the first RPC's answer)."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        elapsed = time.perf_counter() - start
        if not line.startswith(b"1|6|"):
            raise RuntimeError(f"unexpected handshake line: {line[:80]!r}")
        rpc = None
        if first_rpc:
            _first_rpc(line.decode().strip().split("|"))
            rpc = time.perf_counter() - start
        return elapsed, rpc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="JSON file to write")
    parser.add_argument("-n", type=int, default=30, help="number of launches (default 30)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed launches first (page cache, pyc)")
    parser.add_argument("--no-tls", action="store_true", help="measure without AutoMTLS")
    parser.add_argument("--first-rpc", action="store_true", help="also time until GetProviderSchema answers")
    parser.add_argument("command", nargs="+", help="the launcher and its arguments (after --)")
    args = parser.parse_args(argv)

    env = dict(os.environ)
    env.update(TF_PLUGIN_MAGIC_COOKIE=COOKIE, PLUGIN_PROTOCOL_VERSIONS="5,6")
    env.pop("TF_DISABLE_PLUGIN_TLS", None)
    if args.no_tls:
        env.pop("PLUGIN_CLIENT_CERT", None)
    else:
        env["PLUGIN_CLIENT_CERT"] = DUMMY_CLIENT_CERT

    if args.first_rpc:
        import grpc  # loaded before timing starts, as Terraform has its client loaded

        del grpc
    for _ in range(args.warmup):
        measure_once(args.command, env, args.first_rpc)
    samples = [measure_once(args.command, env, args.first_rpc) for _ in range(args.n)]
    ms = [s[0] * 1000 for s in samples]
    result = {
        "command": args.command,
        "tls": not args.no_tls,
        "n": args.n,
        "median_ms": round(statistics.median(ms), 1),
        "p90_ms": round(percentile(ms, 0.9), 1),
        "min_ms": round(min(ms), 1),
        "max_ms": round(max(ms), 1),
        "samples_ms": [round(x, 1) for x in ms],
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }
    if args.first_rpc:
        rpc_ms = [s[1] * 1000 for s in samples if s[1] is not None]
        result["first_rpc_median_ms"] = round(statistics.median(rpc_ms), 1)
        result["first_rpc_p90_ms"] = round(percentile(rpc_ms, 0.9), 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    extra = f"; first RPC median {result['first_rpc_median_ms']} ms" if args.first_rpc else ""
    summary = f"handshake median {result['median_ms']} ms, p90 {result['p90_ms']} ms over {args.n} launches"
    print(f"{summary}{extra} -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
