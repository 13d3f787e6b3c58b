"""``aep-iac``: the one command a team runs in its own repository (and this repository's Makefile
calls), from a scaffold to a verified deploy.

Every subcommand works on the project in the current folder (``-C DIR``: another): its
``main.py`` and ``cdktf.json``, its provider set-up under ``.aep/`` (written there, nowhere else),
its stacks under ``cdktf.out/``. Terraform and the CDK CLI run with the project's own CLI config,
no prompts and nothing calling home. ``aep-iac <command> --help`` documents each one.

Exit statuses follow Terraform's: 0 done, 1 an error, 130 interrupted; ``plan`` 0 no changes / 2
changes / 1 error; ``verify`` and ``status`` 0 all well / 2 something outside expectations / 1 error.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import shlex
import sys
from collections.abc import Callable, MutableMapping, Sequence
from pathlib import Path

from aep_iac import localdemo, mirror
from aep_iac.cdk import framework_path
from aep_spec.commands import CONSOLE, command
from aep_spec.identity import VERSION

#: What every command runs Terraform and the CDK CLI with (besides the project's CLI config).
FIXED_ENVIRONMENT = {"TF_INPUT": "0", "CHECKPOINT_DISABLE": "1", "DISABLE_VERSION_CHECK": "1",
                     "CDKTF_DISABLE_PLUGIN_CACHE_ENV": "1"}
#: jsii prints its Node end-of-life banner through Python as raw bytes (``b'!!...'``), burying
#: synth's own messages; CDKTF 0.21 runs on Node 20, so its banner is silenced (not others').
JSII_NODE_BANNER = "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"
#: The local AEP's port when --port is not given: $AEP_IAC_PORT, else 8750.
PORT_ENV = "AEP_IAC_PORT"


def project_environment(project: Path, environ: MutableMapping[str, str]) -> None:
    """Set what the project's commands run with: its Terraform CLI config (``.aep/cli.tfrc``, our
    provider from its mirror), no prompt, no call home, the framework CLI and this interpreter first
    on the PATH (``cdktf.json``'s ``python3 main.py`` is then this environment's)."""
    environ["TF_CLI_CONFIG_FILE"] = str(mirror.cli_config_file(project))
    environ.update(FIXED_ENVIRONMENT)
    environ.setdefault(JSII_NODE_BANNER, "20")
    environ["PATH"] = framework_path(environ, project)


def _module(name: str, argv: Sequence[str], prog: str) -> int:
    """Run ``aep_iac.<name>``'s command line with ``argv`` (its ``--help`` naming ``prog``)."""
    module = importlib.import_module(f"aep_iac.{name}")
    sys.argv[0] = prog
    code: int | None = module.main(list(argv))
    return int(code or 0)


def _ensure_provider(project: Path) -> None:
    try:
        mirror.ensure(project)
    except FileNotFoundError as exc:
        raise SystemExit(f"{CONSOLE}: Terraform is needed on the PATH (1.11 or later): {exc}") from exc


# ------------------------------------------------------------------------------ composite commands


def provider(args: argparse.Namespace) -> int:
    """Register the provider for this project's Terraform; print the one export it needs."""
    config = mirror.ensure(args.project) if not args.force else \
        mirror.install(args.project / mirror.PROVIDER_DIR, Path(os.path.abspath(sys.executable)))[1]
    print(f"export TF_CLI_CONFIG_FILE={shlex.quote(str(config))}")
    print(f"# {CONSOLE}: provider {VERSION} installed for this project's Terraform ({mirror.PROVIDER_DIR}/); "
          "the line above points Terraform at it (`eval \"$(aep-iac provider)\"`)", file=sys.stderr)
    return 0


def env(args: argparse.Namespace) -> int:
    """Print, as export lines, what the project's commands run with: ``eval "$(aep-iac env)"`` lets
    ``cdktf deploy`` or ``terraform`` run as ``aep-iac`` runs them (after a demo, on its local AEP)."""
    _ensure_provider(args.project)
    wanted: dict[str, str] = {"TF_CLI_CONFIG_FILE": os.environ["TF_CLI_CONFIG_FILE"], **FIXED_ENVIRONMENT,
                              JSII_NODE_BANNER: os.environ[JSII_NODE_BANNER]}
    wanted |= localdemo.defaults(args.project, {k: v for k, v in os.environ.items() if k not in wanted})
    for name, value in wanted.items():
        print(f"export {name}={shlex.quote(value)}")
    return 0


