"""Every bad input is stopped before the API, at the earliest stage that can see it, with a message
naming the field and the rule, and nothing written.

Stages: ``synth`` (the construct library, while the app runs), ``preflight`` (``make deploy``'s
check of settings), ``validate``/``configure``/``plan`` (the provider, during ``terraform plan``)
and, for what only Flow Service or IMS can know, the server's answer at plan or apply. Each case
asserts its stage, the words of its message and that the local AEP holds no connection
and received no successful write.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from aep_iac import preflight
from aep_iac.project import CdktfProject
from aep_local.testing import LocalAep
from constructs_lib import (
    AccessKeyAuth,
    AepProvider,
    ConstructError,
    Dataflow,
    Delimited,
    IamRoleAuth,
    Json,
    MappingSet,
    S3BaseConnection,
    S3Connection,
    Sandbox,
    SandboxOverride,
    Schedule,
    StateBackend,
    deployments,
)
from tests.conftest import CLIENT_ID, CLIENT_SECRET, FlowApi, provider_env
from tests.constructs_lib import support
from tests.e2e.requestlog import writes

INGESTION_APP = Path(__file__).parent / "apps" / "ingestion.py"
KEYS = {"TF_VAR_s3_access_key": "AKIABADINPUT0001", "TF_VAR_s3_secret_key": "bad-input-secret-0001",
        "TF_VAR_s3_session_token": "bad-input-token-0001"}


# --- stage "synth": the construct library refuses the declaration ----------------------------


def _connection(**props: Any) -> None:
    stack = support.TerraformStack(support.Testing.app(), "bad")
    token = support.TerraformVariable(stack, "key", type="string", sensitive=True).string_value
    auth = props.pop("auth", AccessKeyAuth(access_key=token, secret_key=token))
    S3BaseConnection(stack, "conn", **({"name": "conn", "auth": auth} | props))


def _provider(**props: Any) -> None:
    AepProvider(support.TerraformStack(support.Testing.app(), "bad"), "aep", **props)


def _fleet(*connections: S3Connection, sandboxes: tuple[Sandbox, ...] = (Sandbox("dev"),),
           dataflows: tuple[Dataflow, ...] = ()) -> None:
    deployments(list(sandboxes), list(connections), list(dataflows))


ORDERS = S3Connection("orders", "Orders", bucket_name="acme-orders", folder_path="exports")
SCHEMA = "https://ns.adobe.com/acme/schemas/5b7ff8b4e4a0c7d9b1f8a3c2d6e9f0a1"


def _flow(**props: Any) -> None:
    """A dataflow over the ``orders`` connection with one prop changed, validated as main.py's would be."""
    values: dict[str, Any] = {"key": "flow", "name": "Flow", "connection": "orders", "format": Delimited(),
                              "dataset_id": "64d0a1b2c3d4e5f6a7b8c9d0", "schema_id": SCHEMA,
                              "mapping": MappingSet("0f3a5c7e9b1d4f6a8c0e2a4c6e8a0c2e"),
                              "schedule": Schedule.every(15, "minute")} | props
    _fleet(ORDERS, dataflows=(Dataflow(**values),))


