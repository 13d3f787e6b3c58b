"""The review of a plan at any size: what matters first and whole, many alike in one entry, bounded."""

from __future__ import annotations

from aep_iac import review
from aep_iac.plan import Change, StackPlan, render_comment, render_markdown
from aep_spec import identity


def connection(i: int, action: str = "create", **attributes: tuple[str, str]) -> Change:
    base = {"name": ("null", f"fleet-{i:04d}"), "bucket_name": ("null", f"fleet-bucket-{i % 7}"),
            "region": ("null", "us-east-1"), "session_token_wo": ("", "(write-only: version 1)")}
    return Change(f"{identity.S3_BASE_CONNECTION}.fleet_{i:04d}", f"fleet_{i:04d}", f"fleet-{i:04d}", action,
                  attributes or base, identity.S3_BASE_CONNECTION)


def fleet(creates: int, deletions: int = 1) -> list[StackPlan]:
    """``creates`` new connections in dev over stacks of 200; one replacement and ``deletions`` in prod."""
    dev = [StackPlan(f"s3-dev{'' if k == 0 else f'-{k + 1}'}", sandbox="dev",
                     changes=[connection(i) for i in range(k * 200, min(creates, (k + 1) * 200))])
           for k in range((creates + 199) // 200)]
    replaced = Change(f"{identity.S3_BASE_CONNECTION}.tutorial", "tutorial", "Amazon S3 base connection", "replace",
                      {"auth_spec_name": ("Access Key", "IAMRole Based")}, identity.S3_BASE_CONNECTION,
                      ["auth_spec_name"])
    gone = [connection(9000 + i, "delete", name=(f"old-{i}", "null")) for i in range(deletions)]
    return [*dev, StackPlan("s3-prod", sandbox="prod", changes=[replaced, *gone])]


def test_a_thousand_creates_fold_into_one_entry_and_what_destroys_comes_first_whole() -> None:
    plans = fleet(1000)
    full = render_markdown(plans)
    assert full.index("## Deletions and replacements (2)") < full.index("## dev")
    assert "- **Replace** base connection `tutorial` (Amazon S3 base connection) in `prod` (`s3-prod`), replaced " \
           "because of `auth_spec_name`" in full
    assert "- **Delete** base connection `fleet_9000` (fleet-9000) in `prod` (`s3-prod`)" in full
    assert "**1000 to create, 0 to update, 1 to replace, 1 to delete**" in full
    assert "- 1000 base connections in 5 stacks (`s3-dev`, `s3-dev-2`, `s3-dev-3` and 2 more): `fleet_0000`, " \
           "`fleet_0001`, `fleet_0002` and 997 more" in full
    assert "  - the same in all: `region`: us-east-1; `session_token_wo`: (write-only: version 1)" in full
    assert "`bucket_name` (7 values, e.g. fleet-bucket-0, fleet-bucket-1, fleet-bucket-2)" in full
    body = render_comment(plans, [], full, "https://github.example/acme/infra/actions/runs/42")
    assert body.complete and body.text == full + (  # it fits as it is, with where the whole plan is
        "\n---\nThe whole plan (plan.md, plan.json): [the run's artifact `plan`]"
        "(https://github.example/acme/infra/actions/runs/42).\n")
    assert len(full) < 5_000


def test_a_plan_over_the_limit_is_folded_with_where_the_whole_is_and_destruction_kept_whole() -> None:
    plans = fleet(1000, deletions=300)
    full = render_markdown(plans)
    body = render_comment(plans, [], full, "https://github.example/acme/infra/actions/runs/42")
    small = review.comment(full, lambda d, n, b: review.render(*_parts(plans), d, frozenset(), n, b),
                           None, limit=len(full) - 1)
    assert len(small.text) <= len(full) - 1 and small.folded and small.complete
    assert "Folded to fit a pull-request comment" in small.text and "plan.md and plan.json" in small.text
    assert small.text.count("- **Delete**") == 300 and "replaced because of `auth_spec_name`" in small.text
    assert body.complete and len(body.text) <= review.COMMENT_LIMIT


def test_when_deletions_alone_do_not_fit_the_review_says_so_and_is_incomplete() -> None:
    plans = fleet(10, deletions=2000)
    full = render_markdown(plans)
    body = render_comment(plans, [], full, "https://github.example/acme/infra/actions/runs/42")
    assert len(full) > review.COMMENT_LIMIT >= len(body.text)
    assert not body.complete and "Not every deletion and replacement fits" in body.text
    shown = body.text.count("- **Delete**") + body.text.count("- **Replace**")
    assert 0 < shown < 2001 and f"**{2001 - shown} more deletion(s) and replacement(s)" in body.text
    assert "https://github.example/acme/infra/actions/runs/42" in body.text


def test_a_few_changes_read_one_by_one_as_before() -> None:
    plans = [StackPlan("s3-stage", sandbox="stage", changes=[connection(i) for i in range(3)])]
    full = render_markdown(plans)
    assert "### Create (3)" in full and "- base connection `fleet_0000` (fleet-0000) in `s3-stage`" in full
    assert "  - `region`: us-east-1" in full and "Deletions and replacements" not in full


def _parts(plans: list[StackPlan], drawn: dict[str, list[str]] | None = None) -> tuple:
    from aep_iac.plan import KIND_NAMES, _kind_order, review_parts

    header, sections, tail = review_parts(plans, [], drawn)
    return header, sections, tail, KIND_NAMES, _kind_order


def test_a_sandbox_that_changes_shows_its_picture_in_full_only() -> None:
    plans = [StackPlan("s3-dev", sandbox="dev", changes=[connection(1)]), StackPlan("s3-prod", sandbox="prod")]
    drawn = {"dev": ["```mermaid", "flowchart LR", "  n0[\"dev picture\"]", "```", ""],
             "prod": ["```mermaid", "flowchart LR", "  n0[\"prod picture\"]", "```", ""]}
    full = render_markdown(plans, [], drawn)
    assert "### Pipelines" in full and "dev picture" in full
    assert "prod picture" not in full  # no change there: nothing to look at
    folded = review.render(*_parts(plans, drawn), review.Detail.LINES, frozenset())[0]
    assert "dev picture" not in folded
