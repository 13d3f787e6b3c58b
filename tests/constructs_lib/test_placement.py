"""The placement of connections over a sandbox's stacks: stable under additions, removals and
renames of other connections, bounded, frozen in CI, and evened out only by a rebalance."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from constructs_lib import ConstructError, Dataflow, Json, Placement, S3Connection, Sandbox, Schedule, define
from constructs_lib.placement import balanced
from tests.constructs_lib.support import Testing, synth


def keys(count: int, prefix: str = "c") -> list[str]:
    return [f"{prefix}{i:04d}" for i in range(count)]


def where(stacks: dict[str, list[str]]) -> dict[str, str]:
    return {key: stack for stack, held in stacks.items() for key in held}


def test_new_connections_fill_the_least_filled_stack_and_open_one_when_all_are_full() -> None:
    placement = Placement(bound=3)
    stacks = placement.assign("prod", "s3-prod", keys(7))  # a first deploy spreads evenly
    assert {s: len(k) for s, k in stacks.items()} == {"s3-prod": 3, "s3-prod-2": 2, "s3-prod-3": 2}
    before = where(stacks)
    stacks = placement.assign("prod", "s3-prod", [*keys(7), "x1", "x2", "x3"])  # 10 need a fourth stack
    assert sorted(len(k) for k in stacks.values()) == [2, 2, 3, 3] and len(stacks) == 4
    assert all(where(stacks)[key] == stack for key, stack in before.items()) and placement.changed


def test_adding_removing_and_renaming_others_never_moves_a_connection() -> None:
    placement = Placement(bound=50)
    declared = keys(120)
    before = where(placement.assign("prod", "s3-prod", declared))
    rng = random.Random(7)
    for _ in range(20):  # twenty pull requests: some connections added, some removed, some renamed
        removed = set(rng.sample(declared, 5))
        renamed = set(rng.sample([k for k in declared if k not in removed], 3))
        declared = [k for k in declared if k not in removed | renamed]
        declared += [f"{k}-renamed" for k in renamed] + keys(rng.randint(0, 9), prefix=f"n{_:02d}-")
        after = where(placement.assign("prod", "s3-prod", declared))
        for key, stack in after.items():
            if key in before:
                assert before[key] == stack, f"{key} moved from {before[key]} to {stack}"
        assert max(len(held) for held in placement.sandboxes["prod"].values()) <= 50
        before = after


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sets(st.integers(0, 400), max_size=120), min_size=1, max_size=6), st.integers(1, 60))
def test_placement_is_stable_and_bounded_for_any_sequence_of_changes(versions: list[set[int]], bound: int) -> None:
    placement = Placement(bound=bound)
    seen: dict[str, str] = {}
    for version in versions:
        stacks = placement.assign("dev", "s3-dev", [f"k{n}" for n in version])
        now = where(stacks)
        assert set(now) == {f"k{n}" for n in version}
        assert all(seen[key] == stack for key, stack in now.items() if key in seen)
        assert all(len(held) <= bound for held in stacks.values())
        seen.update(now)
        seen = {k: v for k, v in seen.items() if k in now}


def test_the_file_round_trips_and_is_frozen_in_ci(tmp_path: Path) -> None:
    path = tmp_path / "placement.json"
    first = Placement.file(path, bound=2)
    first.assign("dev", "s3-dev", ["a", "b", "c"])
    assert first.save() and not first.save()  # written once, then nothing changed
    doc = json.loads(path.read_text())
    assert doc["sandboxes"] == {"dev": {"s3-dev": ["a", "c"], "s3-dev-2": ["b"]}}
    frozen = Placement.file(path, bound=2, environ={"PLACEMENT_FROZEN": "1"})
    assert frozen.assign("dev", "s3-dev", ["a", "b", "c"]) == doc["sandboxes"]["dev"]
    with pytest.raises(ConstructError) as removed:  # a removal changes the file too: CI's plan says so
        frozen.assign("dev", "s3-dev", ["a", "b"])
    assert "is not what synth writes for sandbox 'dev'" in str(removed.value)
    assert "run `aep-iac plan`" in str(removed.value)
    assert Placement.file(path, bound=2).assign("dev", "s3-dev", ["a", "b"]) == {"s3-dev": ["a"], "s3-dev-2": ["b"]}
    with pytest.raises(ConstructError) as raised:
        Placement.file(path, bound=2, environ={"PLACEMENT_FROZEN": "1"}).assign("dev", "s3-dev", ["a", "b", "c", "d"])
    assert "does not place 1 connection(s) of sandbox 'dev' (d)" in str(raised.value)
    assert "commit placement.json" in str(raised.value)


def test_an_emptied_stack_stays_until_a_rebalance_so_a_deploy_destroys_what_it_held() -> None:
    placement = Placement(bound=2)
    placement.assign("dev", "s3-dev", ["a", "b", "c"])
    assert placement.assign("dev", "s3-dev", ["a", "c"]) == {"s3-dev": ["a", "c"], "s3-dev-2": []}


def test_a_rebalance_evens_out_under_a_new_bound_moving_as_few_as_possible() -> None:
    placement = Placement(bound=100)
    stacks = placement.assign("prod", "s3-prod", keys(250))
    assert {s: len(k) for s, k in stacks.items()} == {"s3-prod": 84, "s3-prod-2": 83, "s3-prod-3": 83}
    lowered = balanced(stacks, "s3-prod", 60)  # 250 under a bound of 60: 5 stacks of 50
    assert [len(k) for k in lowered.values()] == [50, 50, 50, 50, 50]
    moved = [key for key, stack in where(lowered).items() if where(stacks)[key] != stack]
    assert len(moved) == 250 - 3 * 50  # only what the three old stacks cannot keep
    assert balanced(lowered, "s3-prod", 60) == lowered  # already even: nothing moves


def test_define_spreads_a_sandbox_and_keeps_dataflows_with_their_connection(tmp_path: Path) -> None:
    connections = [S3Connection(key=f"c{i}", name=f"Connection {i}", bucket_name="acme-bucket",
                                folder_path=f"in/{i}") for i in range(5)]
    flows = [Dataflow(key="flow4", name="Flow 4", connection="c4", format=Json(),
                      dataset_id="64d0a1b2c3d4e5f6a7b8c9d0",
                      schema_id="https://ns.adobe.com/acme/schemas/5b7ff8b4e4a0c7d9b1f8a3c2d6e9f0a1",
                      schedule=Schedule.every(1, "day"))]
    placement = Placement.file(tmp_path / "placement.json", bound=2)
    stacks = define(Testing.app(), [Sandbox("dev")], connections, dataflows=flows, placement=placement)
    assert [s.node.id for s in stacks] == ["s3-dev", "s3-dev-2", "s3-dev-3"]
    configs = {s.node.id: synth(s)[1] for s in stacks}
    holder = [sid for sid, c in configs.items() if "c4" in c["resource"]["aep_s3_base_connection"]]
    assert len(holder) == 1
    assert set(configs[holder[0]]["resource"]["aep_dataflow"]) == {"flow4"}
    assert all(c["provider"]["aep"][0]["sandbox_name"] == "dev" for c in configs.values())
    assert (tmp_path / "placement.json").exists()
