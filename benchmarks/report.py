"""BENCHMARKS.md: the figures a reviewer reads in a diff, each beside its floor and the ratio."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from benchmarks.figures import RPC_KINDS
from benchmarks.serverlog import KINDS
from constructs_lib.placement import DEFAULT_BOUND

OPERATION_LABELS = {"create": "create", "noop": "no-op", "rotate": "token rotation", "destroy": "destroy"}
SERIES_LABELS = {"deploy": "make deploy", "deploy_s3": "make deploy, S3 state", "terraform": "plain terraform",
                 "trivial": "trivial provider", "terraform_data": "terraform_data",
                 "terraform_data_k": "terraform_data, k states", "floor": "floor"}


def _num(value: Any, digits: int = 2) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _ratio(value: Any) -> str:
    return "n/a" if value is None else f"{value:.2f}x"


def _table(head: list[str], body: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head), *("| " + " | ".join(row) + " |" for row in body)]


def _times(rows: list[dict[str, Any]]) -> list[str]:
    """Seconds of every series and the network ones' ratio to the floor."""
    head = ["operation", "N", "make deploy s", "/ floor", "S3 state s", "/ floor", "plain terraform s", "/ floor",
            "floor s", "synth s", "trivial provider s", "terraform_data s", "terraform_data, k states s"]
    body = []
    for r in rows:
        s, ratio = r["seconds"], r["ratio"]
        synth = (r["details"].get("deploy") or {}).get("synth_s")
        body.append([OPERATION_LABELS[r["operation"]], str(r["n"]),
                     _num(s.get("deploy")), _ratio(ratio.get("deploy")),
                     _num(s.get("deploy_s3")), _ratio(ratio.get("deploy_s3")),
                     _num(s.get("terraform")), _ratio(ratio.get("terraform")), _num(s.get("floor")), _num(synth),
                     _num(s.get("trivial")), _num(s.get("terraform_data")), _num(s.get("terraform_data_k"))])
    return _table(head, body)


def _calls(rows: list[dict[str, Any]]) -> list[str]:
    """Per step of the network series: calls per kind, concurrency, stacks, provider processes and figures."""
    head = ["tool", "operation", "N", "stacks", *KINDS, "in flight (peak)", "provider processes",
            "provider CPU ms / conn", "provider RSS MB"]
    body = []
    for series in ("deploy", "deploy_s3", "terraform"):
        for r in rows:
            d = r["details"].get(series)
            if d is None:
                continue
            body.append([SERIES_LABELS[series], OPERATION_LABELS[r["operation"]], str(r["n"]), str(d["stacks"]),
                         *(str(d["calls"].get(kind, 0)) for kind in KINDS), str(d["peak_in_flight"]),
                         _processes(d), _num(d.get("provider_cpu_ms_per_connection"), 1),
                         _num(d.get("provider_max_rss_mb"), 1)])
    return _table(head, body)


def _processes(d: dict[str, Any]) -> str:
    """Provider processes Terraform launched, and how many were forked from a warm server."""
    count, warm = d.get("provider_processes"), d.get("provider_warm_started")
    return f"{count} ({warm} forked warm)" if warm else _num(count)


