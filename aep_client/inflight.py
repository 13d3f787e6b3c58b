"""One bound on Flow Service calls in flight, shared by every provider process of a command.

``make deploy`` runs several stacks' Terraform at once. Splitting the bound into per-stack
``-parallelism`` wastes it: a slot waits while its Terraform writes state and plans the next
resource, so the API sees fewer calls than the bound and Terraform's own work adds to the time
instead of overlapping other stacks' calls. Instead the command hands out ``bound`` slots
(:class:`SlotServer`, on a Unix socket) and every provider holds one around each HTTP request
(:class:`SlotAdapter`, mounted when ``$AEP_IN_FLIGHT_SOCKET`` names the socket), so each
stack may run at full ``-parallelism`` and the API still never sees more than ``bound`` at once.

A slot is a connection: granted with one byte, held until the client closes it. A provider that
dies closes it too, so a crash or a kill never leaks a slot; a provider whose command is gone
(the socket no longer answers) fails the request before sending anything, and so does a request
still waiting for a slot when Terraform is interrupted (:meth:`SlotAdapter.stop`): graceful stop
finishes the calls on the wire, not the ones queued behind them.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from .command_socket import CommandSocket

__all__ = ["SOCKET_ENV", "SlotAdapter", "SlotServer", "SlotUnavailable", "slots_from_env"]

SOCKET_ENV = "AEP_IN_FLIGHT_SOCKET"
_GRANTED = b"+"
STOPPED = "Terraform was interrupted: the call waited for a slot of the in-flight bound and was not sent"


class SlotUnavailable(requests.exceptions.ConnectionError):
    """The command's slot server is gone: the request was not sent."""


class SlotServer(CommandSocket):
    """``bound`` slots for the processes of one command, while the ``with`` block runs."""

    env = SOCKET_ENV
    kind = socket.SOCK_STREAM
    name = "in-flight"

    def __init__(self, bound: int) -> None:
        if bound < 1:
            raise ValueError("bound must be at least 1")
        super().__init__()
        self.bound = bound
        self._free = threading.Semaphore(bound)
        self._socket.listen(256)
        self._granted = 0
        self.peak = 0
        self._count = threading.Lock()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._socket.accept()
            except OSError:
                return  # closed: the command ended
            threading.Thread(target=self._slot, args=(conn,), daemon=True).start()

    def _slot(self, conn: socket.socket) -> None:
        """Grant a slot when one is free; take it back when the client closes the connection."""
        with conn:
            self._free.acquire()
            try:
                with self._count:
                    self._granted += 1
                    self.peak = max(self.peak, self._granted)
                conn.sendall(_GRANTED)
                while conn.recv(64):
                    pass
            except OSError:
                pass  # the client went away: the slot is free again
            finally:
                with self._count:
                    self._granted -= 1
                self._free.release()


class SlotAdapter(HTTPAdapter):
    """An ``HTTPAdapter`` that sends each request within one slot of the command's bound."""

    def __init__(self, path: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.path = path
        self._stopping = threading.Event()
        self._waiting: set[socket.socket] = set()
        self._lock = threading.Lock()

    def stop(self) -> None:
        """Terraform was interrupted: requests waiting for a slot give up without being sent."""
        with self._lock:
            self._stopping.set()
            for conn in self._waiting:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    @contextmanager
    def slot(self) -> Iterator[None]:
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            with self._lock:
                if self._stopping.is_set():
                    raise SlotUnavailable(STOPPED)
                self._waiting.add(conn)
            try:
                conn.connect(self.path)
                granted = conn.recv(1)
            except OSError as err:
                granted, why = b"", str(err)
            else:
                why = "closed"
            finally:
                with self._lock:
                    self._waiting.discard(conn)
            if self._stopping.is_set():
                raise SlotUnavailable(STOPPED)
            if granted != _GRANTED:
                raise SlotUnavailable(self._gone(why))
            yield
        finally:
            conn.close()

    def _gone(self, why: str) -> str:
        return (f"the in-flight bound of the command that started Terraform ({SOCKET_ENV}={self.path}) "
                f"is gone ({why}): that command ended; nothing was sent, run it again")

    def send(self, request: requests.PreparedRequest, stream: bool = False,
             timeout: float | tuple[float, float] | tuple[float, None] | None = None, verify: bool | str = True,
             cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
             proxies: Mapping[str, str] | None = None) -> requests.Response:
        with self.slot():
            response = super().send(request, stream=stream, timeout=timeout, verify=verify, cert=cert,
                                    proxies=proxies)
            if not stream:
                _ = response.content  # the whole answer within the slot, not after it
            return response


def slots_from_env(environ: Mapping[str, str] | None = None) -> str | None:
    """The slot server's socket, when the command that started this process runs one."""
    path = (os.environ if environ is None else environ).get(SOCKET_ENV, "").strip()
    return path or None