SYNTH: list[tuple[str, Callable[[], None], str]] = [
    ("bucket-chars", lambda: _connection(bucket_name="Bad_Bucket"), "bucket_name: may contain only lowercase"),
    ("bucket-short", lambda: _connection(bucket_name="ab"), "bucket_name: must be 3 to 63 characters"),
    ("bucket-ip", lambda: _connection(bucket_name="192.168.1.10"), "must not be formatted as an IP address"),
    ("folder-trailing", lambda: _connection(folder_path="data/"), "folder_path: must not end with '/'"),
    ("folder-empty-part", lambda: _connection(folder_path="a//b"), "path component 2 is empty"),
    ("folder-reserved", lambda: _connection(folder_path="in/CON"), "'CON' is a reserved name"),
    ("folder-control", lambda: _connection(folder_path="in/\tx"), "folder_path: must not contain control"),
    ("folder-forbidden", lambda: _connection(folder_path="a:b"), "contains forbidden characters :"),
    ("url-http", lambda: _connection(service_url="http://s3.us-east-1.amazonaws.com"), "the scheme must be https"),
    ("url-host", lambda: _connection(service_url="https://minio.example.com"),
     "service_url: must be https://s3.{REGION}.amazonaws.com"),
    ("region-case", lambda: _connection(region="US-EAST-1"), "region: must be an AWS region name"),
    ("region-and-url", lambda: _connection(region="us-east-1", service_url="https://s3.us-east-1.amazonaws.com"),
     "give either region or service_url, not both"),
    ("name-empty", lambda: _connection(name=" "), "name: must be a non-empty string"),
    ("name-newline", lambda: _connection(name="two\nlines"), "name: must not contain control characters"),
    ("description-control", lambda: _connection(description="tab\there"), "description: must not contain control"),
    ("iam-no-bucket", lambda: _connection(auth=IamRoleAuth()), "bucket_name: is required by auth spec 'IAMRole Based'"),
    ("literal-secret", lambda: _connection(auth=AccessKeyAuth(access_key="AKIALITERAL", secret_key="x")),
     "AccessKeyAuth.access_key: must be a token"),
    ("provider-org", lambda: _provider(org_id="1234567890"), "org_id: must be an IMS organization id"),
    ("provider-sandbox", lambda: _provider(sandbox_name="Prod!"), "sandbox_name: must be a sandbox name"),
    ("provider-timeout", lambda: _provider(request_timeout=0), "request_timeout: must be a number greater than 0"),
    ("provider-url", lambda: _provider(flow_service_url="ftp://flow"), "flow_service_url: must be an http(s) URL"),
    ("fleet-duplicate-name", lambda: _fleet(S3Connection("a", "same"), S3Connection("b", "same")),
     "each connection name in sandbox 'dev' must be unique"),
    ("fleet-unknown-sandbox", lambda: _fleet(S3Connection("a", "x", sandboxes=("qa",))), "names an unknown sandbox"),
    ("fleet-sandbox-name", lambda: _fleet(S3Connection("a", "x"), sandboxes=(Sandbox("Dev_1"),)),
     "name: must be a sandbox name"),
    ("fleet-key", lambda: _fleet(S3Connection("9 lives", "x")), "key: must start with a letter"),
    ("fleet-credentials", lambda: _fleet(S3Connection("a", "x"), sandboxes=(Sandbox("dev", credentials="s3-dev"),)),
     "invalid credentials in Sandbox('dev')\n  credentials: must be a variable prefix"),
    ("fleet-override-credentials",
     lambda: _fleet(S3Connection("a", "x", overrides={"dev": SandboxOverride(credentials="dev keys")})),
     "invalid credentials in s3-dev/a\n  credentials: must be a variable prefix"),
    ("state-bucket", lambda: StateBackend.from_env({"TF_STATE_BACKEND": "s3"}), "TF_STATE_BUCKET: must name"),
    ("flow-outside-folder", lambda: _flow(path="/acme-orders/other"),
     "path: must lie inside the base connection's bucket and folder (/acme-orders/exports)"),
    ("flow-path-wildcard", lambda: _flow(path="x*/y.csv"), "path: may hold wildcards (* or ?) only in its last"),
    ("flow-delimiter", lambda: _flow(format=Delimited(delimiter="||")), "format.delimiter: must be exactly one"),
    ("flow-encoding", lambda: _flow(format=Delimited(encoding="UTF-16")), "format.encoding: must be one of UTF-8"),
    ("flow-compression", lambda: _flow(format=Json(compression="rar")), "format.compression: must be one of bzip2"),
    ("flow-no-mapping", lambda: _flow(mapping=None), "mapping.id: is required for delimited data"),
    ("flow-mapping-id", lambda: _flow(mapping=MappingSet("not-hex")), "mapping.id: must be a mapping set id"),
    ("flow-dataset", lambda: _flow(dataset_id="orders"), "dataset_id: must be a Catalog dataset id"),
    ("flow-schema", lambda: _flow(schema_id="orders"), "schema_id: must be an XDM schema $id"),
    ("flow-interval", lambda: _flow(schedule=Schedule.every(5, "minute")),
     "schedule.interval: must be a whole number of at least 15 when frequency is minute"),
    ("flow-once", lambda: _flow(schedule=Schedule("once", 15)), "schedule.interval: must not be set when frequency"),
    ("flow-start-ms", lambda: _flow(schedule=Schedule.every(1, "hour", start_time=1_700_000_000_000)),
     "schedule.start_time: must be in epoch seconds, not milliseconds"),
    ("flow-connection", lambda: _flow(connection="nope"), "connection: names no S3Connection (keys: orders)"),
    ("flow-duplicate-name", lambda: _fleet(ORDERS, dataflows=tuple(
        Dataflow(key=key, name="Same", connection="orders", format=Json(), dataset_id="64d0a1b2c3d4e5f6a7b8c9d0",
                 schema_id=SCHEMA, schedule=Schedule.every(1, "day")) for key in ("a", "b"))),
     "each dataflow name in sandbox 'dev' must be unique"),
]


