"""What a reviewer reads: plan.md in full, and a body a pull request can show at any size.

A fleet's first plan lists a thousand near-identical creates; GitHub refuses a comment over 65,536
characters, and even under that a single deletion hides among them. So, whatever the size:

* **What matters first, always whole.** Deletions and replacements open the plan, every one with
  what forces it (the attributes Terraform reports in ``replace_paths``) and, for a kind that holds
  data, that it deletes data. They are never folded.
* **Many alike, one entry.** Changes of one action and kind in a sandbox (updates: of the same
  attributes) that differ only in names and per-object values become one entry once there are
  :data:`GROUP_AT` of them: the count, the stacks, a few keys, the attributes they share and the
  ones that vary (with examples).
* **Bounded.** :func:`comment` returns plan.md itself when it fits :data:`COMMENT_LIMIT`; otherwise
  the same plan folded step by step (entries to one line each, then sections to their counts), with
  a note of what was folded and a link to the run whose artifacts hold plan.md and plan.json. If
  deletions and replacements alone do not fit, the body says how many it could not show and the
  review is marked incomplete (plan.json ``review.complete``), which CI turns into a failed check.

Rendering is pure (no I/O): :mod:`aep_iac.plan` gathers the plans and writes the files.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Protocol

#: GitHub's limit for an issue or pull-request comment body, in characters.
COMMENT_LIMIT = 65_536
#: Alike changes from this many on become one entry.
GROUP_AT = 5
#: Examples shown of what varies across a group, and keys named.
EXAMPLES = 3
ACTIONS = ("replace", "delete", "update", "create")


class ChangeLike(Protocol):
    """What :mod:`aep_iac.plan` knows of one change (its ``Change``)."""

    key: str
    name: str | None
    action: str
    kind: str
    attributes: dict[str, tuple[str, str]]
    forced_by: list[str]

    @property
    def label(self) -> str: ...


class Detail(IntEnum):
    """How much of the per-sandbox changes a rendering shows."""

    FULL = 0  # every entry with its attributes (groups of many alike as one entry)
    LINES = 1  # one line per entry or group, no attributes
    COUNTS = 2  # per sandbox, how many of each action and kind


@dataclass
class Section:
    """One sandbox's part of the review (however many stacks hold it)."""

    sandbox: str
    stacks: list[str]
    changes: list[tuple[str, ChangeLike]] = field(default_factory=list)  # (stack, change)
    drift: list[tuple[str, ChangeLike]] = field(default_factory=list)
    errors: list[list[str]] = field(default_factory=list)  # each failed stack's lines
    notes: list[list[str]] = field(default_factory=list)  # lines of each warning
    picture: list[str] = field(default_factory=list)  # its pipelines (aep_iac.pictures): in full, when it changes


@dataclass
class Review:
    """A body to post, and what it had to leave out."""

    text: str
    folded: list[str] = field(default_factory=list)
    complete: bool = True  # every deletion and replacement is in the body


@dataclass
class Group:
    """Alike changes shown as one entry."""

    action: str
    kind: str
    members: list[tuple[str, ChangeLike]]

    def noun(self, nouns: Mapping[str, str]) -> str:
        word = nouns.get(self.kind, self.kind)
        return f"{len(self.members)} {word}{'s' if len(self.members) != 1 else ''}"

    def stacks(self) -> list[str]:
        return sorted({stack for stack, _ in self.members}, key=_stack_order)

    def shared_and_varying(self) -> tuple[dict[str, str], dict[str, list[str]]]:
        """Attributes with one value in every member, and the others with their distinct values."""
        values: dict[str, list[str]] = {}
        for _, change in self.members:
            for attribute, (before, after) in change.attributes.items():
                shown = after if self.action == "create" or after.startswith("(write-only") else f"{before} -> {after}"
                values.setdefault(attribute, []).append(shown)
        shared = {a: v[0] for a, v in values.items() if len(v) == len(self.members) and len(set(v)) == 1}
        varying = {a: list(dict.fromkeys(v)) for a, v in values.items() if a not in shared}
        return shared, varying


def _stack_order(stack: str) -> tuple[str, int]:
    """``s3-dev``, ``s3-dev-2``, ..., ``s3-dev-10`` in that order."""
    base, _, number = stack.rpartition("-")
    return (base, int(number)) if number.isdigit() and base else (stack, 1)