def _rpc_cpu(rows: list[dict[str, Any]]) -> list[str]:
    """Provider CPU per connection by RPC kind at the largest N and highest latency."""
    if not rows:
        return []
    latency, n = max((r["latency_ms"], r["n"]) for r in rows)
    head = ["tool", "operation", *RPC_KINDS, "other RPCs", "outside RPCs (start-up, gRPC)",
            "of which warm server", "all"]
    body = []
    for series in ("deploy", "deploy_s3", "terraform", "trivial"):
        for r in rows:
            d = r["details"].get(series)
            if (r["latency_ms"], r["n"]) != (latency, n) or d is None or "rpc_cpu_ms_per_connection" not in d:
                continue
            rpc = d["rpc_cpu_ms_per_connection"]
            other = sum(v for k, v in rpc.items() if k not in RPC_KINDS)
            body.append([SERIES_LABELS[series], OPERATION_LABELS[r["operation"]],
                         *(_num(rpc.get(k, 0.0), 2) for k in RPC_KINDS), _num(other, 2),
                         _num(d["outside_rpcs_cpu_ms_per_connection"], 2),
                         _num(d.get("warm_server_cpu_ms_per_connection"), 2),
                         _num(d["provider_cpu_ms_per_connection"], 2)])
    if not body:
        return []
    return [f"## Provider CPU per connection by RPC kind (N={n}, {latency:g} ms; ms)", "",
            "Summed over every provider process of the step (each RPC handler thread's own CPU clock); "
            "\"outside RPCs\" is the rest of the processes' CPU: interpreter start-up, imports, gRPC's own "
            "threads, and the warm provider server `aep_iac.stacks` forks `make deploy`'s providers from (its "
            "own CPU, from its log; plain terraform and the trivial provider start every process cold). The "
            "trivial provider runs the same protocol layer with no API client behind it "
            "(measured without latency: it makes no call).", "", *_table(head, body), ""]


def _bounds(bounds: list[dict[str, Any]], main_bound: int) -> list[str]:
    if not bounds:
        return []
    first = bounds[0]
    head = ["FLEET_BOUND", "stacks", "synth s", *(f"{OPERATION_LABELS[op]} s (/ floor)" for op in
                                                   ("create", "noop", "rotate", "destroy")), "CPU ms / conn, create"]
    body = []
    for b in bounds:
        cells = [f"{b['seconds'][op]:.2f} ({_ratio(b['ratio'].get(op))})" if op in b["seconds"] else "n/a"
                 for op in ("create", "noop", "rotate", "destroy")]
        label = str(b["bound"])
        if b["bound"] == main_bound:
            label = f"**{label}** (main run{', the default' if main_bound == DEFAULT_BOUND else ''})"
        body.append([label, str(b["stacks"]), _num(b["synth_s"]), *cells,
                     _num(b["cpu_ms_per_connection"].get("create"), 1)])
    return [f"## Bound vs time (N={first['n']}, {first['latency_ms']:g} ms, local state)", "",
            "The sharded deploy of the same fleet with each `FLEET_BOUND` (connections per stack at most), "
            "each once on a fresh emulator (the main bound's row is the main run's), all within the same bound of "
            "Flow Service calls in flight; ratios to the main run's floor.", "",
            *_table(head, body), ""]


def _shares(shares: list[dict[str, Any]], sizes: dict[str, float]) -> list[str]:
    if not shares:
        return []
    per_object = ", ".join(f"{SERIES_LABELS[name]} {size:.0f} bytes" for name, size in sizes.items())
    state = ("Terraform rewrites a state as it records each object, so its own cost grows with the state's size; "
             f"local state per object after create: {per_object}.") if sizes else ""
    head = ["operation", "N", "terraform_data s (Terraform)", "trivial provider s", "protocol layer s (trivial - "
            "terraform_data)", "plain terraform s", "API client, resource code, emulator s (terraform - trivial)",
            "k", "terraform_data, k states s", "make deploy s"]
    body = [[OPERATION_LABELS[s["operation"]], str(s["n"]), _num(s["terraform_data_s"]), _num(s["trivial_s"]),
             _num(s["protocol_s"]), _num(s["terraform_s"]), _num(s["api_and_resources_s"]), _num(s["stacks"]),
             _num(s["terraform_data_k_s"]), _num(s["deploy_s"])] for s in shares]
    return [f"## Whose time: Terraform, our protocol layer, the rest ({shares[0]['latency_ms']:g} ms per request)",
            "", "`terraform_data` is Terraform's built-in resource: no plugin, no network, so its time is "
            "Terraform's own (graph, plan, state). The trivial provider adds our protocol layer (plugin start-up, "
            "gRPC, msgpack) with nothing behind it. Plain terraform on the fleet adds our API client, our "
            "resource code and the emulator's answers. The last three columns compare the sharded deploy with "
            f"terraform_data over the same k states, run by the same runner. {state}", "", *_table(head, body), ""]