@pytest.mark.parametrize(("case", "build", "message"), SYNTH, ids=[c[0] for c in SYNTH])
def test_synth_stage(case: str, build: Callable[[], None], message: str) -> None:
    with pytest.raises(ConstructError) as raised:
        build()
    assert message in str(raised.value)
    assert "AKIALITERAL" not in str(raised.value)


@pytest.mark.e2e
def test_synth_errors_print_one_clean_block_per_violation(tmp_path: Path, cli_config: Path) -> None:
    """Through the real CLI: no traceback, each violation once, exit status non-zero."""
    app = tmp_path / "broken.py"
    app.write_text(
        "from constructs_lib import S3Connection, Sandbox, define, synth\n"
        "synth.run(lambda app: define(app, [Sandbox('dev')], [\n"
        "    S3Connection('a', 'orders', bucket_name='Orders_Bucket'),\n"
        "    S3Connection('b', 'crm', folder_path='in/'),\n"
        "]))\n")
    project = CdktfProject(tmp_path / "app", cli_config, {}, app_file=app, stacks=("s3-dev",))
    # The make targets synthesize first (aep_iac.lock): the report appears once, then they stop.
    run = project.run([sys.executable, "-m", "aep_iac.lock", "--project", ".", "--app", "broken.py"], check=False)
    assert run.returncode == 1
    assert "Traceback" not in run.output
    assert run.output.count("bucket_name: may contain only lowercase") == 1, run.output
    assert run.output.count("folder_path: must not end with '/'") == 1
    assert "Error: invalid bucket_name in s3-dev/a" in run.output and "value: 'Orders_Bucket'" in run.output
    # The bare CLI shows the same report (cdktf-cli repeats an app's output in its own summary), no traceback.
    run = project.cdktf("synth", check=False)
    assert run.returncode != 0 and "Traceback" not in run.output
    assert "bucket_name: may contain only lowercase" in run.output


# --- the provider, through real terraform, with the construct bypassed ---------------------------


@dataclass
class Case:
    """A cdk.tf.json change and/or settings, and what stops it."""

    id: str
    stage: str
    message: list[str]
    resource: dict[str, Any] = field(default_factory=dict)
    provider: dict[str, Any] = field(default_factory=dict)
    env: dict[str, str | None] = field(default_factory=dict)
    server: Callable[[LocalAep, FlowApi], None] | None = None
    command: str = "plan"
    target: tuple[str, str] = ("aep_s3_base_connection", "amazon_s3")


SOURCE = ("aep_source_connection", "orders")
TARGET = ("aep_target_connection", "orders")
FLOW = ("aep_dataflow", "orders")


def foreign_connection(server: LocalAep, api: FlowApi) -> None:
    """Someone else's connection with the name the configuration wants."""
    body = {"name": "Amazon S3 base connection", "auth": {"specName": "Access Key", "params": {
        "s3AccessKey": "OTHER", "s3SecretKey": "OTHER"}}, "connectionSpec": {
        "id": "ecadc60c-7455-4d87-84dc-2a0e293d997b", "version": "1.0"}}
    headers = server.auth_headers(client_id="someone-else", client_secret="their-secret", org_id=api.headers()[
        "x-gw-ims-org-id"], sandbox="prod")
    assert requests.post(f"{server.flow_url}/connections", json=body, headers=headers, timeout=10).status_code == 201


def refuse_creates(server: LocalAep, api: FlowApi) -> None:
    server.set_faults(methods=["POST"], templates=["/connections"], script=["500"] * 12)


def throttle(server: LocalAep, api: FlowApi) -> None:
    server.set_faults(methods=["POST"], templates=["/connections"], script=["429"] * 12, retry_after=0)


