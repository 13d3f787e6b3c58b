"""What the reporting commands (plan, verify, status) share: the same options for where the
project is and where the report goes, the two files they write (Markdown for a reviewer, JSON
for a machine) and the one line that says so with the exit status."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def parser(doc: str | None, report: str) -> argparse.ArgumentParser:
    """A parser with ``--project`` (default: here), ``--out <report>.md`` and ``--json <report>.json``;
    the caller adds its own options, then the ``stacks`` positional."""
    made = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    made.add_argument("--project", type=Path, default=Path.cwd())
    made.add_argument("--out", type=Path, default=Path(f"{report}.md"))
    made.add_argument("--json", type=Path, default=Path(f"{report}.json"))
    return made


def write(out: Path, json_path: Path, markdown: str, doc: Mapping[str, Any]) -> None:
    out.write_text(markdown)
    json_path.write_text(json.dumps(doc, indent=2) + "\n")


def say_written(out: Path, json_path: Path, meaning: str, code: int) -> None:
    print(f"wrote {out} and {json_path} ({meaning}: exit status {code})")
