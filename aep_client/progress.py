"""Retries as they happen, on the terminal of the command that started Terraform.

A provider runs under Terraform, which keeps its stderr for its own log: a user at a terminal would
see nothing while a call is retried, and a dead endpoint looked like a hang. So a command that runs
Terraform for a user at a terminal (``make deploy``, ``scripts/plan``) listens on a datagram socket
(:class:`ProgressListener`, named by ``$AEP_PROGRESS_SOCKET`` in Terraform's environment) and every
provider process sends it one note per retry (:func:`reporter_from_env`); the listener prints one
short line per note, once however many calls and stacks retry the same endpoint together. In CI (no
terminal) nothing listens, and nothing extra is printed. Sending never blocks nor fails a call.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import TextIO

from .command_socket import CommandSocket

__all__ = ["PROGRESS_ENV", "ProgressListener", "RetryNote", "reporter_from_env"]

PROGRESS_ENV = "AEP_PROGRESS_SOCKET"
_MAX_NOTE = 4096


@dataclass(frozen=True)
class RetryNote:
    """One retry: of which service at which URL (the setting's value), why, which attempt comes
    next of how many at most, and in how many seconds."""

    service: str
    url: str
    reason: str
    attempt: int
    attempts: int
    delay: float

    def line(self) -> str:
        return (f"retrying {self.service} at {self.url} ({self.reason}): attempt {self.attempt} of "
                f"{self.attempts}, next in {self.delay:.1f} s")

    @property
    def key(self) -> tuple[str, str, str, int]:
        """What makes the notes of calls retrying together one line."""
        return (self.service, self.url, self.reason, self.attempt)


def reporter_from_env(environ: Mapping[str, str] | None = None) -> Callable[[RetryNote], None] | None:
    """A function sending each note to the command's listener, when one is named; else None."""
    path = (os.environ if environ is None else environ).get(PROGRESS_ENV, "").strip()
    if not path:
        return None

    def report(note: RetryNote) -> None:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender:
                sender.setblocking(False)
                sender.sendto(json.dumps(asdict(note)).encode()[:_MAX_NOTE], path)
        except OSError:
            pass  # the command is gone, or busy: a note is never worth failing a call

    return report


class ProgressListener(CommandSocket):
    """Prints the notes of every provider process of one command on ``out``, while the ``with``
    block runs; a note repeating one printed within ``quiet`` seconds is dropped."""

    env = PROGRESS_ENV
    kind = socket.SOCK_DGRAM
    name = "retry-progress"

    def __init__(self, out: TextIO, quiet: float = 15.0, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.out = out
        self.quiet = quiet
        self._clock = clock
        self._printed: dict[tuple[str, str, str, int], float] = {}

    def show(self, note: RetryNote) -> None:
        now = self._clock()
        last = self._printed.get(note.key)
        if last is not None and now - last < self.quiet:
            return
        self._printed[note.key] = now
        self.out.write(note.line() + "\n")
        self.out.flush()

    def _serve(self) -> None:
        while True:
            try:
                data = self._socket.recv(_MAX_NOTE)
            except OSError:
                return  # closed: the command ended
            try:
                note = RetryNote(**json.loads(data))
            except (ValueError, TypeError):
                continue
            self.show(note)