PROVIDER_CASES = [
    Case("bucket", "validate", ["Invalid bucket_name", "may contain only lowercase"], {"bucket_name": "Not_A_Bucket"}),
    Case("folder", "validate", ["Invalid folder_path", "reserved name"], {"folder_path": "data/CON"}),
    Case("url", "validate", ["Invalid service_url", "scheme must be https"], {"service_url": "http://s3.x"}),
    Case("name", "validate", ["Invalid name", "control characters"], {"name": "bad\u0007name"}),
    Case("auth-spec", "validate", ["auth_spec_name", "must be 'Access Key' or 'IAMRole Based'"],
         {"auth_spec_name": "Basic"}),
    Case("empty-secret", "validate", ["Invalid access_key_wo", "must not be empty"], env={"TF_VAR_s3_access_key": ""}),
    Case("secret-newline", "validate", ["Invalid secret_key_wo", "control characters"],
         env={"TF_VAR_s3_secret_key": "abc\n"}),
    Case("provider-timeout", "validate", ["Invalid max_retries", "must be 0 or more"], provider={"max_retries": -1}),
    Case("org-id", "configure", ["org_id: must be an IMS organization id", "AEP_ORG_ID"],
         env={"AEP_ORG_ID": "1234567890"}),
    Case("sandbox-name", "validate", ["sandbox_name: must be a sandbox name"], provider={"sandbox_name": "Prod_1"}),
    Case("client-id-missing", "configure", ["client_id (AEP_CLIENT_ID)"], env={"AEP_CLIENT_ID": None}),
    Case("version-without-secret", "plan", ["Credentials missing to create connection", "Not set: session_token_wo",
                                            "Flow Service never returns them"],
         env={"TF_VAR_s3_session_token": None}),
    Case("unknown-sandbox", "plan", ["Sandbox not found", "'qa'", "status 404", "code 2100"],
         provider={"sandbox_name": "qa"}),
    Case("name-taken", "plan", ["already exists in sandbox 'prod'", "import_from", "created by someone-else"],
         server=foreign_connection),
    Case("ims-refuses", "plan", ["Adobe IMS", "Client credentials rejected", "AEP_CLIENT_SECRET"],
         env={"AEP_CLIENT_SECRET": "not-the-secret"}),
    Case("server-500", "apply", ["Flow Service", "status 500", "request id"], server=refuse_creates,
         command="apply"),
    Case("throttled", "apply", ["Too Many Requests", "status 429", "lower -parallelism"], server=throttle,
         env={"AEP_MAX_RETRIES": "2"}, command="apply"),
    Case("source-path", "validate", ["Invalid path", "must start with / and the bucket name"],
         {"path": "acme-orders/exports"}, target=SOURCE),
    Case("source-format", "validate", ["Invalid format", "must be one of delimited, json, parquet"],
         {"format": "xml"}, target=SOURCE),
    Case("source-delimiter", "validate", ["Invalid column_delimiter", "exactly one character"],
         {"column_delimiter": ";;"}, target=SOURCE),
    Case("source-encoding", "validate", ["Invalid encoding", "must be one of UTF-8, ISO-8859-1"],
         {"encoding": "UTF-16"}, target=SOURCE),
    Case("source-recursive-file", "validate", ["Invalid recursive", "applies to folders only"],
         {"path": "/acme-orders/exports/orders/a.csv", "path_type": "file", "recursive": True}, target=SOURCE),
    Case("target-dataset", "validate", ["Invalid dataset_id", "24 lowercase hexadecimal"], {"dataset_id": "orders"},
         target=TARGET),
    Case("target-schema", "validate", ["Invalid schema_id", "https://ns.adobe.com/"], {"schema_id": "orders"},
         target=TARGET),
    Case("flow-interval", "validate", ["Invalid interval", "at least 15 when frequency is minute"], {"interval": 5},
         target=FLOW),
    Case("flow-frequency", "validate", ["Invalid frequency", "once, minute, hour, day, week"],
         {"frequency": "fortnight"}, target=FLOW),
    Case("flow-once", "validate", ["Invalid interval", "must not be set when frequency is once"],
         {"frequency": "once"}, target=FLOW),
    Case("flow-start-ms", "validate", ["Invalid start_time", "epoch seconds, not milliseconds"],
         {"start_time": 1_700_000_000_000}, target=FLOW),
    Case("flow-mapping", "validate", ["Invalid mapping_id", "32 lowercase hexadecimal"], {"mapping_id": "x"},
         target=FLOW),
    Case("dataset-unknown", "apply", ["Flow Service create failed", "status 400", "aaaaaaaaaaaaaaaaaaaaaaaa"],
         {"dataset_id": "aaaaaaaaaaaaaaaaaaaaaaaa"}, target=TARGET, command="apply"),
    Case("mapping-unknown", "apply", ["Flow Service create failed", "status 400", "1419"],
         {"mapping_id": "ffffffffffffffffffffffffffffffff"}, target=FLOW, command="apply"),
]


