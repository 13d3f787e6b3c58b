"""The committed reference docs match the schema Terraform is served, and the examples they embed."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from aep_provider import docs
from aep_provider.data_sources.dataflow_runs import SCHEMA as RUNS_SCHEMA
from aep_provider.protocol.resource import Attribute, Schema
from aep_provider.provider import PROVIDER_SCHEMA, AepProviderHandler
from aep_provider.resources.s3_base_connection import SCHEMA as S3_SCHEMA

ROOT = Path(__file__).resolve().parent.parent
RESOURCE_DOC = ROOT / "docs" / "resources" / "s3_base_connection.md"
EXAMPLES = ROOT / "examples" / "resources" / "aep_s3_base_connection"
RUNS_DOC = ROOT / "docs" / "data-sources" / "dataflow_runs.md"
PROVIDER = AepProviderHandler()
#: (page, example folder, schema) of every resource and data source the provider serves.
PAGES = [
    *((ROOT / "docs" / "resources" / f"{name.removeprefix('aep_')}.md",
       ROOT / "examples" / "resources" / name, handler.schema) for name, handler in PROVIDER.resources().items()),
    *((ROOT / "docs" / "data-sources" / f"{name.removeprefix('aep_')}.md",
       ROOT / "examples" / "data-sources" / name, handler.schema) for name, handler in PROVIDER.data_sources().items()),
]


def section(text: str, heading: str) -> str:
    """The body under ``heading`` up to the next heading of the same or a higher level (code blocks skipped)."""
    level = len(heading.split(" ", 1)[0])
    body: list[str] | None = None
    fenced = False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and re.match(r"#+ ", line):
            if body is not None and len(line.split(" ", 1)[0]) <= level:
                break
            if line == heading:
                body = []
                continue
        if body is not None:
            body.append(line)
    assert body is not None, f"no {heading!r} section"
    return "\n".join(body)


def documented(text: str, heading: str) -> list[str]:
    return re.findall(r"^- `(\w+)`", section(text, heading), re.M)


def test_committed_docs_match_the_schema() -> None:
    differences = docs.stale(ROOT)
    assert not differences, (
        "docs drifted from the schema; run `python -m aep_provider.docs`:\n"
        + "\n".join(differences.values())
    )


@pytest.mark.parametrize(("path", "schema"), [(ROOT / "docs" / "index.md", PROVIDER_SCHEMA),
                                             *((page, schema) for page, _, schema in PAGES)],
                         ids=lambda value: value.name if isinstance(value, Path) else "")
def test_every_attribute_is_listed_once_in_its_section(path: Path, schema: Schema) -> None:
    text = path.read_text()
    expected: dict[str, list[str]] = {"### Required": [], "### Optional": [], "### Read-Only": []}
    for attr in schema.attributes:
        key = "### Required" if attr.required else "### Optional" if attr.optional else "### Read-Only"
        expected[key].append(attr.name)
    for heading, names in expected.items():
        if names:
            assert documented(text, heading) == sorted(names), heading
        else:
            assert heading not in text
    for attr in schema.attributes:
        assert attr.description and attr.description in text, attr.name


def test_flags_follow_the_schema() -> None:
    text = RESOURCE_DOC.read_text()
    for attr in S3_SCHEMA.attributes:
        [line] = [line for line in text.splitlines() if line.startswith(f"- `{attr.name}` (")]
        assert ("Sensitive" in line.split(")")[0]) == attr.sensitive, line
        assert ("Write-only" in line) == attr.write_only, line


def test_front_matter_and_registry_layout() -> None:
    text = RESOURCE_DOC.read_text()
    assert text.startswith('---\npage_title: "aep_s3_base_connection Resource - aep"\n'
                           'subcategory: ""\ndescription: |-\n')
    headings = re.findall(r"^## (.+)$", text, re.M)
    assert headings == ["Example Usage", "Schema", "Rotating Credentials", "Drift and Concurrent Changes", "Import"]
    index = (ROOT / "docs" / "index.md").read_text()
    assert index.startswith('---\npage_title: "aep Provider"\n')
    assert "## Example Usage" in index and "## Schema" in index


def test_examples_are_embedded_verbatim() -> None:
    text = RESOURCE_DOC.read_text()
    assert (EXAMPLES / "resource.tf").read_text().strip() in section(text, "## Example Usage")
    assert (EXAMPLES / "import.sh").read_text().strip() in section(text, "## Import")
    index = (ROOT / "docs" / "index.md").read_text()
    assert (ROOT / "examples" / "provider" / "provider.tf").read_text().strip() in index


@pytest.mark.parametrize(("page", "examples"), [(page, examples) for page, examples, _ in PAGES],
                         ids=lambda value: value.name)
def test_every_type_has_its_page_and_example(page: Path, examples: Path) -> None:
    text = page.read_text()
    data_source = examples.parent.name == "data-sources"
    label = "Data Source" if data_source else "Resource"
    assert text.startswith(f'---\npage_title: "{examples.name} {label} - aep"\n')
    assert f"# {examples.name} ({label})" in text
    example = examples / ("data-source.tf" if data_source else "resource.tf")
    assert example.read_text().strip() in section(text, "## Example Usage")
    if data_source:
        assert "## Import" not in text
    else:
        assert (examples / "import.sh").read_text().strip() in section(text, "## Import")
        assert f"terraform import {examples.name}." in section(text, "## Import")


def test_data_source_page_and_nested_schema() -> None:
    text = RUNS_DOC.read_text()
    assert re.findall(r"^## (.+)$", text, re.M) == ["Example Usage", "Schema"]
    [runs] = [attr for attr in RUNS_SCHEMA.attributes if attr.name == "runs"]
    [line] = [line for line in text.splitlines() if line.startswith("- `runs` (")]
    assert line.startswith("- `runs` (List of Object) ")
    assert line.endswith("(see [below for nested schema](#nestedatt--runs))")
    assert '<a id="nestedatt--runs"></a>\n### Nested Schema for `runs`\n\nRead-Only:\n' in text
    nested = section(text, "### Nested Schema for `runs`")
    assert re.findall(r"^- `(\w+)`", nested, re.M) == sorted(runs.type[1][1])
    assert "- `errors` (List of String)" in nested and "- `records_written` (Number)" in nested


def test_dataflow_page_documents_actions_ordering_and_import() -> None:
    text = (ROOT / "docs" / "resources" / "dataflow.md").read_text()
    assert "POST /flows/{id}/action?op=disable" in section(text, "## Enabling and Disabling")
    ordering = section(text, "## Ordering and Deletion")
    assert "deleted **before** its\nconnections" in ordering and "`1418`" in ordering
    changes = section(text, "## Changes in Place and Replacements")
    for name in ("source_connection_id", "target_connection_id", "start_time", "backfill", "mapping_id"):
        assert f"`{name}`" in changes, name
    assert "terraform import aep_dataflow.orders" in section(text, "## Import")


def test_provider_page_lists_every_environment_fallback() -> None:
    from aep_provider.provider import PROVIDER_ENV_VARS

    table = section((ROOT / "docs" / "index.md").read_text(), "## Environment Variables")
    for name, env in PROVIDER_ENV_VARS.items():
        assert re.search(rf"^\| `{name}` \| `{env}`", table, re.M), name
    assert set(PROVIDER_ENV_VARS) == {attr.name for attr in PROVIDER_SCHEMA.attributes}


def test_resource_page_documents_rotation_import_and_drift() -> None:
    text = RESOURCE_DOC.read_text()
    rotation = section(text, "## Rotating Credentials")
    assert "session_token_wo_version" in rotation and "If-Match" in rotation
    imported = section(text, "## Import")
    assert "terraform import aep_s3_base_connection.example" in imported
    assert "one `PATCH`" in imported and "never a replacement" in imported
    drift = section(text, "## Drift and Concurrent Changes")
    for fact in ("404", "412", "both the etag", "from null back to the configured"):
        assert fact in drift, fact


def test_check_mode_fails_on_stale_docs_and_write_repairs_them(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copytree(ROOT / "docs" / "templates", tmp_path / "docs" / "templates")
    shutil.copytree(ROOT / "examples", tmp_path / "examples")

    assert docs.main(["--root", str(tmp_path), "--check"]) == 1  # missing pages
    assert not (tmp_path / "docs" / "index.md").exists()
    assert docs.main(["--root", str(tmp_path)]) == 0
    assert docs.main(["--root", str(tmp_path), "--check"]) == 0
    assert (tmp_path / "docs" / "index.md").read_text() == (ROOT / "docs" / "index.md").read_text()
    assert (tmp_path / "docs" / "data-sources" / "explore.md").read_text() == (
        ROOT / "docs" / "data-sources" / "explore.md").read_text()

    page = tmp_path / "docs" / "resources" / "s3_base_connection.md"
    page.write_text(page.read_text().replace(S3_SCHEMA.attribute("name").description, "Old text."))
    capsys.readouterr()
    assert docs.main(["--root", str(tmp_path), "--check"]) == 1
    assert "-- `name` (String) Old text." in capsys.readouterr().err
    assert docs.main(["--root", str(tmp_path)]) == 0
    assert docs.stale(tmp_path) == {}


def test_template_markers_must_match() -> None:
    assert docs.fill("a {{x}} b", {"x": "1"}) == "a 1 b\n"
    with pytest.raises(docs.TemplateError, match="unknown"):
        docs.fill("{{x}} {{y}}", {"x": "1"})
    with pytest.raises(docs.TemplateError, match="unused"):
        docs.fill("{{x}}", {"x": "1", "schema": "s"})


def test_attribute_labels() -> None:
    assert docs.type_label(["list", "string"]) == "List of String"
    assert docs.type_label("number") == "Number"
    assert docs.type_label(["object", {"a": "string"}]) == "Object"
    assert docs.type_label(["set", ["object", {"a": "string"}]]) == "Set of Object"
    line = docs.attribute_line(Attribute("k", "string", "A key.", optional=True, sensitive=True, write_only=True))
    assert line.startswith("- `k` (String, Sensitive, [Write-only](") and line.endswith(") A key.")


def test_nested_schema_sections() -> None:
    """Objects inside objects get their own section, linked from their parent's, as tfplugindocs does."""
    item = ["object", {"size": "number", "owner": ["object", {"id": "string"}]}]
    attr = Attribute("items", ["list", item], "Entries.", optional=True)
    assert docs.attribute_line(attr) == (
        "- `items` (List of Object) Entries. (see [below for nested schema](#nestedatt--items))")
    outer, inner = docs.nested_sections("items", attr.type, "Optional")
    assert outer == ('<a id="nestedatt--items"></a>\n### Nested Schema for `items`\n\nOptional:\n\n'
                     "- `owner` (Object) (see [below for nested schema](#nestedobjatt--items--owner))\n"
                     "- `size` (Number)")
    assert inner.startswith('<a id="nestedobjatt--items--owner"></a>\n### Nested Schema for `items.owner`')
    assert docs.nested_sections("name", "string", "Required") == []
    schema = docs.schema_section(Schema(attributes=(attr, Attribute("id", "string", computed=True))))
    assert schema.index("### Read-Only") < schema.index("### Nested Schema for `items`")


