"""Check, before anything runs, that every setting a deploy needs is there; name what is missing.

``python -m aep_iac.preflight [--project DIR] STACK...`` (``*`` or nothing: every stack)

Read from the synthesized stacks (cdk.tf.json): the provider settings that the provider block
leaves to the environment (``AEP_CLIENT_ID``, ``AEP_CLIENT_SECRET``, ``AEP_ORG_ID``) and the
variables whose values are sent on create (the access and secret keys, and the session token of a
connection that declares one), all named at once. Without this, ``cdktf deploy '*'`` could deploy
one sandbox and then stop at the next for a missing key, a user could fix the keys and only then
learn of the token, or (without ``TF_INPUT=0``) Terraform could wait forever at a prompt.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from aep_client.config import ENV_VARS, REQUIRED_SETTINGS
from aep_iac import localdemo
from aep_iac.lock import selected_stacks, stack_dir, synthesized_stacks
from aep_spec.identity import S3_BASE_CONNECTION, TYPE

#: Write-only attributes whose value a create cannot do without.
REQUIRED_SECRETS = ("access_key_wo", "secret_key_wo")
#: Write-only attributes a create sends when the connection declares them with a version (the
#: provider refuses such a create without the value: a session token).
DECLARED_SECRETS = ("session_token_wo",)
_VARIABLE = re.compile(r"^\$\{var\.([A-Za-z_][A-Za-z0-9_-]*)\}$")


def sent_secrets(attributes: Mapping[str, object]) -> list[str]:
    """The write-only attributes a create of this connection sends: the keys, and a declared token."""
    declared = [name for name in DECLARED_SECRETS if attributes.get(f"{name}_version") is not None]
    return [*REQUIRED_SECRETS, *declared]


def missing_settings(stack: str, doc: Mapping[str, object], environ: Mapping[str, str]) -> list[str]:
    """One line per setting ``stack`` needs and does not have."""
    problems: list[str] = []
    providers = doc.get("provider")
    blocks = providers.get(TYPE, []) if isinstance(providers, dict) else []
    for block in blocks if isinstance(blocks, list) else []:
        for name in REQUIRED_SETTINGS:
            if name not in block and not environ.get(ENV_VARS[name], "").strip():
                problems.append(f"{stack}: {ENV_VARS[name]} is not set (the provider's {name}); "
                                f"export {ENV_VARS[name]}=... (in CI, from a secret)")
    resources = doc.get("resource")
    connections = resources.get(S3_BASE_CONNECTION, {}) if isinstance(resources, dict) else {}
    wanted: dict[str, str] = {}
    for key, attributes in connections.items() if isinstance(connections, dict) else ():
        for attribute in sent_secrets(attributes):
            match = _VARIABLE.match(str(attributes.get(attribute, "")))
            if match:
                wanted.setdefault(match.group(1), f"{key}.{attribute}")
    for variable, used_by in sorted(wanted.items()):
        if not environ.get(f"TF_VAR_{variable}", "").strip():
            problems.append(f"{stack}: TF_VAR_{variable} is not set (used by {used_by}); "
                            f"export TF_VAR_{variable}=... (in CI, from a secret)")
    return problems


def check(project: Path, stacks: Sequence[str], environ: Mapping[str, str]) -> list[str]:
    problems: list[str] = []
    for stack in selected_stacks(project, stacks):
        path = stack_dir(project, stack) / "cdk.tf.json"
        if not path.exists():
            problems.append(f"{stack}: no such stack (synthesized: {', '.join(synthesized_stacks(project))})")
            continue
        problems.extend(missing_settings(stack, json.loads(path.read_text()), environ))
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--project", type=Path, default=Path.cwd())
    parser.add_argument("stacks", nargs="*")
    args = parser.parse_args(argv)
    localdemo.apply(args.project.resolve())
    problems = check(args.project.resolve(), args.stacks, os.environ)
    for line in problems:
        print(f"missing setting: {line}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
