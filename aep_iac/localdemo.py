"""The local demo's settings, for every command run after ``make demo`` against its Flow Service.

``make demo`` starts the local AEP on ``PORT`` and records where (``.run/demo.json``).
From then on ``make plan``, ``make deploy``, ``make destroy`` (and ``scripts/plan``) find that
service and the demo's fake credentials without any export, because each of their entry points
calls :func:`apply` first.

Safety: the defaults apply only while the app targets the demo's own Flow Service, that is while
``AEP_FLOW_SERVICE_URL`` is unset or names the recorded demo URL. Pointed anywhere else (real AEP),
nothing is filled in, so a missing setting still fails at once, naming it. Settings the user
exported always win over the demo's.

``python -m aep_iac.localdemo record --project DIR --port PORT`` writes the record.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Mapping, MutableMapping, Sequence
from pathlib import Path
from urllib.parse import urlsplit

from aep_client.config import ENV_VARS
from aep_spec.commands import command
from aep_spec.identity import UNREACHABLE

RECORD = Path(".run") / "demo.json"
#: The demo's own IMS client and org: the local AEP accepts any client.
CLIENT_ID = "local-demo-client"
CLIENT_SECRET = "local-demo-secret"  # noqa: S105 - a fake, for the local emulator only
ORG_ID = "DEMO0000000000000000000@AdobeOrg"
FLOW_URL_ENV = ENV_VARS["flow_service_url"]
#: The Makefile's PORT when none is given.
DEFAULT_PORT = 8750


def urls(port: int) -> dict[str, str]:
    """The Flow Service and IMS URLs of a local AEP on ``port``."""
    base = f"http://127.0.0.1:{port}"
    return {FLOW_URL_ENV: f"{base}/data/foundation/flowservice", ENV_VARS["ims_url"]: base}


def record(project: Path, port: int) -> Path:
    path = project / RECORD
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"port": port, **urls(port)}, indent=2) + "\n")
    return path


def recorded_port(project: Path) -> int | None:
    """The port ``make demo`` recorded, or None (no demo, or an unreadable record)."""
    try:
        return int(json.loads((project / RECORD).read_text())["port"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def recorded(project: Path) -> dict[str, str] | None:
    """The URLs ``make demo`` recorded, or None (no demo, or an unreadable record)."""
    port = recorded_port(project)
    return None if port is None else urls(port)


#: How the provider's diagnostics about an endpoint end: the setting and its value.
_ENDPOINT = re.compile(r" (AEP_[A-Z_]+_URL)=(\S+)$")


def advice_for(project: Path, summary: str) -> str | None:
    """:func:`advice` for a diagnostic of the provider about an endpoint (``Cannot reach Flow
    Service: AEP_FLOW_SERVICE_URL=...``, ``No Flow Service API at ...``); None for any other."""
    match = _ENDPOINT.search(summary.strip())
    if match is None:
        return None
    return advice(project, match.group(1), match.group(2), answered=not summary.startswith(UNREACHABLE))


def advice(project: Path, setting: str, url: str, *, answered: bool) -> str | None:
    """What to do when ``url``, the value of ``setting``, is (or is near) the recorded demo's and
    fails: nothing answered there (its local AEP is not running: how to start it), or something
    answered but not that service (the path is wrong: the demo's own URL). None otherwise."""
    port = recorded_port(project)
    if port is None:
        return None
    demo = urls(port).get(setting)
    url = url.rstrip("/")
    own = None if port == DEFAULT_PORT else port
    if not answered and (url == demo or urlsplit(url).netloc == f"127.0.0.1:{port}"):  # any of its services
        return (f"The local AEP of `{command('demo')}` (port {port}) is not running: start it with "
                f"`{command('local-aep start', port=own)}` (or `{command('demo', port=own)}`).")
    if answered and demo is not None and url != demo and urlsplit(url).netloc == urlsplit(demo).netloc:
        return f"The local AEP of `{command('demo')}` serves {setting}={demo}."
    return None


def credential_variables(project: Path) -> list[str]:
    """The secret variables the synthesized stacks declare (the credentials they send)."""
    names: set[str] = set()
    for path in (project / "cdktf.out" / "stacks").glob("*/cdk.tf.json"):
        try:
            variables = json.loads(path.read_text()).get("variable") or {}
        except ValueError:
            continue
        names.update(name for name, spec in variables.items()
                     if isinstance(spec, dict) and (spec.get("sensitive") or spec.get("ephemeral")))
    return sorted(names)


def defaults(project: Path, environ: Mapping[str, str]) -> dict[str, str]:
    """What to add to ``environ`` so that commands reach the demo; empty when it must not."""
    demo = recorded(project)
    if demo is None:
        return {}
    target = environ.get(FLOW_URL_ENV, "").strip().rstrip("/")
    if target and target != demo[FLOW_URL_ENV]:
        return {}  # pointed at another Flow Service: never fill in fake credentials
    wanted = dict(demo) | {ENV_VARS["client_id"]: CLIENT_ID, ENV_VARS["client_secret"]: CLIENT_SECRET,
                           ENV_VARS["org_id"]: ORG_ID}
    wanted |= {f"TF_VAR_{name}": f"FAKE-DEMO-{name.upper()}" for name in credential_variables(project)}
    return {name: value for name, value in wanted.items() if not environ.get(name, "").strip()}


def apply(project: Path, environ: MutableMapping[str, str] | None = None, announce: bool = False) -> dict[str, str]:
    """Fill ``environ`` (default: this process's) with the demo's settings where they apply."""
    env = os.environ if environ is None else environ
    added = defaults(project, env)
    env.update(added)
    if announce and FLOW_URL_ENV in added:
        print(f"Using the local demo's Flow Service at {added[FLOW_URL_ENV]} and its fake credentials "
              f"(recorded by `{command('demo')}` in {RECORD}); set {FLOW_URL_ENV} to use another "
              "Flow Service.",
              file=sys.stderr)
    return added


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("action", choices=["record"])
    parser.add_argument("--project", type=Path, default=Path.cwd())
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    record(args.project.resolve(), args.port)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