@pytest.mark.e2e
def test_examples_are_terraform_fmt_clean() -> None:
    proc = subprocess.run(["terraform", "fmt", "-check", "-diff", "-recursive", str(ROOT / "examples")],
                          capture_output=True, text=True, timeout=60, env={**os.environ, "CHECKPOINT_DISABLE": "1"})
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.e2e
def test_examples_form_one_valid_configuration(tmp_path: Path, cli_config: Path) -> None:
    """What examples/README.md's whole path copies into one folder validates against the provider's schema."""
    shutil.copy(ROOT / "examples" / "provider" / "provider.tf", tmp_path)
    for _, examples, _ in PAGES:
        example = examples / ("data-source.tf" if examples.parent.name == "data-sources" else "resource.tf")
        shutil.copy(example, tmp_path / f"{examples.name}.tf")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("TF_", "AEP_"))},
           "TF_CLI_CONFIG_FILE": str(cli_config), "CHECKPOINT_DISABLE": "1", "TF_INPUT": "0"}
    for command in (["init", "-backend=false"], ["validate"]):
        proc = subprocess.run(["terraform", *command, "-no-color"], cwd=tmp_path, capture_output=True, text=True,
                              timeout=120, env=env)
        assert proc.returncode == 0, proc.stdout + proc.stderr