def deploy(args: argparse.Namespace) -> int:
    """Synthesize, lock, check every setting, then apply the stacks (``*``: all)."""
    from aep_iac.lock import prepare

    _ensure_provider(args.project)
    localdemo.apply(args.project)
    if prepare(args.project, stacks=args.stacks) is not None:
        return 1
    verb = "apply" if args.command == "deploy" else "destroy"
    if verb == "apply" and _module("preflight", args.stacks, f"{CONSOLE} deploy") != 0:
        return 1
    return _module("stacks", [verb, *args.stacks], f"{CONSOLE} {args.command}")


def demo(args: argparse.Namespace) -> int:
    """Start the local AEP on ``--port`` (the ``local`` extra), deploy every sandbox to it and show
    what its first runs landed; later commands then use it until told otherwise."""
    if importlib.util.find_spec("moto") is None:
        print(f"{CONSOLE} demo: the local AEP is not installed: pip install 'aep-iac[local]=={VERSION}'",
              file=sys.stderr)
        return 1
    project = args.project
    os.environ.update(localdemo.urls(args.port))  # always the local AEP, whatever AEP_*_URL says
    _ensure_provider(project)
    from aep_iac.lock import prepare

    if prepare(project) is not None:
        return 1
    if _start_local_aep(project, args.port, args.data) != 0:
        return 1
    localdemo.record(project, args.port)
    localdemo.apply(project, announce=True)
    for name, argv in (("preflight", []), ("stacks", ["apply"]), ("demo_report", [])):
        code = _module(name, argv, f"{CONSOLE} demo")
        if code != 0:
            return code
    print(f"The local AEP keeps running on http://127.0.0.1:{args.port} (data in {args.data}); it stops by itself "
          f"after 8 hours. {CONSOLE} plan, deploy, verify, status and destroy now use it (unless "
          f"AEP_FLOW_SERVICE_URL names another). Stop it with: {command('local-aep stop')}")
    return 0


def _start_local_aep(project: Path, port: int, data: Path) -> int:
    from aep_iac import local_aep, sandboxes

    names = sandboxes.names(project / "main.py") if (project / "main.py").exists() else ["prod"]
    code = local_aep.start(port, data.resolve(), project / localdemo.RECORD.parent, ",".join(names))
    if code == 0:
        localdemo.record(project, port)
    return code


def local_aep_command(args: argparse.Namespace) -> int:
    """Start (in the background, recorded for the later commands) or stop the local AEP."""
    from aep_iac import local_aep

    if args.action == "stop":
        return local_aep.stop(args.project / localdemo.RECORD.parent)
    return _start_local_aep(args.project, args.port, args.data)


# ------------------------------------------------------------------------------ the command line

#: Subcommands that are one module's own command line: (module, what it does, arguments put first).
PASSED_ON: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "init": ("scaffold", "turn an empty folder into a working repository (main.py, cdktf.json, CI workflow...)", ()),
    "lock": ("lock", "synthesize main.py and write every stack's provider lock file (offline, from .aep/)", ()),
    "plan": ("plan", "plan every stack: plan.md, plan.json, plan-comment.md; exit 0 no changes, 2 changes, 1 error",
             ("--synth", "--comment", "plan-comment.md")),
    "verify": ("verify", "wait for the runs of what the last deploy changed and judge them; exit 0/2/1", ()),
    "status": ("status", "every dataflow's health: last run, late, drifted, with a picture; exit 0/2/1", ()),
    "forget": ("states", "stop managing stacks main.py no longer declares (objects stay in AEP)", ("forget",)),
    "rebalance": ("rebalance", "even out every sandbox's stacks under a bound, moving state, not objects", ()),
    "migrate": ("migrate", "once after upgrading from 0.1.0: rename every stack's state entries", ()),
}
#: Subcommands of this module's own: what each does, and the function that does it.
OWN: dict[str, tuple[str, Callable[[argparse.Namespace], int]]] = {
    "provider": ("install the provider for this project's Terraform (CDKTF and plain HCL) and print the "
                 "TF_CLI_CONFIG_FILE export it needs; idempotent", provider),
    "env": ("print what the commands run with as export lines, for cdktf or terraform run by hand", env),
    "deploy": ("synthesize, check every setting, apply the stacks; record what verify waits for", deploy),
    "destroy": ("destroy the stacks (a dataset holding records only once its declaration allows it)", deploy),
    "demo": ("start the local AEP (the `local` extra), deploy every sandbox to it, show what landed", demo),
    "local-aep": ("start (recorded for the later commands) or stop the local AEP, in the background",
                  local_aep_command),
}
#: Those that need no provider set-up first.
WITHOUT_PROVIDER = {"init", "provider", "local-aep"}