def group(changes: Sequence[tuple[str, ChangeLike]], action: str) -> list[Group]:
    """One action's changes in a sandbox: alike ones (same kind; for updates, the same attributes)
    together, in the order they first appear."""
    groups: dict[tuple[str, ...], Group] = {}
    for stack, change in changes:
        key: tuple[str, ...] = (change.kind,)
        if action == "update":
            key += tuple(sorted(change.attributes))
        groups.setdefault(key, Group(action, change.kind, [])).members.append((stack, change))
    return list(groups.values())


def _entry(stack: str, change: ChangeLike, detail: Detail, sandbox: str | None = None) -> list[str]:
    where = f"`{sandbox}` (`{stack}`)" if sandbox is not None else f"`{stack}`"
    head = f"- {change.label} in {where}"
    if change.action == "replace" and change.forced_by:
        head += f", replaced because of {', '.join(f'`{a}`' for a in change.forced_by)}"
    lines = [head]
    if detail > Detail.FULL:
        return lines
    for attribute, (before, after) in change.attributes.items():
        if after.startswith("(write-only") or change.action == "create":
            lines.append(f"  - `{attribute}`: {after}")
        elif change.action != "delete":
            lines.append(f"  - `{attribute}`: {before} -> {after}")
    return lines


def _group_lines(found: Group, nouns: Mapping[str, str], detail: Detail) -> list[str]:
    stacks = found.stacks()
    where = ", ".join(f"`{s}`" for s in stacks[:EXAMPLES]) + (f" and {len(stacks) - EXAMPLES} more" if
                                                              len(stacks) > EXAMPLES else "")
    keys = ", ".join(f"`{c.key}`" for _, c in found.members[:EXAMPLES])
    lines = [f"- {found.noun(nouns)} in {len(stacks)} stack{'s' if len(stacks) != 1 else ''} ({where}): {keys} "
             f"and {len(found.members) - EXAMPLES} more"]
    if detail > Detail.FULL:
        return lines
    shared, varying = found.shared_and_varying()
    if shared:
        lines.append("  - the same in all: " + "; ".join(f"`{a}`: {v}" for a, v in shared.items()))
    if varying:
        lines.append("  - varying: " + "; ".join(
            f"`{a}` ({len(v)} value{'s' if len(v) != 1 else ''}, e.g. {', '.join(v[:EXAMPLES])})"
            for a, v in varying.items()))
    return lines


def changes_lines(changes: Sequence[tuple[str, ChangeLike]], action: str, nouns: Mapping[str, str],
                  detail: Detail, order: Callable[[ChangeLike], tuple[int, str]]) -> list[str]:
    """The entries of one action in a sandbox: small sets one by one, many alike as one entry."""
    chosen = sorted(((s, c) for s, c in changes if c.action == action), key=lambda sc: order(sc[1]))
    if not chosen:
        return []
    lines = [f"### {action.capitalize()} ({len(chosen)})", ""]
    if detail == Detail.COUNTS:
        kinds: dict[str, int] = {}
        for _, change in chosen:
            kinds[change.kind] = kinds.get(change.kind, 0) + 1
        return [*lines, ", ".join(f"{n} {nouns.get(k, k)}{'s' if n != 1 else ''}" for k, n in kinds.items()), ""]
    for found in group(chosen, action):
        if len(found.members) >= GROUP_AT:
            lines += _group_lines(found, nouns, detail)
        else:
            for stack, change in found.members:
                lines += _entry(stack, change, detail)
    return [*lines, ""]


def destructive_lines(sections: Sequence[Section], data_kinds: frozenset[str],
                      budget: int | None = None) -> tuple[list[str], int]:
    """Every deletion and replacement, whole, across sandboxes; with ``budget`` (characters), as many
    as fit and how many did not."""
    found = [(section.sandbox, stack, change) for section in sections for stack, change in section.changes
             if change.action in ("replace", "delete")]
    if not found:
        return [], 0
    lines = [f"## Deletions and replacements ({len(found)})", ""]
    used = sum(len(line) + 1 for line in lines)
    left_out = 0
    for sandbox, stack, change in sorted(found, key=lambda f: (f[2].action != "delete", f[0], f[2].kind, f[2].key)):
        entry = _entry(stack, change, Detail.FULL, sandbox)
        entry[0] = entry[0].replace("- ", f"- **{change.action.capitalize()}** ", 1)
        if change.kind in data_kinds:
            entry[0] += ": **deletes the data it holds**"
        size = sum(len(line) + 1 for line in entry)
        if budget is not None and used + size > budget:
            left_out += 1
            continue
        lines += entry
        used += size
    if left_out:
        lines.append(f"- **{left_out} more deletion(s) and replacement(s) are only in the full plan.**")
    return [*lines, ""], left_out


