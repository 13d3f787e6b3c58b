"""Terraform's own output for many stacks at once, as ``make deploy`` shows it: every line as it comes,
prefixed with its stack, but each diagnostic once.

Terraform repeats a provider's diagnostic for every object that meets it, in every stack: an
endpoint nobody answers is one cause, yet a deploy of 13 objects in 3 stacks would print it 13
times, each with its resource and source line. Here the first one is shown whole and the others
are counted (same words apart from the resource they name): :meth:`Console.summary` says how many,
and how to start ``make demo``'s local AEP when the endpoint is its own.
"""

from __future__ import annotations

import re
import sys
import threading
from pathlib import Path
from typing import TextIO

from aep_iac import localdemo

#: The first line of a diagnostic in Terraform's ``-no-color`` output.
_START = re.compile(r"^(Error|Warning): (.+)$")
#: Lines of a diagnostic that name where it was met (the resource, the configuration's lines).
_WHERE = re.compile(r"^\s*(with .+,|on .+:|\d+: .*)$")


class Console:
    """Stack-prefixed lines on ``out``, each distinct diagnostic once over every stack."""

    def __init__(self, project: Path | None = None, out: TextIO | None = None) -> None:
        self.project = project
        self.out = out or sys.stdout
        self._lock = threading.Lock()
        self._pending: dict[str, list[str]] = {}
        self._blank: dict[str, list[str]] = {}
        self._repeats: dict[tuple[str, ...], int] = {}

    def line(self, stack: str, text: str) -> None:
        """One line of ``stack``'s Terraform: shown, or held while it belongs to a diagnostic."""
        with self._lock:
            if _START.match(text.rstrip("\n")):
                self._flush(stack)
                self._pending[stack] = [*self._blank.pop(stack, []), text]
            elif stack in self._pending:
                self._pending[stack].append(text)
            elif not text.strip():  # Terraform opens each diagnostic with one: it goes with the block
                self._blank.setdefault(stack, []).append(text)
            else:
                self._write(stack, [*self._blank.pop(stack, []), text])

    def done(self, stack: str) -> None:
        """``stack``'s Terraform ended: its last diagnostic is complete."""
        with self._lock:
            self._flush(stack)
            self._write(stack, self._blank.pop(stack, []))

    def summary(self) -> list[str]:
        """What was not repeated, and what to do when the endpoint is the demo's local AEP."""
        lines = []
        for key, more in self._repeats.items():
            if more:
                lines.append(f"{key[0]} (and {more} more with the same words, not repeated above)")
            advice = localdemo.advice_for(self.project, _START.sub(r"\2", key[0])) if self.project else None
            if advice:
                lines.append(f"  {advice}")
        return lines

    def _flush(self, stack: str) -> None:
        block = self._pending.pop(stack, None)
        if not block:
            return
        key = tuple(line.strip() for line in block if line.strip() and not _WHERE.match(line.rstrip("\n")))
        if key in self._repeats:
            self._repeats[key] += 1
            return
        self._repeats[key] = 0
        self._write(stack, block)

    def _write(self, stack: str, lines: list[str]) -> None:
        if lines:
            self.out.write("".join(f"{stack}  {line}" for line in lines))
            self.out.flush()
