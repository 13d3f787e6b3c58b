"""An apply of the whole tutorial (plain HCL) interrupted while its objects are being created, at API
latency, right after the create of a schema's field group, a dataset or a mapping set: by Ctrl-C
(Terraform stops gracefully) or by ``kill -9`` of terraform (what it had not recorded is lost from
state). The next apply makes exactly what is missing and adopts what the interrupted one left
(by this state's ownership journal): no duplicate of any kind, and every object in state.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from aep_iac.processes import process_alive
from aep_iac.project import interrupt
from aep_local.testing import LocalAep
from tests.e2e.processes import find, is_provider, wait_for
from tests.e2e.tutorial import TYPES, Platform, Tutorial, run, state, terraform_env, tutorial_env

pytestmark = pytest.mark.e2e

LATENCY_MS = 400
#: The collection of each kind's creates, as the request log names them (a schema is two).
CREATES = {"aep_s3_base_connection": ("/connections",), "aep_source_connection": ("/sourceConnections",),
           "aep_xdm_schema": ("/schemaregistry/tenant/fieldgroups", "/schemaregistry/tenant/schemas"),
           "aep_dataset": ("/catalog/dataSets",), "aep_target_connection": ("/targetConnections",),
           "aep_mapping_set": ("/conversion/mappingSets",), "aep_dataflow": ("/flows",)}
COLLECTIONS = [collection for collections in CREATES.values() for collection in collections]
#: Where in Platform.names() each collection's objects are counted by name.
NAMED = {"/schemaregistry/tenant/fieldgroups": "fieldgroups", "/schemaregistry/tenant/schemas": "schemas",
         "/catalog/dataSets": "datasets", "/conversion/mappingSets": "mappingSets"}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LocalAep]:
    (tmp_path / "data").mkdir()
    with LocalAep(data_dir=tmp_path / "data", args=["--local-s3", "--no-scheduler"]) as running:
        yield running


def created(server: LocalAep) -> Counter[str]:
    """Creates the services committed since the last reset, per collection."""
    return Counter(r["template"] for r in server.requests()
                   if r["method"] == "POST" and r["status"] in (200, 201) and r["template"] in COLLECTIONS)


def seen(server: LocalAep, method: str, template: str) -> int:
    """How many ``method template`` calls the services answered since the last reset."""
    return sum(1 for r in server.requests() if (r["method"], r["template"]) == (method, template) and r["status"])


def interrupted(folder: Path, env: dict[str, str], server: LocalAep, after: tuple[str, str, int], how: str) -> str:
    """Start an apply, interrupt it once ``after`` (method, template, count) was answered, and wait
    until it has ended."""
    server.set_faults(latency_ms=LATENCY_MS)
    server.reset_requests()
    process = subprocess.Popen(["terraform", "apply", "-auto-approve", "-no-color"], cwd=folder,
                               env=terraform_env(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, text=True, start_new_session=True)
    try:
        wait_for(lambda: seen(server, *after[:2]) >= after[2], 120, f"{after[2]} x {after[0]} {after[1]}")
        providers = find(process.pid, is_provider)
        if how == "ctrl-c":
            interrupt(process)
        else:
            os.kill(process.pid, signal.SIGKILL)
        output, _ = process.communicate(timeout=180)
        wait_for(lambda: not any(process_alive(pid) for pid in providers), 60, "the provider to end")
        server.wait_idle()  # a killed client's requests still run to their end on the server
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    server.clear_faults()
    return output


#: When to interrupt, each time a create's POST is on the wire: the schema's (its field group just
#: made), the dataset's (its listing at apply answered: the plan made the first), the mapping set's
#: (its sample file's header read at apply, the last call before it).
MOMENTS = {"schema": ("POST", "/schemaregistry/tenant/fieldgroups", 1),
           "dataset": ("GET", "/catalog/dataSets", 2),
           "mapping set": ("GET", "/connections/{id}/explore", 1)}


@pytest.mark.parametrize("how", ["ctrl-c", "kill-9"])
@pytest.mark.parametrize("after", list(MOMENTS))
def test_an_interrupted_apply_of_the_tutorial_converges_without_duplicates(
        tmp_path: Path, server: LocalAep, cli_config: Path, after: str, how: str) -> None:
    env = tutorial_env(server, tmp_path, cli_config)
    tutorial = Tutorial()
    folder = tutorial.write(tmp_path / "tutorial")
    run(folder, env, "init")

    output = interrupted(folder, env, server, MOMENTS[after], how)
    first = created(server)
    assert sum(first.values()) < len(COLLECTIONS), f"the interrupt came too late:\n{output}"
    if how == "ctrl-c":
        assert "Interrupt received" in output, output
    recorded = state(folder)
    unrecorded = sum(first.values()) - len(recorded) - ("aep_xdm_schema" in recorded)

    server.reset_requests()
    again = run(folder, env, "apply", "-auto-approve", check=False)
    assert again.returncode == 0, f"first run:\n{output[-3000:]}\nagain:\n{again.stdout[-5000:]}{again.stderr}"
    total = first + created(server)
    assert total == dict.fromkeys(COLLECTIONS, 1), total  # each made once: none twice, none missing
    assert ("will be adopted" in again.stdout) == (unrecorded > 0), (unrecorded, again.stdout)

    api = Platform(server)
    names = api.names()
    held = state(folder)
    assert sorted(held) == sorted(TYPES)
    for kind, name in tutorial.names.items():
        for collection in CREATES[kind]:
            title = f"{name} fields" if collection.endswith("fieldgroups") else name
            counted = names[NAMED.get(collection, collection)][title]
            assert counted == 1, f"{kind}: {counted} objects named {title!r}"
    schema = held["aep_xdm_schema"]
    assert api.schema(schema["id"]).json()["title"] == tutorial.names["aep_xdm_schema"]
    assert api.field_group(schema["field_group_id"]).json()["title"] == f"{tutorial.names['aep_xdm_schema']} fields"
    assert api.dataset(held["aep_dataset"]["id"]).status_code == 200
    assert api.mapping_set(held["aep_mapping_set"]["id"]).status_code == 200
    assert run(folder, env, "plan", "-detailed-exitcode", check=False).returncode == 0
