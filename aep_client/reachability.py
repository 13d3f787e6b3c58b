"""What one process learnt of each endpoint's reachability, so a dead endpoint costs seconds once.

Terraform asks the provider for every object separately; without a memory, each call would spend
the retries' whole bound on the same refused port or silent host, and a command would take
minutes to say what its first call knew. So the connection-level failures (refused, the host name
does not resolve, the connect timed out) of one origin share one window: retries stop when the
window since the first of them has passed (:attr:`RetryPolicy.unreachable_after`), and from then on
every call to that origin fails at once with the same :class:`UnreachableError`. Any answer from
the origin closes the window. The memory lives as long as the session, one provider process.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from urllib.parse import urlsplit

from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

from .errors import UnreachableError

__all__ = ["Reachability", "origin_of", "unreachable_reason"]


def origin_of(url: str) -> str:
    """``scheme://host:port`` of a URL: what a connection is made to."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _chain(err: BaseException) -> list[BaseException]:
    """The exception, what it wraps (urllib3's ``reason``, ``args[0]``) and what caused it."""
    seen: list[BaseException] = []
    todo: list[BaseException] = [err]
    while todo and len(seen) < 12:
        current = todo.pop(0)
        if any(current is known for known in seen):
            continue
        seen.append(current)
        for inner in (getattr(current, "reason", None), current.args[0] if current.args else None,
                      current.__cause__, current.__context__):
            if isinstance(inner, BaseException):
                todo.append(inner)
    return seen


def unreachable_reason(err: BaseException) -> str:
    """Why no connection was made, in a few words that are the same for every call (no object
    addresses, no timeout values): what a report shows once for all the objects that met it."""
    chain = _chain(err)
    if any(isinstance(e, NameResolutionError | socket.gaierror) for e in chain):
        return "its host name does not resolve"
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or "refused" in str(err).lower():
        return "connection refused"
    if any(isinstance(e, ConnectTimeoutError) and not isinstance(e, NewConnectionError) for e in chain) \
            or any(isinstance(e, TimeoutError | socket.timeout) for e in chain):
        return "the connection timed out"
    for e in chain:
        if isinstance(e, OSError) and e.strerror:
            return e.strerror[0].lower() + e.strerror[1:]
    return "no connection could be made"


class Reachability:
    """Per origin: when the current run of connection failures began, and the error given up with."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._failing_since: dict[str, float] = {}
        self._given_up: dict[str, UnreachableError] = {}

    def check(self, origin: str, method: str, path: str) -> None:
        """Fail at once when this process has given up on ``origin``."""
        with self._lock:
            known = self._given_up.get(origin)
        if known is not None:
            raise known.again(method, path)

    def failing_for(self, origin: str, attempted: float) -> float:
        """A connection to ``origin`` tried at ``attempted`` failed: seconds since the first failed
        attempt of this run of them began (a connect that timed out counts from its start)."""
        now = self._clock()
        with self._lock:
            return now - self._failing_since.setdefault(origin, attempted)

    def left(self, origin: str, bound: float) -> float:
        """What is left of ``bound`` seconds since the run of failures began (all of it if none)."""
        with self._lock:
            since = self._failing_since.get(origin)
        return bound if since is None else bound - (self._clock() - since)

    def answered(self, origin: str) -> None:
        """An answer came from ``origin``: whatever failed before has passed."""
        with self._lock:
            self._failing_since.pop(origin, None)

    def give_up(self, origin: str, failure: UnreachableError) -> UnreachableError:
        """Remember ``failure`` for every later call to ``origin``; returns it, to be raised."""
        with self._lock:
            self._given_up.setdefault(origin, failure)
        return failure
