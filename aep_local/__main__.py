"""Command line: `python -m aep_local --port 8750 --data DIR`.

Servers started by tests must not outlive them, hence `--parent-pid` and `--max-lifetime`.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from pathlib import Path

from aep_iac.processes import process_alive

from .core.app import App
from .core.gateway import DEFAULT_SANDBOX, Gateway
from .core.http import Server, server_address
from .core.ims import DEFAULT_LIFETIME, DEFAULT_SCOPES, TokenService, ims_service
from .core.instrumentation import FAULT_KINDS, FaultConfig, Faults, RequestLog
from .core.store import Store
from .flowservice import errors as flow_errors
from .flowservice import specs
from .flowservice.connectivity import Connectivity, S3Settings
from .ingest import Ingestor
from .local_s3 import SAMPLE_DATA, LocalS3
from .platform import DEFAULT_TENANT, Platform
from .scheduler import ScheduleClock, Scheduler, scheduler_tool
from .seed import Seed, seed_tool


def _csv(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _clients(value: str) -> dict[str, str]:
    clients: dict[str, str] = {}
    for item in _csv(value):
        client_id, sep, secret = item.partition(":")
        if not sep or not client_id or not secret:
            raise argparse.ArgumentTypeError(f"expected id:secret, got {item!r}")
        clients[client_id] = secret
    return clients


def _key_pair(value: str) -> tuple[str, str]:
    key, sep, secret = value.partition(":")
    if not sep or not key or not secret:
        raise argparse.ArgumentTypeError("expected ACCESS_KEY:SECRET_KEY")
    return key, secret


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m aep_local", description="Local emulator of AEP: Flow Service, "
                                "Schema Registry, Catalog, Data Prep and IMS.")
    p.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8750, help="port; 0 picks a free one")
    p.add_argument("--data", default=".local-aep-data", help="directory of the SQLite database")
    p.add_argument("--clients", type=_clients, default=None,
                   help="IMS allow-list id:secret,...; default accepts any non-empty pair")
    p.add_argument("--token-lifetime", type=int, default=DEFAULT_LIFETIME,
                   help="IMS token lifetime in seconds (default 86399)")
    p.add_argument("--allowed-scopes", type=_csv, default=None,
                   help="scopes IMS accepts (comma-separated); 'any' accepts every scope")
    p.add_argument("--tenant", default=DEFAULT_TENANT,
                   help="the Schema Registry's tenant id: custom fields sit under _TENANT, new ids under "
                        "https://ns.adobe.com/TENANT/ (default acme, the seed's)")
    p.add_argument("--sandboxes", type=_csv, default=[],
                   help="sandboxes besides 'prod' (comma-separated)")
    p.add_argument("--require-sandbox-header", action="store_true",
                   help="answer 400/2105 when x-sandbox-name is missing instead of using 'prod'")
    p.add_argument("--page-size", type=int, default=100, help="default list page size")
    p.add_argument("--latency-ms", type=float, default=0.0, help="added to every request")
    p.add_argument("--jitter-ms", type=float, default=0.0, help="random extra latency, up to")
    p.add_argument("--fault-rate", type=float, default=0.0, help="share of requests to fail, 0..1")
    p.add_argument("--fault-kinds", type=_csv, default=["503"],
                   help=f"comma-separated among {', '.join(FAULT_KINDS)}")
    p.add_argument("--fault-seed", type=int, default=None, help="seed for latency and faults")
    p.add_argument("--retry-after", type=int, default=1, help="Retry-After seconds on 429/503")
    p.add_argument("--fault-methods", type=_csv, default=[], help="only these methods")
    p.add_argument("--fault-templates", type=_csv, default=[],
                   help="only these route templates, e.g. '/connections/{id}'")
    p.add_argument("--s3-endpoint", default=None,
                   help="S3 endpoint for /test and /explore, used instead of each serviceUrl "
                        "(e.g. a local moto server)")
    p.add_argument("--allow-local-service-url", action="store_true",
                   help="also accept http://127.0.0.1:PORT (and localhost) as serviceUrl")
    p.add_argument("--allow-remote-s3", action="store_true",
                   help="let /test and /explore contact non-loopback endpoints (real AWS)")
    p.add_argument("--s3-timeout", type=float, default=3.0,
                   help="connect timeout in seconds for S3 calls (read timeout: 3x)")
    p.add_argument("--iam-role-credentials", type=_key_pair, default=None,
                   help="ACCESS_KEY:SECRET_KEY standing in for Adobe's role, for IAMRole Based "
                        "connections' /test and /explore")
    p.add_argument("--local-s3", nargs="?", const=str(SAMPLE_DATA), default=None, metavar="FOLDER",
                   help="start moto's S3 API in this process on 127.0.0.1, seed it from FOLDER (laid out "
                        "<bucket>/<key>; default: the sample data shipped in the package) and use it as "
                        "--s3-endpoint")
    p.add_argument("--local-s3-port", type=int, default=0, help="port of --local-s3 (default: a free one)")
    p.add_argument("--catalog", default=None, metavar="FILE",
                   help="datasets, schemas and mapping sets per sandbox (JSON) instead of the default seed")
    p.add_argument("--scheduler-interval", type=float, default=1.0,
                   help="seconds between the scheduler's checks for due runs (default 1)")
    p.add_argument("--no-scheduler", action="store_true",
                   help="no background scheduler: runs happen only on POST /__local/scheduler/tick|advance")
    p.add_argument("--parent-pid", type=int, default=None, help="exit when this process is gone")
    p.add_argument("--max-lifetime", type=float, default=None, help="exit after this many seconds")
    p.add_argument("--ready-file", default=None, help="write the server URL here once listening")
    p.add_argument("--verbose", action="store_true", help="log each request to stderr")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    faults = Faults(FaultConfig(
        latency_ms=args.latency_ms, jitter_ms=args.jitter_ms, rate=args.fault_rate,
        kinds=args.fault_kinds, seed=args.fault_seed, retry_after=args.retry_after,
        methods=args.fault_methods, templates=args.fault_templates,
    ))
    if args.allowed_scopes is None:
        scopes: frozenset[str] | None = DEFAULT_SCOPES
    elif args.allowed_scopes == ["any"]:
        scopes = None
    else:
        scopes = frozenset(args.allowed_scopes)
    try:
        catalog = Seed.load(args.catalog) if args.catalog else Seed.default()
    except ValueError as exc:
        print(f"--catalog: {exc}", file=sys.stderr)
        return 2
    if args.local_s3 and args.s3_endpoint:
        print("--local-s3 and --s3-endpoint exclude each other", file=sys.stderr)
        return 2
    local_s3 = LocalS3(Path(args.local_s3), args.local_s3_port) if args.local_s3 else None
    s3_endpoint = args.s3_endpoint
    if local_s3 is not None:
        try:
            s3_endpoint = local_s3.start()
        except (ValueError, RuntimeError, OSError) as exc:
            print(f"--local-s3: {exc}", file=sys.stderr)
            return 2
        print(f"local S3 on {s3_endpoint}, seeded from {args.local_s3}", file=sys.stderr, flush=True)
    store = Store(args.data)
    tokens = TokenService(store, clients=args.clients, lifetime=args.token_lifetime,
                          allowed_scopes=scopes)
    if args.allow_local_service_url:
        specs.allow_local_service_urls()
    connectivity = Connectivity(S3Settings(
        endpoint=s3_endpoint, allow_remote=args.allow_remote_s3,
        connect_timeout=args.s3_timeout, read_timeout=args.s3_timeout * 3,
        iam_role_credentials=args.iam_role_credentials))
    clock = ScheduleClock()
    platform = Platform(store, catalog, tenant=args.tenant, page_size=args.page_size, schedule_clock=clock)
    scheduler = Scheduler(platform.flows.runs, Ingestor(connectivity), clock,
                          interval=None if args.no_scheduler else args.scheduler_interval)
    gateway = Gateway(tokens, sandboxes=frozenset({DEFAULT_SANDBOX, *args.sandboxes}),
                      require_sandbox_header=args.require_sandbox_header)
    services = [*platform.services(connectivity), ims_service(tokens, flow_errors.render)]
    app = App(services, gateway, RequestLog(), faults,
              local_tools={"scheduler": scheduler_tool(scheduler),
                           "catalog": seed_tool(catalog), "datasets": platform.datasets_tool()},
              verbose=args.verbose, about={"s3_endpoint": s3_endpoint})
    server = Server((args.host, args.port), app)
    url = f"http://{server_address(server.server_address)}"

    stop = threading.Event()

    def shutdown(reason: str) -> None:
        if not stop.is_set():
            stop.set()
            print(f"stopping: {reason}", file=sys.stderr, flush=True)
            threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, lambda *_: shutdown("SIGTERM"))
    signal.signal(signal.SIGINT, lambda *_: shutdown("SIGINT"))

    def watchdog() -> None:
        deadline = time.monotonic() + args.max_lifetime if args.max_lifetime else None
        while not stop.wait(0.5):
            if args.parent_pid is not None and not process_alive(args.parent_pid):
                shutdown(f"parent {args.parent_pid} is gone")
            if deadline is not None and time.monotonic() >= deadline:
                shutdown("max lifetime reached")

    threading.Thread(target=watchdog, daemon=True).start()
    if args.ready_file:
        tmp = Path(args.ready_file + ".tmp")
        tmp.write_text(url + "\n")
        tmp.replace(args.ready_file)  # atomic: readers never see a half-written URL
    print(f"listening on {url}", flush=True)
    scheduler.start()
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        scheduler.stop()
        server.server_close()
        if local_s3 is not None:
            local_s3.stop()
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
