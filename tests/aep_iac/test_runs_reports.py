"""Verify's and status's judgements and reports, and the pictures they and plan.md draw, on canned
Flow Service answers (the end-to-end tests run them against the local AEP)."""

from __future__ import annotations

from typing import Any

from aep_iac import pictures, status, verify
from aep_spec import identity

HOUR_MS = 3_600_000
NOW = 1_800_000_000.0


def run(status_: str, read: int, written: int, failed: int, started_ms: float = NOW * 1000,
        errors: tuple[dict[str, str], ...] = ()) -> dict[str, Any]:
    return {"id": f"run-{status_}", "metrics": {
        "durationSummary": {"startedAtUTC": int(started_ms)},
        "fileSummary": {"inputFileCount": 2},
        "recordSummary": {"inputRecordCount": read, "outputRecordCount": written, "failedRecordCount": failed},
        "statusSummary": {"status": status_, "errors": list(errors)}}}


def check(**expect: Any) -> verify.Check:
    return verify.Check("dev-1", "dev", "orders", "flow-1", {**verify.DEFAULT_EXPECT, **expect})


# ------------------------------------------------------------------------------ verify


def test_a_run_within_its_expectations_passes() -> None:
    c = check()
    c.take(run("success", 100, 99, 1))
    c.judge()
    assert (c.verdict, c.reasons, c.files, c.read, c.written, c.failed) == ("pass", [], 2, 100, 99, 1)
    assert verify.exit_code([c]) == 0


def test_a_run_failing_too_many_records_fails_and_says_why_in_adobes_words() -> None:
    c = check(max_failed_share=0.1)
    c.take(run("partialSuccess", 10, 2, 8, errors=(
        {"code": "CONNECTOR-2001-400", "message": "exports/bad.csv: 8 of 10 rows are malformed"},)))
    c.judge()
    assert c.verdict == "fail"
    assert c.reasons == ["80% of the records read failed (at most 10% expected)"]
    assert verify.exit_code([c]) == 2
    text = verify.render_markdown([c], NOW)
    assert "exports/bad.csv: 8 of 10 rows are malformed" in text and "CONNECTOR-2001-400" in text
    assert "**outside expectations**" in text


def test_too_few_records_written_and_a_failed_run_are_each_a_reason() -> None:
    c = check(min_records=5)
    c.take(run("failed", 0, 0, 0, errors=({"code": "X-404", "message": "The file a.csv does not exist."},)))
    c.judge()
    assert c.reasons == ["the run failed", "0 record(s) written (at least 5 expected)"]


def test_a_timeout_or_an_error_outweighs_a_failure_in_the_exit_status() -> None:
    failing, late = check(), check()
    failing.verdict, late.verdict = "fail", "timeout"
    assert verify.exit_code([failing, late]) == 1
    assert verify.exit_code([]) == 0


class FakeFlows:
    """A sandbox's Flow Service as the verifier sees it: flows, their runs, the on-demand runs made."""

    def __init__(self, flows: dict[str, dict[str, Any]], runs: dict[str, list[dict[str, Any]]]) -> None:
        self.flows, self.runs, self.started, self.calls = flows, runs, [], 0

    def get(self, kind: Any, flow_id: str) -> dict[str, Any]:
        self.calls += 1
        return self.flows[flow_id]

    def list_runs(self, flow_id: str, limit: int) -> list[dict[str, Any]]:
        self.calls += 1
        return list(self.runs.get(flow_id, []))[:limit]

    def start_run(self, flow_id: str, start: int, window_start: int, window_end: int) -> str:
        self.calls += 1
        self.started.append((flow_id, window_end - window_start))
        self.runs.setdefault(flow_id, []).insert(0, run("success", 5, 5, 0))
        return "run-success"


def test_a_once_flow_gets_an_on_demand_run_and_a_scheduled_one_is_waited_for() -> None:
    since = NOW - 60
    flows = {"once-1": {"scheduleParams": {"frequency": "once"}, "createdAt": NOW * 1000},
             "every-1": {"scheduleParams": {"frequency": "minute", "interval": 15}, "createdAt": NOW * 1000}}
    api = FakeFlows(flows, {"every-1": [run("success", 3, 3, 0)]})
    once = verify.Check("dev-1", "dev", "once", "once-1", dict(verify.DEFAULT_EXPECT))
    every = verify.Check("dev-1", "dev", "every", "every-1", dict(verify.DEFAULT_EXPECT))
    said: list[str] = []
    verifier = verify.Verifier(lambda sandbox: api, since, 5.0, lambda c: said.append(c.line()))
    assert verifier.changed(once) and verifier.changed(every)
    verifier.run([once, every])
    assert api.started == [("once-1", verify.WINDOW_SECONDS)]  # only the once flow: AEP allows no other
    assert (once.verdict, every.verdict) == ("pass", "pass")
    assert any(line.startswith("dev-1/every: pass, run run-success success") for line in said)