def _startup(startup: dict[str, Any]) -> list[str]:
    floor, provider, rpc = startup["floor"], startup["provider"], startup["first_rpc"]
    return [
        f"## Provider start-up ({startup['launches']} launches of each, interleaved)",
        "",
        "Terraform starts the provider 3 times per plan and 4 per apply. The floor is the venv's python "
        "running `import grpc` until it prints a line.",
        "",
        "| from exec to | median ms | p90 ms | min ms | ratio to floor (median) |",
        "|---|---|---|---|---|",
        f"| floor: `import grpc` done, line printed | {floor['median_ms']} | {floor['p90_ms']} | "
        f"{floor['min_ms']} | 1.00x |",
        f"| provider: handshake line (TLS on) | {provider['median_ms']} | {provider['p90_ms']} | "
        f"{provider['min_ms']} | {startup['ratio_median']:.2f}x (p90 {startup['ratio_p90']:.2f}x) |",
        f"| provider: first GetProviderSchema answered (TLS off*) | {rpc['median_ms']} | {rpc['p90_ms']} | "
        f"{rpc['min_ms']} | {rpc['median_ms'] / floor['median_ms']:.2f}x |",
        "",
        f"\\* {startup['first_rpc_note']}.",
        "",
    ]


def _bound_note(bound: int) -> str:
    if bound == DEFAULT_BOUND:
        return "the placement's default, `--bound` to change it"
    return f"`--bound`; the placement's default is {DEFAULT_BOUND}"


def _how(meta: dict[str, Any]) -> str:
    return (
        "How: the fleet app (`aep_iac/apps/fleet.py`, N connections in one sandbox) against the local Flow "
        "Service with the given latency added to every request (IMS included); each tool on a fresh emulator, "
        "each step with a cold IMS token cache. **make deploy** is the fleet with "
        f"`FLEET_BOUND={meta['bound']}` ({_bound_note(meta['bound'])}), spread over "
        "ceil(N / bound) stacks, through the commands `make deploy`, `make plan` and `make destroy` run after "
        "synthesis: `python -m aep_iac.stacks apply` (create), `python -m aep_iac.plan` (no-op), "
        "`aep_iac.stacks apply` after re-synthesizing with every session token rotated "
        "(`FLEET_SESSION_TOKEN_VERSION=2` and a new `TF_VAR_s3_session_token`), `aep_iac.stacks destroy`; "
        f"every stack at once within one bound of {meta['in_flight_bound']} Flow Service calls in flight. "
        "Its times are the runner commands'; **synthesis** (the app run, which `make deploy` does first) is "
        "timed on its own and shown beside create and rotation; `terraform init` and the provider lock files "
        "are set-up (once per stack and machine), for every tool. The runners fork every provider process "
        "from a warm provider server they start per command (its own CPU is counted with the providers'); "
        "plain terraform and the trivial provider start each process cold. **S3 state**: the same on the S3 backend "
        "(`TF_STATE_BACKEND=s3`), a local moto S3 server on 127.0.0.1 started for the run. **plain "
        "terraform**: the fleet without a bound, one stack, `terraform apply`, `plan -detailed-exitcode`, "
        "`apply` after rotation, `destroy` in its folder. **terraform_data**: N of Terraform's built-in "
        "resource holding the same inputs, in one state (plain terraform) and in the k states of the sharded "
        "run (through `aep_iac.stacks`/`aep_iac.plan`, with `AEP_WARM=0`: no plugin to warm); "
        "**trivial provider**: N resources of a no-API "
        "provider on our protocol layer (`benchmarks/trivial_provider.py`), one state; these three make no "
        "call, so they are measured once per N and shown at every latency. The **floor** makes the same API "
        "calls directly with our `FlowServiceClient`, 10 at a time, one IMS token each: create N POSTs, "
        "no-op N GETs, rotation N GETs then N PATCHes, destroy N GETs then N DELETEs. Calls per kind (GET is "
        "one connection, LIST the collection), peak in flight (Flow Service requests the server was serving "
        "at once) and the provider's CPU (summed over every provider process of the command, from "
        "`TF_PROVIDER_STATS_DIR`) are per step. At 0 ms a request lasts about a millisecond, so few overlap "
        "however many are sent at once.")


