"""What a postings argument names: one file, a folder of files, a glob, or a Parquet dataset folder.

``expand_sources`` turns the argument into the list of sources a run reads, each kept apart (its own
source identity, row numbers and run); ``file_kind`` says how each is read.
"""

from __future__ import annotations

import glob
from collections.abc import Sequence
from pathlib import Path

from jobmarket.io.compression import COMPRESSIONS, compression, plain_suffix
from jobmarket.io.errors import PostingsError

__all__ = ["KNOWN_SUFFIXES", "expand_sources", "file_kind", "is_parquet_dataset", "names_many"]

KINDS = {
    ".csv": "csv", ".tsv": "csv", ".txt": "csv",
    ".jsonl": "json", ".ndjson": "json", ".json": "json",
    ".parquet": "parquet",
    ".xlsx": "spreadsheet", ".xlsm": "spreadsheet", ".xlsb": "spreadsheet", ".xls": "spreadsheet",
    ".ods": "spreadsheet",
}
COMPRESSIBLE = ("csv", "json")  # DuckDB's CSV and JSON readers decompress .gz and .zst themselves
KNOWN_SUFFIXES = tuple(KINDS) + tuple(f"{k}{c}" for k in (".csv", ".tsv", ".jsonl") for c in COMPRESSIONS)
GLOB_CHARS = set("*?[")


def file_kind(path: Path) -> str:
    """``csv``, ``json``, ``parquet``, ``parquet_dataset`` or ``spreadsheet``; else a one-line error."""
    if is_parquet_dataset(path):
        return "parquet_dataset"
    kind = KINDS.get(plain_suffix(path))
    if kind is None or (compression(path) and kind not in COMPRESSIBLE):
        known = ", ".join(KINDS) + "; .gz or .zst after a CSV/TSV/JSON one"
        raise PostingsError(f"{path}: unsupported file type {''.join(path.suffixes) or '(none)'!r}; "
                            f"use one of {known}")
    return kind


def is_parquet_dataset(path: Path) -> bool:
    """A folder named ``*.parquet`` (as Spark, DuckDB and pyarrow write a partitioned dataset): one source."""
    return path.is_dir() and path.suffix.casefold() == ".parquet"


def expand_sources(source: str | Path | Sequence[str | Path]) -> list[Path]:
    """The files (and Parquet dataset folders) that ``source`` names, in a stable order.

    A file or a ``*.parquet`` folder is itself; another folder is the postings files directly inside it
    (by name; others are ignored); a pattern with ``*``, ``?`` or ``[`` is every match (sorted); a list is
    each of its items in turn. A name that matches nothing is a one-line error.
    """
    if isinstance(source, (list, tuple)):
        out: list[Path] = []
        for item in source:
            out.extend(p for p in expand_sources(item) if p not in out)
        if not out:
            raise PostingsError("no postings files given")
        return out
    path = Path(source)
    if path.is_file() or is_parquet_dataset(path):
        return [path]
    if path.is_dir():
        found = sorted(p for p in path.iterdir() if _is_postings(p))
        if not found:
            raise PostingsError(f"{path}: no postings files in this folder (looked for {', '.join(KINDS)}, "
                                "and .gz/.zst of CSV/TSV/JSON)")
        return found
    if GLOB_CHARS & set(str(source)):
        found = sorted(Path(p) for p in glob.glob(str(source), recursive=True)
                       if Path(p).is_file() or is_parquet_dataset(Path(p)))
        if not found:
            raise PostingsError(f"{source}: no file matches this pattern")
        return found
    raise PostingsError(f"{path}: no such file")


def names_many(source: str | Path | Sequence[str | Path]) -> bool:
    """Whether ``source`` is a list, a folder of files or a pattern (a result per file), not one source."""
    if isinstance(source, (list, tuple)):
        return True
    path = Path(source)
    if path.is_file() or is_parquet_dataset(path):
        return False
    return path.is_dir() or bool(GLOB_CHARS & set(str(source)))


def _is_postings(path: Path) -> bool:
    if path.name.startswith((".", "~$")):  # hidden files, Excel's lock files
        return False
    if is_parquet_dataset(path):
        return True
    kind = KINDS.get(plain_suffix(path))
    return path.is_file() and kind is not None and (not compression(path) or kind in COMPRESSIBLE)
