"""A Unix socket that one command serves to the provider processes it starts.

The command (``make deploy``'s runner) and the providers Terraform starts for it share nothing but
the environment, so the command binds a socket and names it there. Both of its uses (the in-flight
bound, :mod:`aep_client.inflight`; the retries shown on the terminal, :mod:`aep_client.progress`)
need the same care: a new private folder with a short path (a socket path holds about 100 bytes),
a thread serving it while the ``with`` block runs, and nothing left behind.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
from typing import ClassVar, Self

__all__ = ["CommandSocket"]


class CommandSocket:
    """Bound at construction, served by :meth:`_serve` in a thread inside ``with``, then removed."""

    #: The environment variable that names the socket to a provider.
    env: ClassVar[str]
    #: ``socket.SOCK_STREAM`` or ``socket.SOCK_DGRAM``.
    kind: ClassVar[int]
    #: The socket file's name, and the serving thread's.
    name: ClassVar[str]

    def __init__(self) -> None:
        self._folder = tempfile.mkdtemp(prefix="aep-")
        self.path = os.path.join(self._folder, f"{self.name}.sock")
        self._socket = socket.socket(socket.AF_UNIX, self.kind)
        self._socket.bind(self.path)

    @property
    def environ(self) -> dict[str, str]:
        """What a provider's environment needs to reach this socket."""
        return {self.env: self.path}

    def __enter__(self) -> Self:
        threading.Thread(target=self._serve, name=self.name, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._socket.close()
        shutil.rmtree(self._folder, ignore_errors=True)

    def _serve(self) -> None:
        """Serve the socket until it is closed (an ``OSError`` from it then ends the thread)."""
        raise NotImplementedError
