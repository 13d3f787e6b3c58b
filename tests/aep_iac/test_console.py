"""make deploy's console: Terraform's lines prefixed with their stack, each diagnostic once."""

from __future__ import annotations

import io
from pathlib import Path

from aep_iac import localdemo
from aep_iac.console import Console

DEAD = "Cannot reach Flow Service: AEP_FLOW_SERVICE_URL=http://127.0.0.1:8799/data/foundation/flowservice"


REFUSED = ["No connection to http://127.0.0.1:8799/data/foundation/flowservice: connection\n",
           "refused (retried for up to 12 s).\n"]


def diagnostic(address: str, line: int, summary: str = DEAD, detail: tuple[str, ...] = (*REFUSED,)) -> list[str]:
    """A diagnostic as Terraform prints it with -no-color."""
    return ["\n", f"Error: {summary}\n", "\n", f"  with {address},\n",
            f'  on cdk.tf.json line {line}, in resource "{address}":\n', f"  {line}:       }},\n", "\n", *detail]


def feed(console: Console, stack: str, lines: list[str]) -> None:
    for text in lines:
        console.line(stack, text)


def test_one_cause_is_shown_once_over_objects_and_stacks_then_counted(tmp_path: Path) -> None:
    localdemo.record(tmp_path, 8799)
    out = io.StringIO()
    console = Console(tmp_path, out)
    feed(console, "s3-dev", ["aep_x.a: Refreshing state... [id=1]\n", *diagnostic("aep_x.a", 10),
                             *diagnostic("aep_x.b", 20)])
    feed(console, "s3-prod", diagnostic("aep_x.a", 10))
    feed(console, "s3-dev", diagnostic("aep_x.c", 30, "Invalid path", ("path: must start with /\n",)))
    console.done("s3-dev")
    console.done("s3-prod")
    text = out.getvalue()
    assert text.count(DEAD) == 1 and text.count("refused (retried") == 1 and "s3-prod" not in text
    assert "s3-dev  aep_x.a: Refreshing state... [id=1]\n" in text and "s3-dev    with aep_x.a,\n" in text
    assert "s3-dev  Error: Invalid path" in text  # another cause: shown
    summary = console.summary()
    assert summary[0] == f"Error: {DEAD} (and 2 more with the same words, not repeated above)"
    assert "`aep-iac local-aep start --port 8799`" in summary[1]


def test_plain_lines_pass_as_they_come(tmp_path: Path) -> None:
    out = io.StringIO()
    console = Console(None, out)
    feed(console, "s3-dev", ["Apply complete!\n", "\n", "Outputs:\n"])
    console.done("s3-dev")
    assert out.getvalue() == "s3-dev  Apply complete!\ns3-dev  \ns3-dev  Outputs:\n"
    assert console.summary() == []
