"""The provider's executable: hand this process over to a warm provider server, or run the provider here.

The launcher ``aep_iac/mirror.py`` writes imports this module first, so it must stay light:
standard library only, and only modules that cost nothing to load (``_socket`` and ``_signal``, not
``socket`` and ``signal``, which load ``enum``; not ``typing``), as must the two package
``__init__`` modules above it. A hand-over costs about 20 ms of CPU, most of it the interpreter's
own start, instead of the provider's 200-300.

When ``AEP_WARM_PROVIDER`` names the socket of a warm server (``protocol/warm.py``) that
answers, the server forks a child with every provider module already loaded. We send it our
stdin/stdout/stderr, environment, working directory, umask and arguments; it becomes the provider
(handshake line on our stdout, logs on our stderr). We forward the signals we receive, tell it
(SIGTERM) when our parent goes away, and exit as it exits. It kills itself when we die (the
connection ends). Without the variable, or when no server answers, the provider runs here, as
it always has. Bump ``VERSION`` with any change to the wire: a server of another version is not used.

The wire, a unix stream socket; a record is a tag byte and a signed 4-byte big-endian number:
  server -> us      H<version>      the server is alive and has forked a child for us
  us -> child       R<length> payload, with SCM_RIGHTS [0, 1, 2]: the request (see ``request``)
  child -> us       T<pid>          the child took our descriptors over: no going back now
  us -> child       one byte per signal we received: its number
  server -> us      X<status>       the child ended: its exit code, or minus the signal that killed it
"""

from __future__ import annotations

import os
import sys
import time

TYPE_CHECKING = False  # typing itself costs 10 ms; mypy honours any name TYPE_CHECKING
if TYPE_CHECKING:
    import signal as _signal
    import socket as _socket
    from typing import NoReturn
else:
    import _signal
    import _socket

ENV_VAR = "AEP_WARM_PROVIDER"
VERSION = 1
RECORD = 5
#: Signals passed on to the child (SIGKILL and SIGSTOP cannot be caught; our death ends it anyway).
FORWARDED = (_signal.SIGTERM, _signal.SIGINT, _signal.SIGHUP, _signal.SIGQUIT, _signal.SIGUSR1, _signal.SIGUSR2)
_CONNECT_TIMEOUT = 5.0  # a server that does not say hello by then is stuck: start cold instead
_POLL = 1.0  # how often we look at our parent while the child runs


def record(tag: bytes, number: int) -> bytes:
    return tag + number.to_bytes(4, "big", signed=True)


def request(entry: str) -> bytes:
    """``entry`` (``module:function``), cwd, umask, pid, CPU seconds so far, argc, argv, then ``NAME=value``s.

    Fields are NUL-separated bytes (none may hold a NUL), as the kernel gives them to us.
    """
    mask = os.umask(0o022)
    os.umask(mask)
    fields = [entry.encode(), os.getcwdb(), b"%d" % mask, b"%d" % os.getpid(), b"%.6f" % time.process_time(),
              b"%d" % len(sys.argv), *(os.fsencode(arg) for arg in sys.argv),
              *(name + b"=" + value for name, value in os.environb.items())]
    return b"\0".join(fields)


def launch(entry: str) -> None:
    """Run the provider ``entry`` (``module:function``): in a warm server's child if one answers, else here."""
    parent = os.getppid()
    path = os.environ.get(ENV_VAR)
    conn = _connect(path) if path else None
    if conn is not None:
        status = _hand_over(conn, entry, parent)
        if status is not None:
            _exit_as(status)
    _run_here(entry)


def _connect(path: str) -> _socket.socket | None:
    """A connection the server has said hello on, or None (no such socket, nobody listening, stuck)."""
    conn = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        conn.settimeout(_CONNECT_TIMEOUT)
        conn.connect(path)
        if _read(conn, RECORD) == record(b"H", VERSION):
            return conn
    except OSError:
        pass
    conn.close()
    return None


def _hand_over(conn: _socket.socket, entry: str, parent: int) -> int | None:
    """The child's exit status, or None when no child took over (then nothing ran on our stdout)."""
    try:
        payload = request(entry)
    except OSError:  # e.g. our working directory was deleted: only a local start can cope
        conn.close()
        return None

    def forward(signum: int, frame: object) -> None:
        try:
            conn.send(bytes((signum,)))
        except OSError:
            pass  # the child is gone; its status is on its way

    fds = b"".join(fd.to_bytes(4, sys.byteorder) for fd in (0, 1, 2))
    data = record(b"R", len(payload)) + payload
    previous = {signum: _signal.getsignal(signum) for signum in FORWARDED}
    child = 0
    try:
        sent = conn.sendmsg([data], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, fds)])
        conn.sendall(data[sent:])
        for signum in FORWARDED:  # from now on a signal is the child's (before, it is ours, as in a cold start)
            _signal.signal(signum, forward)
        conn.settimeout(_POLL)
        while True:
            try:
                got = _read(conn, RECORD)
            except TimeoutError:
                if parent and os.getppid() != parent:  # as the provider does: Terraform is gone
                    forward(_signal.SIGTERM, None)
                    parent = 0
                continue
            if len(got) < RECORD:
                break
            number = int.from_bytes(got[1:], "big", signed=True)
            if got[:1] == b"T":
                child = number
            elif got[:1] == b"X":
                if child:
                    conn.close()
                    return number
                break  # the child ended before taking our descriptors over
    except OSError:
        pass
    conn.close()
    if child:  # it ran, and the server did not live to tell how it ended
        os.write(2, b"aep provider launcher: the warm provider ended without an exit status\n")
        return 1
    for signum, handler in previous.items():
        _signal.signal(signum, handler)
    return None


def _read(conn: _socket.socket, size: int) -> bytes:
    """``size`` bytes, or fewer at the end of the stream; a timeout with nothing read raises."""
    data = b""
    while len(data) < size:
        try:
            chunk = conn.recv(size - len(data))
        except TimeoutError:
            if data:
                continue
            raise
        if not chunk:
            break
        data += chunk
    return data


def _exit_as(status: int) -> NoReturn:
    """Exit as the child did: with its code, or killed by the same signal."""
    if status < 0:
        _signal.signal(-status, _signal.SIG_DFL)
        os.kill(os.getpid(), -status)
        status = 128 - status
    os._exit(status)


def _run_here(entry: str) -> None:
    module, _, function = entry.partition(":")
    getattr(__import__(module, fromlist=[function]), function)()
