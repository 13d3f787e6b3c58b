"""A warm provider server: the provider's modules loaded once per command, a process forked per launch.

Terraform starts a provider process 3-4 times per command, and each start costs ~0.3 s of CPU in
imports (grpc, requests, protobuf, our modules). ``warm_provider(run_dir)`` starts a server for the
duration of one command: it imports all that once, starts no thread and nothing of grpc (grpc must
not be initialised before a fork), and listens on a unix socket in a private 0700 directory. The
launcher Terraform runs (``launch.py``, copied into the mirror's executable) finds the socket in
``AEP_WARM_PROVIDER`` and hands itself over; the server forks a child which takes the
launcher's stdin/stdout/stderr, environment, working directory and umask and runs the provider's
``main()`` as that process would have. The wire is described in ``launch.py``.

The server never reads a request (the child does, after the fork), so no child's environment or
secrets reach the server or a later child. It runs with a minimal environment of its own, checks
that each peer is our user, and stops accepting when told (SIGTERM, the context manager), when the
process that started it goes away, when its lifetime is over, or when its socket is removed; it
exits once the children it forked have ended (it reports their exit status to their launchers).

Linux only: elsewhere ``warm_provider`` yields no variable and every launcher runs the provider itself.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import logging
import os
import resource
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import NoReturn

from .launch import ENV_VAR, RECORD, VERSION, record

__all__ = ["ENV_VAR", "warm_provider"]

SOCKET_NAME = "warm.sock"
MODULE = "aep_provider.protocol.warm"
#: What the server imports before it listens: ``module:function`` called once.
DEFAULT_PRELOAD = "aep_provider.__main__:preload"
DEFAULT_LIFETIME = 4 * 3600.0
#: The server's own environment: what the interpreter needs, no settings or secrets of the caller.
SERVER_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR")
_UNIX_PATH_MAX = 107
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
_log = logging.getLogger(__name__)


# ------------------------------------------------------------------------ the caller's side


@contextlib.contextmanager
def warm_provider(run_dir: str | os.PathLike[str], *, lifetime: float = DEFAULT_LIFETIME,
                  preload: str = DEFAULT_PRELOAD, python: str = sys.executable,
                  ready_timeout: float = 60.0) -> Iterator[dict[str, str]]:
    """Run a warm server while the block runs; yields the variables to add to Terraform's environment.

    The server's log goes to ``run_dir/warm-provider.log``. If it cannot start (or off Linux) the
    block still runs, with no variable: every provider process then starts cold, as without it.
    """
    if not sys.platform.startswith("linux"):
        yield {}
        return
    folder = _private_dir(Path(run_dir))
    sock_path = os.path.join(folder, SOCKET_NAME)
    env = {k: v for k, v in os.environ.items() if k in SERVER_ENV or k.startswith("PYTHON")}
    command = [python, "-m", MODULE, "--socket", sock_path, "--parent", str(os.getpid()),
               "--lifetime", str(lifetime), "--preload", preload]
    with open(Path(run_dir) / "warm-provider.log", "ab") as log:
        proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log, env=env,
                                start_new_session=True)  # terminal signals reach children via their launchers
    try:
        ready = _ready(proc, ready_timeout)
        if not ready:
            _log.warning("the warm provider server did not start (see %s); providers start cold",
                         Path(run_dir) / "warm-provider.log")
        yield {ENV_VAR: sock_path} if ready else {}
    finally:
        _stop(proc)
        shutil.rmtree(folder, ignore_errors=True)


def _private_dir(run_dir: Path) -> str:
    """A new 0700 directory for the socket: under ``run_dir`` unless that path is too long for a socket."""
    for parent in (str(run_dir), tempfile.gettempdir(), "/tmp"):
        if len(os.path.join(parent, "warm-xxxxxxxx", SOCKET_NAME)) <= _UNIX_PATH_MAX:
            return tempfile.mkdtemp(prefix="warm-", dir=parent)
    raise OSError("no directory short enough for a unix socket path")


def _ready(proc: subprocess.Popen[bytes], timeout: float) -> bool:
    """Whether the server printed ``ready`` (it listens) within ``timeout`` seconds."""
    assert proc.stdout is not None
    with proc.stdout:
        readable, _, _ = select.select([proc.stdout], [], [], timeout)
        return bool(readable) and proc.stdout.readline().startswith(b"ready")


def _stop(proc: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """Stop accepting now; the server exits when its children have (they end with their launchers)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        _log.warning("the warm provider server still has provider processes after %.0f s; killing it", grace)
        proc.kill()
        proc.wait()