def render(header: Sequence[str], sections: Sequence[Section], tail: Sequence[str], nouns: Mapping[str, str],
           order: Callable[[ChangeLike], tuple[int, str]], detail: Detail = Detail.FULL,
           data_kinds: frozenset[str] = frozenset(), note: Sequence[str] = (),
           destructive_budget: int | None = None) -> tuple[str, int]:
    """The review at ``detail``; the number of deletions and replacements left out (budget only)."""
    destructive, left_out = destructive_lines(sections, data_kinds, destructive_budget)
    lines = [*header, "", *note, *([""] if note else []), *destructive]
    for section in sections:
        lines += [f"## {section.sandbox}", "", f"Stacks: {', '.join(f'`{s}`' for s in section.stacks)}.", ""]
        for block in section.errors:
            lines += [*block, ""]
        destroying = sum(1 for _, c in section.changes if c.action in ("replace", "delete"))
        if destroying:
            lines += [f"Deletions and replacements: {destroying}, listed above.", ""]
        if section.notes:
            lines += [f"### Notes ({len(section.notes)})", ""]
            if detail == Detail.FULL:
                for note_lines in section.notes:
                    lines += [*note_lines, ""]
            else:
                lines += [note_lines[0] for note_lines in section.notes[:EXAMPLES]]
                if len(section.notes) > EXAMPLES:
                    lines.append(f"- and {len(section.notes) - EXAMPLES} more")
                lines.append("")
        if not section.changes and not section.errors:
            lines.append("No changes.")
        if section.picture and detail == Detail.FULL and (section.changes or section.drift):
            lines += ["", "### Pipelines", "", *section.picture]
        for action in ("update", "create"):
            lines += changes_lines(section.changes, action, nouns, detail, order)
        if section.drift:
            lines += [f"### Changed outside Terraform ({len(section.drift)})", ""]
            if detail == Detail.COUNTS:
                lines.append(f"{len(section.drift)} object(s); the full plan lists them.")
            for stack, change in section.drift if detail < Detail.COUNTS else ():
                deleted = ": deleted in Flow Service" if change.action == "deleted" else ""
                lines.append(f"- {change.label} in `{stack}`{deleted}")
                if detail == Detail.FULL:
                    for attribute, (before, after) in change.attributes.items():
                        lines.append(f"  - `{attribute}`: {before} -> {after}")
        lines.append("")
    lines += tail
    text = "\n".join(lines)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.rstrip("\n") + "\n", left_out


def comment(full: str, fold: Callable[[Detail, Sequence[str], int | None], tuple[str, int]], link: str | None,
            limit: int = COMMENT_LIMIT) -> Review:
    """The body to post: ``full`` when it fits, else the plan folded until it does (``fold(detail,
    note, destructive_budget)`` renders it), with where the full plan is."""
    footer = f"\n---\nThe whole plan (plan.md, plan.json): [the run's artifact `plan`]({link}).\n" if link else ""
    if len(full) + len(footer) <= limit:
        return Review(full + footer)
    where = f"[the run's artifact `plan`]({link}) (plan.md and plan.json)" if link else \
        "plan.md and plan.json, beside this plan (in CI: the run's artifact `plan`)"
    for detail, what in ((Detail.LINES, "every entry to one line (attributes and pictures left out)"),
                         (Detail.COUNTS, "every sandbox's updates, creates and drift to their counts")):
        note = [f"> Folded to fit a pull-request comment ({len(full):,} characters in full; the limit is "
                f"{limit:,}): {what}. The full plan: {where}."]
        text, _ = fold(detail, note, None)
        if len(text) <= limit:
            return Review(text, [what])
    note = [f"> **Not every deletion and replacement fits in this comment.** They are listed first, as many as fit; "
            f"every sandbox's other changes are folded to their counts. Review the full plan before merging: {where}."]
    without, _ = fold(Detail.COUNTS, note, 0)
    text, left_out = fold(Detail.COUNTS, note, max(0, limit - len(without) - 200))
    return Review(text[:limit], ["every sandbox's updates, creates and drift to their counts",
                                 f"{left_out} deletion(s) and replacement(s)"], complete=left_out == 0)
