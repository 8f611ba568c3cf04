"""The cleaning vocabularies: word lists read from ``jobmarket/text/vocab/*.tsv``.

They live in data files so that an analyst can add a word without editing Python (see the README there).
Each file holds several lists, one entry a line; order is kept as written, because some patterns try
their alternatives in that order.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import NamedTuple

__all__ = ["Entry", "entries", "table", "words"]

REQUIRED = ("list", "entry")
COLUMNS = ("list", "lang", "canonical", "entry")


class Entry(NamedTuple):
    list: str
    lang: str  # "*" (or empty) when the list is not per-language
    canonical: str  # the value a keyed list maps the entry to; empty elsewhere
    entry: str


@cache
def entries(kind: str) -> tuple[Entry, ...]:
    """Every row of ``vocab/<kind>.tsv``; columns are found by the header, so their order is free."""
    name = f"{kind}.tsv"
    # utf-8-sig: a file saved by a spreadsheet may start with a BOM
    text = files("jobmarket.text.vocab").joinpath(name).read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    header = [h.strip() for h in lines[0].split("\t")] if lines else []
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    if missing or unknown:
        raise ValueError(f"{name}: header needs {REQUIRED}, may add {COLUMNS[1:3]}; got {header}")
    out = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip() or line.lstrip().startswith("#"):
            continue  # blank lines and "#" comments let analysts annotate the files
        cells = line.split("\t")
        if len(cells) != len(header):
            raise ValueError(f"{name}:{number}: {len(cells)} columns, the header has {len(header)}")
        row = dict(zip(header, (c.strip() for c in cells), strict=True))
        if row["entry"]:
            out.append(Entry(row["list"], row.get("lang", "*"), row.get("canonical", ""), row["entry"]))
    return tuple(out)


def words(kind: str, name: str) -> tuple[str, ...]:
    """The entries of list ``name`` in ``vocab/<kind>.tsv``, in file order (duplicates kept)."""
    found = tuple(e.entry for e in entries(kind) if e.list == name)
    if not found:  # a misspelt list name would otherwise silently match nothing
        raise LookupError(f"no list {name!r} in vocab/{kind}.tsv")
    return found


def table(kind: str, name: str) -> dict[str, tuple[str, ...]]:
    """List ``name`` grouped by its canonical value, in order of first appearance: ``{"senior": (...)}``."""
    grouped: dict[str, list[str]] = {}
    for e in entries(kind):
        if e.list == name:
            if not e.canonical:
                raise ValueError(f"vocab/{kind}.tsv: {name!r} entry {e.entry!r} has no canonical value")
            grouped.setdefault(e.canonical, []).append(e.entry)
    if not grouped:
        raise LookupError(f"no list {name!r} in vocab/{kind}.tsv")
    return {canonical: tuple(ws) for canonical, ws in grouped.items()}
