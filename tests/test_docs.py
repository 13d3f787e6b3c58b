"""The committed reference docs match the schema Terraform is served, and the examples they embed."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from flowservice_provider import docs
from flowservice_provider.protocol.resource import Attribute, Schema
from flowservice_provider.provider import PROVIDER_SCHEMA
from flowservice_provider.resources.s3_base_connection import SCHEMA as S3_SCHEMA

ROOT = Path(__file__).resolve().parent.parent
RESOURCE_DOC = ROOT / "docs" / "resources" / "s3_base_connection.md"
EXAMPLES = ROOT / "examples" / "resources" / "flowservice_s3_base_connection"


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
        "docs drifted from the schema; run `python -m flowservice_provider.docs`:\n"
        + "\n".join(differences.values())
    )


@pytest.mark.parametrize(("path", "schema"), [(ROOT / "docs" / "index.md", PROVIDER_SCHEMA), (RESOURCE_DOC, S3_SCHEMA)])
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
    assert text.startswith('---\npage_title: "flowservice_s3_base_connection Resource - flowservice"\n'
                           'subcategory: ""\ndescription: |-\n')
    headings = re.findall(r"^## (.+)$", text, re.M)
    assert headings == ["Example Usage", "Schema", "Rotating Credentials", "Drift and Concurrent Changes", "Import"]
    index = (ROOT / "docs" / "index.md").read_text()
    assert index.startswith('---\npage_title: "flowservice Provider"\n')
    assert "## Example Usage" in index and "## Schema" in index


def test_examples_are_embedded_verbatim() -> None:
    text = RESOURCE_DOC.read_text()
    assert (EXAMPLES / "resource.tf").read_text().strip() in section(text, "## Example Usage")
    assert (EXAMPLES / "import.sh").read_text().strip() in section(text, "## Import")
    index = (ROOT / "docs" / "index.md").read_text()
    assert (ROOT / "examples" / "provider" / "provider.tf").read_text().strip() in index


def test_provider_page_lists_every_environment_fallback() -> None:
    from flowservice_client.config import ENV_VARS

    table = section((ROOT / "docs" / "index.md").read_text(), "## Environment Variables")
    for name, env in ENV_VARS.items():
        assert re.search(rf"^\| `{name}` \| `{env}`", table, re.M), name
    assert set(ENV_VARS) == {attr.name for attr in PROVIDER_SCHEMA.attributes}


def test_resource_page_documents_rotation_import_and_drift() -> None:
    text = RESOURCE_DOC.read_text()
    rotation = section(text, "## Rotating Credentials")
    assert "session_token_wo_version" in rotation and "If-Match" in rotation
    imported = section(text, "## Import")
    assert "terraform import flowservice_s3_base_connection.example" in imported
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

    page = tmp_path / "docs" / "resources" / "s3_base_connection.md"
    page.write_text(page.read_text().replace("Connection name.", "Old text."))
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
    line = docs.attribute_line(Attribute("k", "string", "A key.", optional=True, sensitive=True, write_only=True))
    assert line.startswith("- `k` (String, Sensitive, [Write-only](") and line.endswith(") A key.")


@pytest.mark.e2e
def test_examples_are_terraform_fmt_clean() -> None:
    proc = subprocess.run(["terraform", "fmt", "-check", "-diff", "-recursive", str(ROOT / "examples")],
                          capture_output=True, text=True, timeout=60, env={**os.environ, "CHECKPOINT_DISABLE": "1"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
