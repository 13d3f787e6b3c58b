"""Each sandbox's pipelines as a picture GitHub renders in a pull request (Mermaid): base connection
-> source connection -> dataflow -> target connection -> dataset, with the XDM schema under the
dataset and the mapping set beside the dataflow; what the plan changes (plan.md) or how the last
run went (status.md) marked on each object.

The graph comes from what is declared (a stack's ``cdk.tf.json``: its references name the edges)
or what is deployed (a state's ids). A picture is bounded like the rest of a review: past
:data:`MAX_NODES` objects in a sandbox it is left out, with one line saying so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aep_spec import identity

#: Objects a picture shows at most (GitHub renders larger ones slowly, and nobody reads them).
MAX_NODES = 60
_REFERENCE = re.compile(r"\$\{(?:data\.)?(aep_[a-z0-9_]+)\.([A-Za-z0-9_-]+)\.")
#: An edge goes the way the data goes: from what is referenced to what refers to it, except where the
#: referrer sends its records on (a dataflow to its target connection, a target to its dataset).
_DOWNSTREAM = {(identity.DATAFLOW, identity.TARGET_CONNECTION), (identity.TARGET_CONNECTION, identity.DATASET),
               (identity.TARGET_CONNECTION, identity.XDM_SCHEMA)}
#: The order objects are listed in: the way the data goes.
_ALONG = (identity.S3_BASE_CONNECTION, identity.SOURCE_CONNECTION, identity.MAPPING_SET, identity.DATAFLOW,
          identity.TARGET_CONNECTION, identity.DATASET, identity.XDM_SCHEMA)
SHAPES = {identity.S3_BASE_CONNECTION: ("[(", ")]"), identity.XDM_SCHEMA: ("[/", "/]"),
          identity.DATASET: ("[(", ")]"), identity.MAPPING_SET: ("{{", "}}")}
#: Marks (Mermaid classes) and their colours, for the plan's actions and the runs' states.
STYLES = {
    "create": "fill:#dafbe1,stroke:#1a7f37", "update": "fill:#fff8c5,stroke:#9a6700",
    "replace": "fill:#ffe2cc,stroke:#bc4c00", "delete": "fill:#ffebe9,stroke:#cf222e",
    "success": "fill:#dafbe1,stroke:#1a7f37", "partialSuccess": "fill:#fff8c5,stroke:#9a6700",
    "failed": "fill:#ffebe9,stroke:#cf222e", "attention": "fill:#ffe2cc,stroke:#bc4c00",
    "disabled": "fill:#eaeef2,stroke:#57606a",
}


@dataclass
class Graph:
    """Objects (by address) with a label and a mark, and the edges between them."""

    nodes: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    edges: list[tuple[str, str]] = field(default_factory=list)

    def add(self, address: str, label: str, mark: str | None = None) -> None:
        if address not in self.nodes or mark is not None:
            self.nodes[address] = (label, mark)

    def mark(self, address: str, mark: str) -> None:
        if address in self.nodes:
            self.nodes[address] = (self.nodes[address][0], mark)


def from_config(configs: Iterable[Mapping[str, Any]]) -> Graph:
    """The pipelines a sandbox's stacks declare: every resource of ours, and an edge for every
    reference one makes to another (a data source stands for the object it looks up)."""
    graph = Graph()
    declared = [(kind, key, attributes) for config in configs for kind, named in (config.get("resource") or {}).items()
                if kind in identity.KIND_NOUNS for key, attributes in named.items()]
    for kind, key, attributes in declared:
        graph.add(f"{kind}.{key}", _label(kind, key, attributes.get("name")))
    for kind, key, attributes in declared:
        for ref_kind, ref_key in _REFERENCE.findall(str(attributes)):
            if ref_kind in identity.KIND_NOUNS and (ref_kind, ref_key) != (kind, key):
                graph.add(f"{ref_kind}.{ref_key}", _label(ref_kind, ref_key, None))
                _connect(graph, (ref_kind, f"{ref_kind}.{ref_key}"), (kind, f"{kind}.{key}"))
    return graph


def _connect(graph: Graph, referenced: tuple[str, str], referrer: tuple[str, str]) -> None:
    if (referrer[0], referenced[0]) == (identity.TARGET_CONNECTION, identity.XDM_SCHEMA):
        return  # the dataset already stands between them
    edge = (referrer[1], referenced[1]) if (referrer[0], referenced[0]) in _DOWNSTREAM else (referenced[1], referrer[1])
    if edge not in graph.edges:
        graph.edges.append(edge)


def from_state(resources: Iterable[Mapping[str, Any]]) -> Graph:
    """The pipelines a sandbox's states hold (``terraform show -json``'s resources): edges by id."""
    graph = Graph()
    by_id: dict[str, str] = {}
    items = [r for r in resources if r.get("type") in identity.KIND_NOUNS and r.get("mode") == "managed"]
    for resource in items:
        address, values = f"{resource['type']}.{resource['name']}", resource.get("values") or {}
        graph.add(address, _label(resource["type"], resource["name"], values.get("name")))
        if isinstance(values.get("id"), str):
            by_id[values["id"]] = address
    for resource in items:
        address, values = f"{resource['type']}.{resource['name']}", resource.get("values") or {}
        for attribute in ("base_connection_id", "source_connection_id", "target_connection_id", "dataset_id",
                          "schema_id", "mapping_id"):
            found = by_id.get(str(values.get(attribute)))
            if found:
                _connect(graph, (found.split(".", 1)[0], found), (str(resource["type"]), address))
    return graph


def _label(kind: str, key: str, name: Any) -> str:
    noun = identity.KIND_NOUNS.get(kind, kind)
    return f"{noun}<br/>{name if isinstance(name, str) and '${' not in name else key}"


def mermaid(graph: Graph, legend: Mapping[str, str] | None = None) -> list[str]:
    """The picture as a fenced Mermaid block (left to right); [] when there is nothing to draw, one
    line instead of it past :data:`MAX_NODES` objects."""
    if not graph.nodes:
        return []
    if len(graph.nodes) > MAX_NODES:
        return [f"_The picture is left out: {len(graph.nodes)} objects (at most {MAX_NODES} are drawn)._", ""]
    ordered = sorted(graph.nodes, key=lambda address: _ALONG.index(address.split(".", 1)[0])
                     if address.split(".", 1)[0] in _ALONG else len(_ALONG))
    ids = {address: f"n{i}" for i, address in enumerate(ordered)}
    lines = ["```mermaid", "flowchart LR"]
    for address in ordered:
        label = graph.nodes[address][0]
        kind = address.split(".", 1)[0]
        left, right = SHAPES.get(kind, ("[", "]"))
        lines.append(f'  {ids[address]}{left}"{_escape(label)}"{right}')
    lines += [f"  {ids[a]} --> {ids[b]}" for a, b in graph.edges if a in ids and b in ids]
    used = sorted({mark for _, mark in graph.nodes.values() if mark})
    for mark in used:
        members = ",".join(ids[a] for a, (_, m) in graph.nodes.items() if m == mark)
        style = STYLES.get(mark, "stroke-width:2px")
        lines += [f"  classDef {_class(mark)} {style}", f"  class {members} {_class(mark)}"]
    lines += ["```", ""]
    if used and legend:
        lines += ["Marks: " + ", ".join(f"{legend.get(m, m)}" for m in used) + ".", ""]
    return lines


def _class(mark: str) -> str:
    return "m_" + re.sub(r"[^A-Za-z0-9]", "_", mark)


def _escape(text: str) -> str:
    return text.replace('"', "#quot;")


def marked_by_changes(graph: Graph, changes: Sequence[tuple[str, str]]) -> Graph:
    """The plan's actions on the picture: (address, action) for each change."""
    for address, action in changes:
        graph.mark(address, action)
    return graph