def test_a_flow_with_no_run_since_the_deploy_times_out_naming_itself() -> None:
    flows = {"every-1": {"scheduleParams": {"frequency": "day", "interval": 1}, "updatedAt": NOW * 1000}}
    old = run("success", 3, 3, 0, started_ms=(NOW - 86400) * 1000)  # before the deploy: not this deploy's run
    api = FakeFlows(flows, {"every-1": [old]})
    c = verify.Check("dev-1", "dev", "orders_daily", "every-1", dict(verify.DEFAULT_EXPECT))
    verify.Verifier(lambda sandbox: api, NOW - 60, 0.0, lambda c: None).run([c])
    assert c.verdict == "timeout" and c.reasons == ["no run finished within the timeout (no run started)"]
    assert verify.exit_code([c]) == 1
    assert "`orders_daily` in `dev-1` (sandbox dev): **timed out**" in verify.render_markdown([c], NOW)


def test_a_flow_unchanged_since_the_deploy_is_not_verified() -> None:
    api = FakeFlows({"f": {"createdAt": (NOW - HOUR_MS / 1000) * 1000, "updatedAt": 0}}, {})
    verifier = verify.Verifier(lambda sandbox: api, NOW, 1.0, lambda c: None)
    assert not verifier.changed(verify.Check("s", "dev", "k", "f", {}))


# ------------------------------------------------------------------------------ status


def health() -> status.Health:
    return status.Health("dev-1", "dev", "orders", "Orders", "flow-1", f"{identity.DATAFLOW}.orders")


def flow(**changes: Any) -> dict[str, Any]:
    return {"state": "enabled", "scheduleParams": {"frequency": "minute", "interval": 15},
            "createdAt": (NOW - 7200) * 1000, **changes}


DECLARED = {"enabled": True, "frequency": "minute", "interval": 15}


def test_a_flow_that_ran_recently_and_well_is_healthy() -> None:
    h = status.examine(health(), flow(), [run("success", 10, 10, 0, (NOW - 600) * 1000)], DECLARED,
                       verify.DEFAULT_EXPECT, NOW)
    assert h.healthy and (h.schedule, h.last_status, h.read) == ("every 15 minute(s)", "success", 10)


def test_a_flow_disabled_behind_terraforms_back_needs_attention() -> None:
    h = status.examine(health(), flow(state="disabled"), [run("success", 1, 1, 0, (NOW - 600) * 1000)], DECLARED,
                       verify.DEFAULT_EXPECT, NOW)
    assert h.problems == ["disabled outside Terraform (declared enabled): the next deploy sets it back"]


def test_a_flow_with_no_run_for_two_intervals_is_late_and_a_disabled_one_is_not() -> None:
    last = [run("success", 1, 1, 0, (NOW - 3600) * 1000)]
    h = status.examine(health(), flow(), last, DECLARED, verify.DEFAULT_EXPECT, NOW)
    assert h.problems == ["late: no run started for 60 min (schedule every 15 minute(s))"]
    off = status.examine(health(), flow(state="disabled"), last, {**DECLARED, "enabled": False},
                         verify.DEFAULT_EXPECT, NOW)
    assert off.healthy


def test_a_schedule_changed_outside_terraform_and_a_bad_last_run_are_reported() -> None:
    h = status.examine(health(), flow(scheduleParams={"frequency": "hour", "interval": 1}),
                       [run("partialSuccess", 10, 5, 5, (NOW - 60) * 1000,
                            ({"code": "E-1", "message": "orders.csv: 5 of 10 rows are malformed"},))],
                       DECLARED, verify.DEFAULT_EXPECT, NOW)
    assert h.problems == ["its schedule was changed outside Terraform (now every 1 hour(s))",
                          "its last run failed 50% of its records (at most 5% expected)"]
    text = status.render_markdown([h], {"dev": ["```mermaid", "flowchart LR", "```"]}, NOW)
    assert "**0 healthy, 1 need attention**" in text and "last error: E-1: orders.csv" in text
    assert "```mermaid" in text


# ------------------------------------------------------------------------------ pictures


