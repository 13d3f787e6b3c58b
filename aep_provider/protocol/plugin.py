"""The go-plugin side of a provider process: handshake, TLS, the socket, shutdown.

Terraform starts the provider 3-4 times per command and waits for the handshake line each
time, so only what the gRPC server itself needs is loaded before that line: grpc, two tiny
generated modules and, with AutoMTLS, ``tlscert`` (a certificate made in memory in a few ms
instead of 40+ ms of ``cryptography`` imports). The servicer, codec, msgpack and the big
generated module load right after the line, while Terraform connects.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .resource import ProviderHandler
    from .server import ProviderServicer

MAGIC_COOKIE_KEY = "TF_PLUGIN_MAGIC_COOKIE"
MAGIC_COOKIE_VALUE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"
CORE_PROTOCOL_VERSION = 1  # go-plugin's own protocol
APP_PROTOCOL_VERSION = 6  # tfplugin6
_MAX_MESSAGE = 256 << 20  # what Terraform's client allows; states are far smaller
# RPC threads. Terraform sends as many calls at once as its -parallelism (10 by default, raised by
# users); each thread mostly waits on Flow Service, so a generous pool costs little and the API sees
# exactly Terraform's concurrency. Above this, calls queue in grpc rather than fail.
_RPC_THREADS = 64
_SOCKET_NAME = "plugin.sock"
_UNIX_PATH_MAX = 107
#: Whether serve() ends the process when its parent goes away (Terraform died without telling us).
#: A warm server's child (warm.py) turns it off: its parent is the server, and its launcher, the
#: process Terraform started, watches Terraform instead.
WATCH_PARENT = True


class HandshakeError(Exception):
    """The process was not started by a compatible Terraform; the message says why."""


def check_cookie(environ: Mapping[str, str]) -> None:
    if environ.get(MAGIC_COOKIE_KEY) != MAGIC_COOKIE_VALUE:
        raise HandshakeError(
            "This binary is a plugin for Terraform. It is not meant to be run directly:\n"
            "Terraform starts it when a configuration uses the provider."
        )


def negotiate_protocol(environ: Mapping[str, str]) -> int:
    """Pick protocol 6 from the versions Terraform offers (absent list: assume 6)."""
    offered = environ.get("PLUGIN_PROTOCOL_VERSIONS", "").strip()
    if not offered:
        return APP_PROTOCOL_VERSION
    versions = {v.strip() for v in offered.split(",") if v.strip()}
    if str(APP_PROTOCOL_VERSION) not in versions:
        raise HandshakeError(
            f"This provider speaks plugin protocol {APP_PROTOCOL_VERSION} (Terraform 1.0 or later; write-only "
            f"attributes need 1.11), but the client offers {offered}."
        )
    return APP_PROTOCOL_VERSION


def make_socket_dir(environ: Mapping[str, str]) -> str:
    """A fresh directory only our user can enter (0700): the socket's only access control.

    grpcio cannot verify Terraform's P-521 client certificate, so anyone able to reach the
    socket could call the provider; the directory's mode is what prevents that.
    """
    parents = [environ.get("PLUGIN_UNIX_SOCKET_DIR") or environ.get("TMPDIR") or "/tmp", "/tmp"]
    for parent in parents:
        path = os.path.join(parent, "tfprov-" + os.urandom(6).hex())
        if len(os.path.join(path, _SOCKET_NAME)) > _UNIX_PATH_MAX:
            continue
        old_umask = os.umask(0o077)
        try:
            os.mkdir(path, 0o700)
        finally:
            os.umask(old_umask)
        return path
    raise OSError("no temporary directory short enough for a unix socket path")


def remove_socket_dir(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(os.path.join(path, _SOCKET_NAME))
    with contextlib.suppress(OSError):
        os.rmdir(path)


def handshake_line(socket_path: str, cert_field: str | None) -> str:
    """``CORE|APP|unix|PATH|grpc[|CERT]``: what go-plugin reads from our stdout."""
    fields = [str(CORE_PROTOCOL_VERSION), str(APP_PROTOCOL_VERSION), "unix", socket_path, "grpc"]
    if cert_field:
        fields.append(cert_field)
    return "|".join(fields)


class _LazyServicer:
    """Builds the servicer (and the provider, if given a factory) once, on first need."""

    def __init__(self, provider: ProviderHandler | Callable[[], ProviderHandler]) -> None:
        self._provider = provider
        self._servicer: ProviderServicer | None = None
        self._lock = threading.Lock()

    def __call__(self) -> ProviderServicer:
        servicer = self._servicer
        if servicer is None:
            with self._lock:
                if self._servicer is None:
                    from .resource import ProviderHandler
                    from .server import ProviderServicer

                    provider = self._provider
                    if not isinstance(provider, ProviderHandler):
                        provider = provider()
                    self._servicer = ProviderServicer(provider)
                servicer = self._servicer
        return servicer


def serve(provider: ProviderHandler | Callable[[], ProviderHandler]) -> None:
    """Run the provider until Terraform shuts it down, then end the process (no atexit hooks).

    ``provider`` may also be a factory (e.g. the class): it is then called just after the
    handshake line, so a provider whose module imports are heavy can defer them (import
    inside the factory) and keep Terraform's wait short.
    """
    environ = os.environ
    try:
        check_cookie(environ)
        negotiate_protocol(environ)
    except HandshakeError as exc:
        sys.stderr.write(f"{exc}\n")
        sys.exit(1)

    done = threading.Event()
    # Terraform handles Ctrl-C itself and tells us through StopProvider/Shutdown, as go-plugin
    # plugins do, so the terminal's SIGINT to the process group must not kill us mid-call.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: done.set())

    cert = None
    if environ.get("PLUGIN_CLIENT_CERT") and not environ.get("TF_DISABLE_PLUGIN_TLS"):
        from . import tlscert

        cert = tlscert.generate()

    from concurrent import futures

    import grpc

    from . import service

    get_servicer = _LazyServicer(provider)
    sock_dir = make_socket_dir(environ)
    sock_path = os.path.join(sock_dir, _SOCKET_NAME)
    try:
        grpc_server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=_RPC_THREADS, thread_name_prefix="rpc"),
            handlers=[service.provider_handler(get_servicer), *service.plugin_handlers(done.set)],
            options=[
                ("grpc.max_receive_message_length", _MAX_MESSAGE),
                ("grpc.max_send_message_length", _MAX_MESSAGE),
            ],
        )
        address = f"unix:{sock_path}"
        if cert is not None:
            creds = grpc.ssl_server_credentials([(cert.key_pem, cert.cert_pem)], require_client_auth=False)
            bound = grpc_server.add_secure_port(address, creds)
        else:
            bound = grpc_server.add_insecure_port(address)
        if not bound:
            raise OSError(f"could not listen on {sock_path}")
        grpc_server.start()
        cert_field = cert.handshake_field if cert is not None else None
        del cert  # grpc holds the key now; drop our reference

        sys.stdout.write(handshake_line(sock_path, cert_field) + "\n")
        sys.stdout.flush()
        _after_handshake(get_servicer, sock_path)

        parent = os.getppid()
        while not done.wait(1.0):
            if WATCH_PARENT and os.getppid() != parent:  # Terraform died without telling us: do not linger
                _log().warning("parent process went away; exiting")
                break
        grpc_server.stop(grace=2).wait()
        _log().debug("plugin stopped")
    finally:
        remove_socket_dir(sock_dir)
    # Skip interpreter finalisation: tearing down grpc's threads costs 25-40 ms, which Terraform
    # waits for on each of its 3-4 provider launches per command. Handlers must therefore not
    # rely on atexit hooks (nothing may anyway: Terraform kills a provider that lingers).
    from .stats import STATS

    STATS.write()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _log() -> Any:
    from .log import get_logger

    return get_logger("plugin")


def _after_handshake(get_servicer: _LazyServicer, sock_path: str) -> None:
    """Load the servicer now, while Terraform is still connecting; RPCs would otherwise wait."""
    log = _log()
    try:
        get_servicer()
    except Exception:  # the first RPC reports it again
        log.exception("provider failed to load")
    log.debug("plugin started", extra={"fields": {"address": sock_path}})
