"""``aep-iac init [DIR]``: turn an empty folder into a working repository.

It writes ``main.py`` (one commented declaration of each kind, the whole of Adobe's S3 tutorial,
reading the sample files the local AEP serves), ``cdktf.json``, ``requirements.txt`` (this
distribution, pinned), ``package.json`` (the CDKTF CLI, pinned, for ``cdktf deploy``), the CI
workflow, ``.gitignore`` and a README. ``aep-iac demo`` then deploys it at once.

A file already there is never overwritten (``--force`` overwrites the scaffold's own files); no
file written names a path of this machine, so the repository can be committed as it is.
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from aep_spec.identity import VERSION

#: The CDKTF CLI the scaffold pins (the release the construct library is built and tested with).
CDKTF_CLI_VERSION = "0.21.0"
DISTRIBUTION = "aep-iac"


def files(project_id: str) -> dict[str, str]:
    """Every file of the scaffold: its path in the repository, its text."""
    template = resources.files(__package__) / "files"

    def read(name: str) -> str:
        return (template / name).read_text(encoding="utf-8")

    cdktf = {"language": "python", "app": "python3 main.py", "projectId": project_id, "sendCrashReports": "false",
             "terraformProviders": [], "terraformModules": [], "codeMakerOutput": "imports", "context": {}}
    package = {"name": "aep-ingestion", "private": True,
               "description": "Pins the CDKTF CLI for `cdktf deploy` (aep-iac itself needs none).",
               "devDependencies": {"cdktf-cli": CDKTF_CLI_VERSION}}
    return {
        "main.py": read("main.py.tmpl"),
        "cdktf.json": json.dumps(cdktf, indent=2) + "\n",
        "requirements.txt": f"# What the repository's commands and CI install.\n{DISTRIBUTION}[local]=={VERSION}\n",
        "package.json": json.dumps(package, indent=2) + "\n",
        ".github/workflows/aep.yml": read("workflow.yml.tmpl"),
        ".gitignore": read("gitignore.tmpl"),
        "README.md": read("README.md.tmpl"),
    }


def write(folder: Path, force: bool = False) -> tuple[list[str], list[str]]:
    """Write the scaffold into ``folder``; (written, kept as they were)."""
    written, kept = [], []
    for name, text in files(str(uuid.uuid4())).items():
        path = folder / name
        if path.exists() and not force:
            kept.append(name)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        if name == "main.py":
            path.chmod(0o755)
        written.append(name)
    return written, kept


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0].strip("`: "))
    parser.add_argument("dir", nargs="?", type=Path, default=Path.cwd(), help="the folder (default: this one)")
    parser.add_argument("--force", action="store_true", help="overwrite the scaffold's files where they exist")
    args = parser.parse_args(argv)
    folder = args.dir.resolve()
    written, kept = write(folder, args.force)
    for name in written:
        print(f"wrote {name}")
    for name in kept:
        print(f"kept {name} (already there; --force overwrites it)", file=sys.stderr)
    where = "" if folder == Path.cwd() else f"cd {args.dir} && "
    print(f"\nNext: {where}aep-iac demo   (a local AEP, every sandbox deployed to it; then aep-iac plan exits 0)")
    return 0