def config() -> dict[str, Any]:
    ref = "${%s.%s.id}"
    return {"resource": {
        identity.S3_BASE_CONNECTION: {"orders": {"name": "Orders landing"}},
        identity.SOURCE_CONNECTION: {"orders": {"base_connection_id": ref % (identity.S3_BASE_CONNECTION, "orders")}},
        identity.XDM_SCHEMA: {"orders": {"name": "Orders schema"}},
        identity.DATASET: {"orders": {"name": "Orders", "schema_id": ref % (identity.XDM_SCHEMA, "orders")}},
        identity.TARGET_CONNECTION: {"orders": {"dataset_id": ref % (identity.DATASET, "orders"),
                                                "schema_id": ref % (identity.XDM_SCHEMA, "orders")}},
        identity.MAPPING_SET: {"cols": {"schema_id": ref % (identity.XDM_SCHEMA, "orders")}},
        identity.DATAFLOW: {"orders": {"name": "Orders \"daily\"",
                                       "source_connection_id": ref % (identity.SOURCE_CONNECTION, "orders"),
                                       "target_connection_id": ref % (identity.TARGET_CONNECTION, "orders"),
                                       "mapping_id": ref % (identity.MAPPING_SET, "cols")}},
        "terraform_data": {"x": {"input": "not ours"}}}}


def test_a_picture_follows_the_data_from_the_connection_to_the_dataset() -> None:
    graph = pictures.from_config([config()])
    assert set(graph.edges) == {
        (f"{identity.S3_BASE_CONNECTION}.orders", f"{identity.SOURCE_CONNECTION}.orders"),
        (f"{identity.SOURCE_CONNECTION}.orders", f"{identity.DATAFLOW}.orders"),
        (f"{identity.DATAFLOW}.orders", f"{identity.TARGET_CONNECTION}.orders"),
        (f"{identity.TARGET_CONNECTION}.orders", f"{identity.DATASET}.orders"),
        (f"{identity.XDM_SCHEMA}.orders", f"{identity.DATASET}.orders"),
        (f"{identity.XDM_SCHEMA}.orders", f"{identity.MAPPING_SET}.cols"),
        (f"{identity.MAPPING_SET}.cols", f"{identity.DATAFLOW}.orders"),
    }
    assert "terraform_data.x" not in graph.nodes
    graph = pictures.marked_by_changes(graph, [(f"{identity.DATAFLOW}.orders", "update")])
    lines = pictures.mermaid(graph, {"update": "yellow: to update"})
    assert lines[:2] == ["```mermaid", "flowchart LR"]
    assert any('dataflow<br/>Orders #quot;daily#quot;' in line for line in lines)  # quotes cannot break it
    assert "Marks: yellow: to update." in lines
    assert sum(1 for line in lines if line.startswith("  class ")) == 1


def test_a_state_draws_the_same_picture_by_ids() -> None:
    state = [{"mode": "managed", "type": identity.S3_BASE_CONNECTION, "name": "b", "values": {"id": "B", "name": "b"}},
             {"mode": "managed", "type": identity.SOURCE_CONNECTION, "name": "s",
              "values": {"id": "S", "base_connection_id": "B"}},
             {"mode": "managed", "type": identity.DATAFLOW, "name": "f",
              "values": {"id": "F", "source_connection_id": "S", "target_connection_id": "elsewhere"}}]
    graph = pictures.from_state(state)
    assert graph.edges == [(f"{identity.S3_BASE_CONNECTION}.b", f"{identity.SOURCE_CONNECTION}.s"),
                           (f"{identity.SOURCE_CONNECTION}.s", f"{identity.DATAFLOW}.f")]


def test_a_picture_too_large_to_read_is_one_line() -> None:
    graph = pictures.Graph()
    for i in range(pictures.MAX_NODES + 1):
        graph.add(f"{identity.DATAFLOW}.f{i}", f"f{i}")
    assert pictures.mermaid(graph)[0].startswith(f"_The picture is left out: {pictures.MAX_NODES + 1} objects")
    assert pictures.mermaid(pictures.Graph()) == []


def test_the_run_judged_is_the_first_after_the_deploy_not_a_later_one() -> None:
    flows = {"f": {"scheduleParams": {"frequency": "minute", "interval": 15}, "updatedAt": NOW * 1000}}
    first = run("partialSuccess", 10, 2, 8, started_ms=NOW * 1000)
    later = run("success", 0, 0, 0, started_ms=(NOW + 900) * 1000)  # no new file: nothing to say
    api = FakeFlows(flows, {"f": [later, first]})  # newest first, as Flow Service lists them
    c = verify.Check("dev-1", "dev", "orders", "f", dict(verify.DEFAULT_EXPECT))
    verify.Verifier(lambda sandbox: api, NOW - 60, 5.0, lambda c: None).run([c])
    assert (c.verdict, c.read, c.failed) == ("fail", 10, 8)
    quiet = verify.Check("dev-1", "dev", "orders", "f", dict(verify.DEFAULT_EXPECT))
    quiet.take(later)
    quiet.judge()
    assert quiet.verdict == "pass"  # a run that found no new file is not a failure by default