def markdown(results: dict[str, Any], report_path: Path, png: Path, json_path: Path) -> str:
    meta = results["meta"]
    here = report_path.parent
    png_link = Path(os.path.relpath(png, here)).as_posix()
    json_link = Path(os.path.relpath(json_path, here)).as_posix()
    load = meta["load_average"]
    peak_load = max([load["before"], load["after"], *load.get("by_cell", {}).values()])
    others = [c["others_cpus"] for c in (meta.get("cpu_by_cell") or {}).values() if c.get("others_cpus") is not None]
    sharing = (f" Other work than the benchmark's own used on average at most {max(others):.2f} of the "
               f"{meta['cpus']} CPUs during a run (the CPU the machine spent beyond the benchmark's processes, "
               "over the run's wall time; the load average also carries the previous run's own load)."
               if others else "")
    lines = [
        "# Benchmarks",
        "",
        f"Written by `{meta['command']}` on {meta['written']} in {meta['seconds']:.0f} s: {meta['cpus']} CPUs, "
        f"Python {meta['python']}, Terraform {meta['terraform']}; 1-minute load average {load['before']:.2f} "
        f"before, {load['after']:.2f} after, at most {peak_load:.2f} as a run started (the machine has "
        f"{meta['cpus']} CPUs: above that, threads waited for them; each run's in bench.json).{sharing} Raw "
        f"figures: [{json_link}]({json_link}); plot: [{png_link}]({png_link}).",
        "",
        f"![seconds against N]({png_link})",
        "",
        _how(meta),
        "",
    ]
    targets = results.get("targets") or []
    if targets:
        lines += ["## Targets of the issue (reported, not enforced)", "",
                  *_table(["target", "where", "figure", "limit", "met"],
                          [[t["target"], t["where"], _num(t["value"]), t["limit"], "yes" if t["met"] else "**no**"]
                           for t in targets]), ""]
    lines += _bounds(results.get("bounds") or [], meta["bound"])
    if results.get("grow"):
        lines += _grow(results["grow"])
    if results.get("interrupt"):
        lines += _interrupt(results["interrupt"])
    if results.get("pipelines"):
        lines += _pipelines(results["pipelines"])
    table = results["rows"]
    for latency in dict.fromkeys(r["latency_ms"] for r in table):
        rows = [r for r in table if r["latency_ms"] == latency]
        lines += [f"## {latency:g} ms per request", "", *_times(rows), "", "Calls and provider figures per step:", "",
                  *_calls(rows), ""]
    lines += _shares(results.get("shares") or [], results.get("state_bytes_per_object") or {})
    lines += _rpc_cpu(table)
    lines += _review(results.get("steps") or [])
    if results.get("startup"):
        lines += _startup(results["startup"])
    if results.get("synthesis"):
        lines += _synthesis(results["synthesis"])
    if results.get("frameworks"):
        lines += _frameworks(results["frameworks"])
    if results.get("anomalies"):
        lines += ["## Anomalies", "", *(f"- {a}" for a in results["anomalies"]), ""]
    if results.get("errors"):
        lines += ["## Failures", "", *(f"- {k}: {v}" for k, v in results["errors"].items()), ""]
    return "\n".join(lines)


def _seen(calls: dict[str, int]) -> str:
    """A step's calls as the server counted them, kinds with none left out."""
    return ", ".join(f"{k} {v}" for k, v in calls.items() if v) or "none"


