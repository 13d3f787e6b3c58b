"""One mapping set applied to rows: a CSV row (column -> text) or a JSON object becomes an XDM
record, every value converted to its destination field's type (`aep_spec.xdm.convert`).

* `ATTRIBUTE`: the value of a column (a `\\.` in the source stands for a dot in a CSV header) or,
  in a JSON object, of a dotted path;
* `STATIC`: the source itself;
* `EXPRESSION`: `lower(x)`, `upper(x)`, `trim(x)`, `concat(x, y, …)` over columns, quoted strings
  and other calls; anything else is refused when the set is written (`check_expression`).

A value that cannot become its field's type fails the row: `MappingFailure` names the column.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aep_spec import dataprep, xdm

_TOKEN = re.compile(r"""\s*(?:(?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')"""
                    r"|(?P<name>[A-Za-z_][A-Za-z0-9_.\\-]*)|(?P<punct>[(),]))")
FUNCTIONS: dict[str, Callable[[list[str]], str]] = {
    "lower": lambda args: _one(args, "lower").lower(),
    "upper": lambda args: _one(args, "upper").upper(),
    "trim": lambda args: _one(args, "trim").strip(),
    "concat": lambda args: "".join(args),
}
assert tuple(FUNCTIONS) == dataprep.EXPRESSION_FUNCTIONS


class MappingFailure(Exception):
    """A row's value that cannot be mapped: which column (or source), and why."""

    def __init__(self, column: str, message: str) -> None:
        super().__init__(f"column {column}: {message}")
        self.column = column
        self.message = message


@dataclass(frozen=True)
class Call:
    function: str
    args: tuple[Any, ...]   # Call, ("column", name) or ("string", text)


def parse_expression(text: str) -> Call | tuple[str, str]:
    """The expression's tree; ValueError saying what the local AEP cannot evaluate."""
    tokens = _tokens(text)
    position = 0

    def term() -> Call | tuple[str, str]:
        nonlocal position
        if position >= len(tokens):
            raise ValueError(f"'{text}' ends early")
        kind, value = tokens[position]
        position += 1
        if kind == "string":
            return ("string", bytes(value[1:-1], "utf-8").decode("unicode_escape"))
        if kind != "name":
            raise ValueError(f"'{text}': unexpected '{value}'")
        if position < len(tokens) and tokens[position] == ("punct", "("):
            if value not in FUNCTIONS:
                raise ValueError(f"'{value}' is not among the functions the local AEP evaluates "
                                 f"({', '.join(FUNCTIONS)})")
            position += 1
            args: list[Call | tuple[str, str]] = []
            while position < len(tokens) and tokens[position] != ("punct", ")"):
                args.append(term())
                if position < len(tokens) and tokens[position] == ("punct", ","):
                    position += 1
            if position >= len(tokens):
                raise ValueError(f"'{text}': a call is not closed")
            position += 1
            return Call(value, tuple(args))
        return ("column", value)

    tree = term()
    if position != len(tokens):
        raise ValueError(f"'{text}': unexpected text after the expression")
    return tree


def _tokens(text: str) -> list[tuple[str | None, str]]:
    tokens: list[tuple[str | None, str]] = []
    at = 0
    while text[at:].strip():
        found = _TOKEN.match(text, at)
        if found is None:
            raise ValueError(f"'{text}' holds '{text[at:].strip()[:10]}': not an expression the local AEP takes")
        tokens.append((found.lastgroup, found.group(found.lastgroup or "")))
        at = found.end()
    return tokens


def check_expression(text: str) -> str | None:
    """Why the local AEP cannot evaluate `text`, or None when it can."""
    try:
        parse_expression(text)
    except ValueError as exc:
        return str(exc)
    return None


class Mapper:
    """Applies the mappings of one set version; `types` are the output schema's leaf fields."""

    def __init__(self, mappings: Sequence[Mapping[str, Any]], types: Mapping[str, str] | None) -> None:
        self.mappings = [dataprep.normalize(m) for m in mappings]
        self.types = dict(types or {})
        self._trees = {i: parse_expression(m["source"]) for i, m in enumerate(self.mappings)
                       if m["sourceType"] == "EXPRESSION"}

    def apply(self, row: Mapping[str, Any]) -> dict[str, Any]:
        record: dict[str, Any] = {}
        for index, mapping in enumerate(self.mappings):
            source, destination = mapping["source"], mapping["destination"]
            if mapping["sourceType"] == "STATIC":
                column, value = source, source
            elif mapping["sourceType"] == "EXPRESSION":
                column, value = source, _evaluate(self._trees[index], row)
            else:
                column, value = source.replace("\\.", "."), _lookup(row, source)
            if value is None:
                continue
            typed = self._typed(value, destination, column)
            if typed is not None:
                _place(record, destination, typed)
        return record

    def _typed(self, value: Any, destination: str, column: str) -> Any:
        kind = self.types.get(destination, "string" if not self.types else None)
        if kind is None:
            return value       # a destination the schema does not know (unvalidated set): kept as is
        if not isinstance(value, str):
            value = str(value).lower() if isinstance(value, bool) else str(value)
        try:
            return xdm.convert(value, kind)
        except ValueError as exc:
            raise MappingFailure(column, f"{exc} ({destination} is {kind})") from None


def _lookup(row: Mapping[str, Any], source: str) -> Any:
    if source.replace("\\.", ".") in row:
        return row[source.replace("\\.", ".")]
    value: Any = row
    for part in re.split(r"(?<!\\)\.", source):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part.replace("\\.", "."))
    return value


def _evaluate(tree: Call | tuple[str, str], row: Mapping[str, Any]) -> str:
    if isinstance(tree, Call):
        return FUNCTIONS[tree.function]([_evaluate(a, row) for a in tree.args])
    kind, value = tree
    if kind == "string":
        return value
    found = _lookup(row, value)
    return "" if found is None else str(found)


def _one(args: list[str], name: str) -> str:
    if len(args) != 1:
        raise MappingFailure(name, f"{name}() takes one argument, not {len(args)}")
    return args[0]


def _place(record: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    target = record
    for part in parents:
        target = target.setdefault(part, {})
    target[leaf] = value
