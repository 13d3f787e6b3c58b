"""Edits the tests make to a copied app: each must find its text once, so an edit that no longer
matches the app fails the test that relies on it instead of testing the unedited app."""

from __future__ import annotations


def edited(text: str, *changes: tuple[str, str]) -> str:
    """``text`` with each (old, new) change made; every ``old`` must be there, once."""
    for old, new in changes:
        assert text.count(old) == 1, f"the app holds {old!r} {text.count(old)} times, not once: update the test's edit"
        text = text.replace(old, new)
    return text