def _grow(figures: dict[str, Any]) -> list[str]:
    return [f"## A fleet grows (N={figures['n']} deployed, {figures['added']} added, {figures['latency_ms']:g} ms)", "",
            f"The new connections open {len(figures['new_stacks'])} new stack(s) "
            f"({', '.join(figures['new_stacks']) or 'none'}) of {figures['stacks']}: one stack creates while the "
            "others only refresh ([benchmarks/grow.py](benchmarks/grow.py)). The floor: every existing connection "
            "refreshed, then the new ones created, 10 at a time.", "",
            *_table(["deploy s", "floor s", "/ floor", "calls", "in flight (peak)", "exit status"],
                    [[_num(figures["seconds"]), _num(figures["floor_s"]), f"{figures['ratio']:.2f}x",
                      _seen(figures["calls"]), str(figures["peak_in_flight"]), str(figures["exit_status"])]]), ""]


def _interrupt(figures: dict[str, Any]) -> list[str]:
    first, again = figures["interrupted"], figures["next_deploy"]
    return [f"## Ctrl-C mid-create (N={figures['n']}, {figures['latency_ms']:g} ms, {figures['stacks']} stacks)", "",
            "The sharded create (`python -m aep_iac.stacks apply`, as `make deploy` runs it) got a terminal's "
            "SIGINT once a third of the creates were answered, then ran again to the end "
            "([benchmarks/interrupt.py](benchmarks/interrupt.py)).", "",
            *_table(["run", "exit status", "seconds", "calls", "connections in Flow Service after it"],
                    [["interrupted", str(first["exit_status"]), f"{_num(first['seconds_to_stop'])} to stop",
                      _seen(first["calls"]), str(first["objects"])],
                     ["next deploy", str(again["exit_status"]), _num(again["seconds"]), _seen(again["calls"]),
                      str(figures["objects"])]]), "",
            f"Duplicates: **{figures['duplicates']}**; missing: **{figures['missing']}** of {figures['n']}.", ""]


def _routes(calls: dict[str, int]) -> str:
    """Calls per route, the IMS token left out (one per command, as in the floor)."""
    return ", ".join(f"{r} {v:,}" for r, v in calls.items() if not r.startswith("POST /ims/")) or "none"


def _pipelines(fleets: list[dict[str, Any]]) -> list[str]:
    first = fleets[0]
    head = ["fleet", "stacks", "step", "seconds", "floor s", "/ floor", "calls (floor)", "beyond the needed calls",
            "in flight (floor)", "provider CPU ms / resource", "failed"]
    body = []
    for fleet in fleets:
        for operation, label in (("create", "create (`make deploy`)"), ("noop", "no-op (`make plan`)")):
            got = fleet[operation]
            synth = f", synth {got['synth_s']:.2f} s" if got.get("synth_s") else ""
            body.append([fleet["label"], str(fleet["stacks"]), label, f"{_num(got['seconds'])}{synth}",
                         _num(got["floor_s"]), _ratio(got["ratio"]),
                         f"{got['calls_total']:,} ({got['floor_calls_total']:,})",
                         _routes(got["beyond_needed"]) if got["beyond_needed"] else "none",
                         f"{got['peak_in_flight']} ({got['floor_peak_in_flight']})",
                         _num(got["provider_cpu_ms_per_object"]), f"{got['failed']} ({got['floor_failed']})"])
    needed = [f"- {fleet['label']}, {operation}: {_routes(fleet[operation]['needed'])}"
              for fleet in fleets[:1] for operation in ("create", "noop")]
    objects = ", ".join(f"{count:,} {noun}s" for noun, count in first["objects"].items())
    return [f"## A fleet of pipelines ({first['latency_ms']:g} ms per request)", "",
            "N S3 connections, each with a dataflow (source connection, target connection, flow), writing through "
            "k XDM schemas, datasets and mapping sets the dataflows share (`FLEET_TARGETS=k`: dataflow i uses target "
            f"i mod k). The first fleet is the issue's: {objects} in AEP ({first['resources']:,} Terraform "
            "resources; an XDM schema is a field group and a schema). `make deploy`'s runner creates it "
            "(`python -m aep_iac.stacks apply` after synthesis), `make plan`'s plans it unchanged "
            "(`python -m aep_iac.plan`, exit 0), each on a fresh emulator; the floor makes the same objects "
            "directly with our client, 10 calls in flight, each call as soon as the calls it needs have answered "
            "(targets, then connections, then sources and targets, then flows), and reads each back once for the "
            "no-op, plus the look-ups by name a stack without the targets would list "
            "([benchmarks/pipelines.py](benchmarks/pipelines.py)).", "",
            "**Stacks.** A sandbox's schemas, datasets and mapping sets live in its first stack; its other "
            "stacks look them up by name (`data.aep_dataset`, `data.aep_mapping_set`). On a create the first "
            "stack applies those alone, then every stack runs side by side. The fleet runs at the default bound "
            "of 200 connections per stack and at 50 (200 objects per state, what a stack of 200 base connections "
            "holds); the same pipelines on the seeded target (the local AEP's own dataset, schema and mapping "
            "set: nothing to look up) show what the look-ups cost.", "",
            *_table(head, body), "",
            "Calls per route are the server's log; *beyond the needed calls* are the listings that find "
            "objects an interrupted deploy left (one per kind and Terraform process that creates) and the schema "
            "read that checks a mapping set's lines at plan. The calls each step needs "
            "(the floor's, besides one IMS token):", "", *needed, ""]


