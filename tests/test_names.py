"""Release 0.1.0's names are gone from code, docs and examples, but for the migration itself.

0.2.0 named the provider, its types, packages and settings for the platform (docs/design.md,
"Names"); a name of 0.1.0 left behind would show users the old provider in a plan, an example or
an import command. Only the migration (and its guard and tests) and the README's upgrade section
may say them.
"""

from __future__ import annotations

import re
import subprocess

from aep_iac.project import ROOT

OLD_NAMES = re.compile(
    r"flowservice_(s3_base_connection|source_connection|target_connection|dataflow|explore|dataflow_runs)\b"
    r"|terraform\.local/aep/flowservice|terraform-provider-flowservice|provider \"flowservice\""
    r"|\bflowservice_(provider|client|spec)\b|\blocal_flowservice\b|\bLocalFlowService\b|\bFLOWSERVICE_\w+"
    r"|make flowservice|\.flowservice-data|flowservice-daemon")
#: The migration and what tests it: the only places that must say the old names.
MIGRATION = {"aep_spec/legacy.py", "aep_provider/legacy.py", "aep_iac/migrate.py", "aep_iac/lock.py",
             "tests/aep_iac/test_migrate.py", "tests/e2e/test_upgrade_from_0_1.py", "tests/test_names.py"}
#: Sections of documents that explain the migration.
SECTIONS = {"README.md": "## Upgrading", "docs/design.md": "## Names"}


def _section(text: str, heading: str) -> str:
    level = heading.split(" ")[0]
    start = text.index(f"\n{heading}")
    end = text.find(f"\n{level} ", start + 1)
    return text[start:end if end >= 0 else len(text)]


def test_no_name_of_release_0_1_is_left_outside_the_migration() -> None:
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split()
    found = []
    for name in files:
        path = ROOT / name
        if name in MIGRATION or not path.is_file() or name.endswith((".lock", "-lock.json", ".png")):
            continue
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        if name in SECTIONS:
            text = text.replace(_section(text, SECTIONS[name]), "")
        found += [f"{name}:{text.count(chr(10), 0, m.start()) + 1}: {m.group(0)}" for m in OLD_NAMES.finditer(text)]
    assert found == [], "names of release 0.1.0 outside the migration:\n" + "\n".join(found)


def test_the_checked_patterns_do_find_old_names() -> None:
    """The check above is only as good as its pattern: each 0.1.0 name must match it."""
    from aep_spec import legacy

    samples = [*legacy.RENAMED_TYPES, legacy.SOURCE, f"terraform-provider-{legacy.TYPE}", 'provider "flowservice"',
               "flowservice_provider", "local_flowservice", "FLOWSERVICE_MAX_IN_FLIGHT", "make flowservice-stop"]
    assert [s for s in samples if not OLD_NAMES.search(s)] == []
