"""The go-plugin side, run as Terraform runs it: a subprocess, a handshake line, TLS, shutdown."""

from __future__ import annotations

import base64
import os
import socket
import ssl
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from aep_provider.protocol import goplugin_pb2 as gp
from aep_provider.protocol import health_pb2 as health
from aep_provider.protocol import plugin
from aep_provider.protocol import tfplugin6_pb2 as pb

PROVIDER = Path(__file__).with_name("testkv_provider.py")


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "PLUGIN_"))}
    env.update(
        TF_PLUGIN_MAGIC_COOKIE=plugin.MAGIC_COOKIE_VALUE,
        PLUGIN_PROTOCOL_VERSIONS="5,6",
        PLUGIN_UNIX_SOCKET_DIR=str(tmp_path),
    )
    env.update(extra)
    return env


def _start(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], list[str]]:
    proc = subprocess.Popen([sys.executable, str(PROVIDER)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    line = proc.stdout.readline().decode().rstrip("\n")
    return proc, line.split("|")


@pytest.fixture
def tls_plugin(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], list[str]]]:
    proc, fields = _start(_env(tmp_path, PLUGIN_CLIENT_CERT="-----BEGIN CERTIFICATE-----\n"))
    yield proc, fields
    if proc.poll() is None:
        proc.kill()
    proc.wait()


def test_handshake_offers_a_certificate_that_verifies_as_localhost(
        tls_plugin: tuple[subprocess.Popen[bytes], list[str]]) -> None:
    """What go-plugin does with the handshake line: trust that one certificate, dial, verify "localhost".

    grpcio's own TLS client offers no Ed25519, so the TLS handshake is made with the ssl module
    here; real Terraform speaks gRPC over it in the end-to-end tests.
    """
    proc, fields = tls_plugin
    assert fields[:3] == ["1", "6", "unix"] and fields[4] == "grpc" and len(fields) == 6
    sock = Path(fields[3])
    assert stat.S_IMODE(sock.parent.stat().st_mode) == 0o700
    der = base64.b64decode(fields[5] + "=" * (-len(fields[5]) % 4))
    context = ssl.create_default_context(cadata=ssl.DER_cert_to_PEM_cert(der))
    context.set_alpn_protocols(["h2"])
    with socket.socket(socket.AF_UNIX) as raw:
        raw.connect(str(sock))
        with context.wrap_socket(raw, server_hostname="localhost") as tls:
            assert tls.version() == "TLSv1.3" and tls.selected_alpn_protocol() == "h2"
    proc.terminate()
    assert proc.wait(timeout=10) == 0
    assert not sock.parent.exists()  # socket directory cleaned up


def test_health_schema_and_shutdown(tmp_path: Path) -> None:
    proc, fields = _start(_env(tmp_path, PLUGIN_CLIENT_CERT="x", TF_DISABLE_PLUGIN_TLS="1"))
    with grpc.insecure_channel(f"unix:{fields[3]}") as chan:
        check = chan.unary_unary(
            "/grpc.health.v1.Health/Check",
            request_serializer=health.HealthCheckRequest.SerializeToString,
            response_deserializer=health.HealthCheckResponse.FromString,
        )
        assert check(health.HealthCheckRequest(service="plugin"), timeout=10).status == 1
        schema = chan.unary_unary(
            "/tfplugin6.Provider/GetProviderSchema",
            request_serializer=pb.GetProviderSchema.Request.SerializeToString,
            response_deserializer=pb.GetProviderSchema.Response.FromString,
        )(pb.GetProviderSchema.Request(), timeout=10)
        assert "testkv_item" in schema.resource_schemas
        chan.unary_unary(
            "/plugin.GRPCController/Shutdown",
            request_serializer=gp.Empty.SerializeToString,
            response_deserializer=gp.Empty.FromString,
        )(gp.Empty(), timeout=10)
    assert proc.wait(timeout=10) == 0
    assert not Path(fields[3]).parent.exists()


def test_no_tls_when_disabled(tmp_path: Path) -> None:
    proc, fields = _start(_env(tmp_path, PLUGIN_CLIENT_CERT="x", TF_DISABLE_PLUGIN_TLS="1"))
    try:
        assert len(fields) == 5
        with grpc.insecure_channel(f"unix:{fields[3]}") as chan:
            check = chan.unary_unary("/grpc.health.v1.Health/Check")
            assert check(b"", timeout=10) == b"\x08\x01"
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0
    assert not Path(fields[3]).parent.exists()


def test_sigint_is_ignored_sigterm_stops(tmp_path: Path) -> None:
    proc, _ = _start(_env(tmp_path))
    try:
        proc.send_signal(2)
        time.sleep(0.2)
        assert proc.poll() is None
    finally:
        proc.terminate()
    assert proc.wait(timeout=10) == 0


def test_without_cookie_it_says_what_it_is(tmp_path: Path) -> None:
    env = _env(tmp_path)
    del env["TF_PLUGIN_MAGIC_COOKIE"]
    result = subprocess.run(
        [sys.executable, str(PROVIDER)], env=env, capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 1 and result.stdout == ""
    assert "plugin for Terraform" in result.stderr


def test_protocol_negotiation() -> None:
    assert plugin.negotiate_protocol({"PLUGIN_PROTOCOL_VERSIONS": "5,6"}) == 6
    assert plugin.negotiate_protocol({}) == 6
    with pytest.raises(plugin.HandshakeError, match="protocol 6"):
        plugin.negotiate_protocol({"PLUGIN_PROTOCOL_VERSIONS": "4,5"})


def test_handshake_line_format() -> None:
    assert plugin.handshake_line("/t/p.sock", None) == "1|6|unix|/t/p.sock|grpc"
    assert plugin.handshake_line("/t/p.sock", "QUJD") == "1|6|unix|/t/p.sock|grpc|QUJD"


def test_socket_dir_is_private_and_short(tmp_path: Path) -> None:
    path = plugin.make_socket_dir({"PLUGIN_UNIX_SOCKET_DIR": str(tmp_path)})
    try:
        assert Path(path).parent == tmp_path and stat.S_IMODE(os.stat(path).st_mode) == 0o700
    finally:
        plugin.remove_socket_dir(path)
    long_parent = tmp_path / ("x" * 120)
    long_parent.mkdir()
    path = plugin.make_socket_dir({"PLUGIN_UNIX_SOCKET_DIR": str(long_parent)})
    try:
        assert path.startswith("/tmp/") and len(path) < 100
    finally:
        plugin.remove_socket_dir(path)
    assert not Path(path).exists()