def _review(rows: list[dict[str, Any]]) -> list[str]:
    """The plan of N creates as a pull request gets it: Terraform's time beside writing the review."""
    found = [r for r in rows if r.get("review") and r["tool"] == "deploy" and r["operation"] == "create"]
    if not found:
        return []
    body = [[str(r["n"]), f"{r['latency_ms']:g}", r["backend"], str(r["stacks"]), _num(r["review"]["terraform_s"]),
             _num(r["review"]["report_s"], 3),
             f"{100 * r['review']['report_s'] / max(r['review']['terraform_s'], 1e-9):.1f}%",
             f"{r['review']['plan_md_chars']:,}", f"{r['review']['comment_chars']:,}"] for r in found]
    return ["## Writing the review (plan of N creates)", "",
            "`python -m aep_iac.plan --comment plan-comment.md` before the create step: Terraform's part (every "
            "stack planned and shown as JSON) beside reading those plans and writing plan.md, plan.json and the "
            "comment (plan.json's `timings`); the sizes of plan.md and of the pull-request comment (limit 65,536).",
            "", *_table(["N", "ms", "state", "stacks", "Terraform s", "review s", "share", "plan.md chars",
                         "comment chars"], body), ""]


def _synthesis(figures: dict[str, Any]) -> list[str]:
    seconds = figures["seconds"]
    return ["## Synthesis", "",
            f"`python app.py` of the fleet app (what the CLI runs to synthesize), best of three: N={figures['small']} "
            f"{seconds[str(figures['small'])]} s, N={figures['large']} {seconds[str(figures['large'])]} s: "
            f"**{figures['ms_per_construct']} ms per construct**.", ""]


def _frameworks(figures: dict[str, Any]) -> list[str]:
    lines = ["## CDKTF and CDK Terrain side by side", "",
             f"The fleet app with N={figures['n']} at 0 ms, through each framework's CLI (via `aep_iac.cdk`), "
             "fresh emulator each. Terraform, the provider and the API calls are the same; the difference is "
             "each CLI's own cost.", ""]
    measured = figures["frameworks"]
    if measured:
        commands = list(next(iter(measured.values())))
        lines += ["| command | " + " | ".join(f"{name} s" for name in measured) + " |",
                  "|---|" + "---|" * len(measured)]
        lines += [f"| {c} | " + " | ".join(_num(measured[name][c]) for name in measured) + " |" for c in commands]
    for name in figures["missing"]:
        lines.append(f"\n{name} is not installed here (`make CDK={name} setup` installs it).")
    return [*lines, ""]
