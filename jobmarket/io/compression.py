"""Compressed postings files (``.gz``, ``.zst``): what is inside them, and Python's view of their bytes.

DuckDB reads compressed CSV and JSON itself (by the file's extension); Python decompresses only what it
looks at (the first megabyte for the sniffers, the header) or what it must rewrite (a transcoding or
line-ending copy, which is written uncompressed).
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path
from typing import BinaryIO

__all__ = ["COMPRESSIONS", "compression", "open_bytes", "open_text", "plain_suffix"]

COMPRESSIONS = {".gz": "gzip", ".gzip": "gzip", ".zst": "zstd", ".zstd": "zstd"}


def compression(path: str | Path) -> str | None:
    """``gzip`` or ``zstd`` by the file's last extension, else None."""
    return COMPRESSIONS.get(Path(path).suffix.casefold())


def plain_suffix(path: str | Path) -> str:
    """The extension of what the file holds: ``.csv`` for ``x.csv.gz``, ``.csv`` for ``x.csv``."""
    p = Path(path)
    return Path(p.stem).suffix.casefold() if compression(p) else p.suffix.casefold()


def open_bytes(path: str | Path) -> BinaryIO:
    """The file's (decompressed) bytes as a stream."""
    kind = compression(path)
    if kind == "gzip":
        return gzip.open(path, "rb")
    if kind == "zstd":
        import zstandard

        # Buffered: read(n) then returns n bytes until the end, as the sniffers expect.
        return io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(open(path, "rb"), closefd=True))
    return open(path, "rb")


def open_text(path: str | Path, encoding: str = "utf-8-sig", errors: str = "replace") -> io.TextIOWrapper:
    """The file's (decompressed) text, with newlines untranslated (as the csv module wants them)."""
    return io.TextIOWrapper(open_bytes(path), encoding=encoding, errors=errors, newline="")