@pytest.fixture(scope="module")
def bad_input_project(tmp_path_factory: pytest.TempPathFactory, cli_config: Path) -> Iterator[tuple[CdktfProject, LocalAep, FlowApi, dict[str, Any]]]:  # noqa: E501
    """The whole ingestion path in one stack (tests/e2e/apps/ingestion.py), every case a change of it."""
    tmp = tmp_path_factory.mktemp("bad-input")
    (tmp / "data").mkdir()
    clients = f"{CLIENT_ID}:{CLIENT_SECRET},someone-else:their-secret"
    args = ["--sandboxes", "dev", "--clients", clients, "--local-s3", "--no-scheduler"]
    with LocalAep(data_dir=tmp / "data", args=args) as server:
        env = provider_env(server, tmp / "token-cache") | KEYS | {"FLOW_REPORTS": "false"}
        project = CdktfProject(tmp / "app", cli_config, env, app_file=INGESTION_APP, stacks=("s3-ingestion",))
        project.lock()
        project.terraform("init", "-input=false", "-no-color")
        doc = json.loads((project.stack_dir() / "cdk.tf.json").read_text())
        yield project, server, FlowApi(server), doc


def everything(server: LocalAep, api: FlowApi) -> list[tuple[str, str]]:
    """(collection, id) of every object the sandbox holds, dependents first."""
    found = []
    for path in ("/flows", "/sourceConnections", "/targetConnections", "/connections"):
        items = requests.get(f"{server.flow_url}{path}", headers=api.headers(), timeout=10).json()["items"]
        found += [(path, item["id"]) for item in items]
    return found


@pytest.mark.e2e
@pytest.mark.parametrize("case", PROVIDER_CASES, ids=[c.id for c in PROVIDER_CASES])
def test_provider_stage(case: Case, bad_input_project: tuple[CdktfProject, LocalAep, FlowApi,
                                                            dict[str, Any]]) -> None:
    project, server, api, original = bad_input_project
    doc = json.loads(json.dumps(original))
    kind, key = case.target
    doc["resource"][kind][key].update(case.resource)
    doc["provider"]["aep"][0].update(case.provider)
    (project.stack_dir() / "cdk.tf.json").write_text(json.dumps(doc))
    server.clear_faults()
    server.reset_requests()
    before = set(everything(server, api))
    try:
        if case.server:
            case.server(server, api)
        args = ["apply", "-auto-approve"] if case.command == "apply" else ["plan"]
        run = project.terraform(*args, "-input=false", "-no-color", extra_env=case.env, check=False)
        server.clear_faults()
        message = " ".join(run.output.split())
        assert run.returncode != 0, run.output
        for words in case.message:
            assert words in message, (words, run.output)
        assert "Traceback" not in run.output
        created = {object_id for _, object_id in set(everything(server, api)) - before}
        if case.server is foreign_connection:
            created -= {object_id for path, object_id in everything(server, api) if path == "/connections"}
        if case.stage in ("validate", "configure", "plan"):
            assert not re.search(r"Apply complete|Creating\.\.\.", run.output)
            assert (created == set() and [w for w in writes(server) if 200 <= (w.get("status") or 0) < 300] == []) \
                or case.server is foreign_connection
        else:  # what the server refuses at apply comes after what did not depend on it: that exists, in state
            recorded = {o["id"] for kind_name in ("aep_s3_base_connection", "aep_source_connection",
                                                  "aep_target_connection", "aep_dataflow")
                        for o in project.connections_in_state(resource_type=kind_name)}
            assert created <= recorded  # no orphan
    finally:
        server.clear_faults()
        for path, object_id in everything(server, api):  # leave the sandbox and the state as found
            requests.delete(f"{server.flow_url}{path}/{object_id}", headers=api.headers(), timeout=10)
        project.state_file().unlink(missing_ok=True)


# --- stage "preflight": make deploy names what is missing before anything runs ------------------


@pytest.mark.e2e
def test_preflight_names_missing_settings_and_how_to_set_them(tmp_path: Path, cli_config: Path) -> None:
    project = CdktfProject(tmp_path / "app", cli_config, {})
    project.synth()
    problems = preflight.check(project.folder, ["*"], {"AEP_CLIENT_ID": "x", "TF_VAR_s3_access_key": "k"})
    text = "\n".join(problems)
    assert "s3-dev: AEP_CLIENT_SECRET is not set" in text and "AEP_ORG_ID" in text
    assert "TF_VAR_s3_secret_key is not set (used by " in text
    assert "s3-dev: TF_VAR_s3_session_token is not set (used by " in text
    assert "s3-prod: TF_VAR_s3_prod_access_key is not set" in text
    assert "TF_VAR_s3_access_key is not set" not in text
    run = subprocess.run([sys.executable, "-m", "aep_iac.preflight", "--project", str(project.folder), "s3-dev"],
                         capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"}, timeout=60)
    assert run.returncode == 1 and "missing setting: s3-dev: AEP_CLIENT_ID is not set" in run.stderr