#: The commands in the order a team meets them (``aep-iac --help`` lists them so).
ORDER = ("init", "provider", "env", "demo", "lock", "plan", "deploy", "verify", "status", "destroy", "local-aep",
         "forget", "rebalance", "migrate")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog=CONSOLE, description=(
        "The one command a team runs in its own repository for AEP ingestion from Amazon S3 as code: "
        "scaffold, provider set-up, plan (plan.md), deploy, verify the runs, report their health."),
        epilog=f"`{CONSOLE} COMMAND --help` documents each command.")
    top.add_argument("--version", action="version", version=f"{CONSOLE} {VERSION}")
    top.add_argument("-C", dest="directory", type=Path, default=None, metavar="DIR",
                     help="the project's folder (default: the current one)")
    commands = top.add_subparsers(dest="command", metavar="COMMAND", required=True)
    built: dict[str, argparse.ArgumentParser] = {}
    for name in ORDER:
        if name in PASSED_ON:
            about = PASSED_ON[name][1]
            built[name] = commands.add_parser(name, help=about, add_help=False, description=about)
            built[name].add_argument("rest", nargs=argparse.REMAINDER)
        else:
            about, run = OWN[name]
            built[name] = commands.add_parser(name, help=about, description=about)
            built[name].set_defaults(run=run)
    built["provider"].add_argument("--force", action="store_true",
                                   help="write the mirror and the CLI config again even when present")
    for name in ("deploy", "destroy"):
        built[name].add_argument("stacks", nargs="*", metavar="STACK",
                                 help="stack names or patterns, e.g. 's3-prod*' (default: every one)")
    built["local-aep"].add_argument("action", choices=["start", "stop"])
    for name in ("demo", "local-aep"):
        built[name].add_argument("--port", type=int, default=int(os.environ.get(PORT_ENV) or localdemo.DEFAULT_PORT),
                                 help=f"on 127.0.0.1 (default ${PORT_ENV}, else {localdemo.DEFAULT_PORT})")
        built[name].add_argument("--data", type=Path, default=None, help="its data folder (default: .local-aep-data)")
    return top


def _split(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """(what the top parser reads, what a passed-on command gets verbatim, its own --help included)."""
    args = list(argv)
    at = 0
    while at < len(args):
        if args[at] == "-C":
            at += 2
        elif args[at] in PASSED_ON:
            return args[:at + 1], args[at + 1:]
        elif not args[at].startswith("-") or args[at] == "--":
            break
        else:
            at += 1
    return args, []


def main(argv: Sequence[str] | None = None) -> int:
    head, rest = _split(sys.argv[1:] if argv is None else argv)
    args = parser().parse_args(head)
    if args.command in PASSED_ON:
        args.rest = rest
    if args.directory is not None:
        os.chdir(args.directory)  # every command's defaults (--project, plan.md...) are then the project's
    args.project = Path.cwd()
    if getattr(args, "data", False) is None:
        args.data = args.project / ".local-aep-data"
    if args.command != "init":
        project_environment(args.project, os.environ)
    try:
        if args.command in PASSED_ON:
            module, _, first = PASSED_ON[args.command]
            if args.command not in WITHOUT_PROVIDER and not {"-h", "--help"} & set(args.rest):
                _ensure_provider(args.project)
            return _module(module, [*first, *args.rest], f"{CONSOLE} {args.command}")
        code: int = args.run(args)
        return code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