# ------------------------------------------------------------------------ the server


def serve(sock_path: str, parent: int, lifetime: float, preload: str) -> None:
    """Preload, listen, say ``ready`` on stdout, then fork a child per launcher until told to stop."""
    started = time.monotonic()
    gc.disable()  # no collection holes in the pages children will share
    _call(preload)
    gc.freeze()  # nor will the children's collections write to the preloaded objects (copy-on-write)
    threads = _threads()
    if threads != 1:  # a fork would copy a process whose other threads vanish mid-work
        raise RuntimeError(f"preloading left {threads} threads running; a warm server must have one")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(sock_path)
    listener.listen(64)
    inode = os.stat(sock_path).st_ino
    wake_r, wake_w = socket.socketpair()
    wake_r.setblocking(False)
    wake_w.setblocking(False)
    signal.set_wakeup_fd(wake_w.fileno())
    for signum in (signal.SIGCHLD, *_STOP_SIGNALS):
        signal.signal(signum, lambda *_: None)  # handled through the wakeup socket
    _say(f"listening on {sock_path}; preloaded {len(sys.modules)} modules in {time.monotonic() - started:.2f} s")
    sys.stdout.write(f"ready {os.getpid()}\n")
    sys.stdout.flush()
    with open(os.devnull, "wb") as null:  # let the caller's pipe close
        os.dup2(null.fileno(), 1)

    deadline = started + lifetime
    children: dict[int, socket.socket] = {}
    forked = 0
    stop = ""
    while not stop or children:
        readable, _, _ = select.select([wake_r] if stop else [wake_r, listener], [], [], 1.0)
        if wake_r in readable:
            stop = stop or next((f"signal {s}" for s in wake_r.recv(256) if s != signal.SIGCHLD), "")
        _reap(children)
        if not stop and listener in readable:
            forked += _accept(listener, children, [listener, wake_r, wake_w])
        if not stop:
            stop = ("the process that started us is gone" if os.getppid() != parent else
                    "lifetime over" if time.monotonic() > deadline else
                    "the socket was removed" if not _same_file(sock_path, inode) else "")
        if stop and listener.fileno() != -1:
            listener.close()
            if _same_file(sock_path, inode):
                os.unlink(sock_path)
            _say(f"stopped accepting ({stop}) after {forked} provider processes; {len(children)} still running")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    _say(f"exiting; its own CPU (children not counted) {(usage.ru_utime + usage.ru_stime) * 1000:.0f} ms")


def _say(message: str) -> None:
    sys.stderr.write(f"warm provider server {os.getpid()}: {message}\n")
    sys.stderr.flush()


def _call(spec: str) -> None:
    module, _, function = spec.partition(":")
    getattr(__import__(module, fromlist=[function]), function)()


def _threads() -> int:
    try:
        return len(os.listdir("/proc/self/task"))  # native threads too (grpc's would be there)
    except OSError:
        return threading.active_count()


def _same_file(path: str, inode: int) -> bool:
    try:
        return os.stat(path).st_ino == inode
    except OSError:
        return False


def _accept(listener: socket.socket, children: dict[int, socket.socket], own: list[socket.socket]) -> int:
    """Fork a child for the next launcher; how many were forked (0 or 1)."""
    try:
        conn, _ = listener.accept()
    except OSError:
        return 0
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    try:
        if struct.unpack("3i", creds)[1] != os.getuid():  # the 0700 directory should make this impossible
            raise PermissionError("a peer of another user")
        conn.sendall(record(b"H", VERSION))
    except OSError:
        conn.close()
        return 0
    pid = os.fork()
    if pid == 0:
        _child(conn, [*own, *children.values()])
    children[pid] = conn
    return 1


def _reap(children: dict[int, socket.socket]) -> None:
    """Collect ended children and tell each one's launcher how it ended."""
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        conn = children.pop(pid, None)
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.sendall(record(b"X", os.waitstatus_to_exitcode(status)))
            conn.close()


# ------------------------------------------------------------------------ a child


def _child(conn: socket.socket, inherited: list[socket.socket]) -> NoReturn:
    """Become the launcher's provider process; never returns to the server's loop."""
    code = 1
    try:
        for sock in inherited:
            sock.close()
        signal.set_wakeup_fd(-1)
        for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)  # as in any new Python process
        gc.enable()
        entry, launcher = _take_over(conn)
        conn.sendall(record(b"T", os.getpid()))
        threading.Thread(target=_watch, args=(conn,), name="launcher", daemon=True).start()
        _as_warm_child(launcher)
        _call(entry)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
        if exc.code is not None and not isinstance(exc.code, int):
            sys.stderr.write(f"{exc.code}\n")
    except BaseException:  # noqa: BLE001 - the process ends here, as an uncaught exception would end it
        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _take_over(conn: socket.socket) -> tuple[str, dict[str, float]]:
    """Read the request and make it this process's: descriptors, cwd, umask, environment, argv."""
    head, fds = _receive(conn)
    if len(fds) != 3:
        raise RuntimeError(f"a request came with {len(fds)} descriptors, not 3")
    for target, fd in enumerate(fds):
        if fd != target:
            os.dup2(fd, target)
            os.close(fd)
    fields = head.split(b"\0")
    entry, cwd, umask, pid, cpu, argc = fields[:6]
    argv_end = 6 + int(argc)
    os.chdir(cwd)
    os.umask(int(umask))
    os.environb.clear()
    for item in fields[argv_end:]:
        name, _, value = item.partition(b"=")
        os.environb[name] = value
    time.tzset()
    sys.argv = [os.fsdecode(arg) for arg in fields[6:argv_end]]
    return entry.decode(), {"launcher_pid": int(pid), "launcher_cpu": float(cpu)}


def _receive(conn: socket.socket) -> tuple[bytes, list[int]]:
    """The request's payload and the descriptors that came with it."""
    fd_size = struct.calcsize("3i")
    data, ancillary, flags, _ = conn.recvmsg(RECORD, socket.CMSG_SPACE(fd_size))
    fds: list[int] = []
    for level, kind, items in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.extend(struct.unpack(f"{len(items) // 4}i", items[: len(items) // 4 * 4]))
    if flags & socket.MSG_CTRUNC:
        raise RuntimeError("the launcher's descriptors did not all arrive")
    while len(data) < RECORD:
        data += _recv_some(conn, RECORD - len(data))
    if data[:1] != b"R":
        raise RuntimeError(f"expected a request, got {data[:1]!r}")
    size = int.from_bytes(data[1:], "big", signed=True)
    payload = bytearray()
    while len(payload) < size:
        payload += _recv_some(conn, size - len(payload))
    return bytes(payload), fds


def _recv_some(conn: socket.socket, size: int) -> bytes:
    chunk = conn.recv(min(size, 1 << 20))
    if not chunk:
        raise EOFError("the launcher went away during its request")
    return chunk


def _watch(conn: socket.socket) -> None:
    """Take the signals the launcher forwards; when it dies (the connection ends), die at once as it did."""
    while True:
        try:
            data = conn.recv(64)
        except OSError:
            data = b""
        if not data:
            os.kill(os.getpid(), signal.SIGKILL)
        for signum in data:
            os.kill(os.getpid(), signum)


def _as_warm_child(launcher: Mapping[str, float]) -> None:
    """What the provider read from the server's environment at import, read again from the launcher's."""
    from . import plugin
    from .log import refresh_level
    from .stats import STATS

    plugin.WATCH_PARENT = False  # our parent is the server; the launcher watches Terraform
    refresh_level()
    STATS.reset()
    STATS.warm = {**launcher, "server_pid": os.getppid()}
    STATS.preloaded = frozenset(sys.modules)


# ------------------------------------------------------------------------ command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--socket", required=True, help="path of the unix socket to listen on")
    parser.add_argument("--parent", type=int, default=os.getppid(), help="stop accepting when this process is gone")
    parser.add_argument("--lifetime", type=float, default=DEFAULT_LIFETIME, help="seconds to accept launches for")
    parser.add_argument("--preload", default=DEFAULT_PRELOAD, help="module:function importing what children need")
    args = parser.parse_args(argv)
    serve(args.socket, args.parent, args.lifetime, args.preload)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
