"""Find a postings file's text encoding and hand DuckDB UTF-8 with line breaks its CSV reader accepts.

DuckDB 2.0's CSV reader decodes only UTF-8, UTF-16 and Latin-1 itself, so any other encoding is streamed
through a Python decoder into a UTF-8 copy; only the first megabyte is looked at to choose the encoding.
"""

from __future__ import annotations

import codecs
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from jobmarket.io.compression import compression, open_bytes, open_text, plain_suffix
from jobmarket.io.errors import PostingsError

SNIFF_BYTES = 1 << 20  # what Python looks at: the first megabyte
CR_BREAK = re.compile(r"\r\n?")
CHUNK = 1 << 20


@contextmanager
def _utf8_copy(path: Path, encoding: str | None, json: bool = False) -> Iterator[tuple[str, str]]:
    """A UTF-8 file DuckDB can read (the file itself when it is UTF-8) and the source's encoding.

    JSON is UTF-8 by definition (RFC 8259): only a byte-order mark changes that; bad bytes in it are
    rejected line by line.
    """
    enc = _codec_name(path, encoding) if encoding else _sniff_encoding(path, bom_only=json)
    if enc in ("utf-8", "utf-8-sig"):
        yield str(path), enc  # DuckDB reads UTF-8 itself (compressed too) and skips a BOM
        return
    tmp = Path(tempfile.mkdtemp(prefix="jobmarket-"))
    try:
        target = tmp / ("utf8" + plain_suffix(path))  # written uncompressed
        _transcode(path, target, enc)
        yield str(target), enc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@contextmanager
def _lf_line_endings(source: str) -> Iterator[str | None]:
    """A copy of ``source`` whose line breaks outside quotes (CRLF, bare CR) are all LF, or None when it
    has none to change. Quotes are tracked by parity (RFC 4180 doubles a quote inside a quoted field, so
    parity stays right), chunk by chunk; a CR inside quotes is text and stays."""
    tmp = Path(tempfile.mkdtemp(prefix="jobmarket-"))
    target = tmp / ("lf" + plain_suffix(source))
    changed, inside = bool(compression(source)), False  # a compressed source is rewritten plain anyway
    try:
        with open_text(source, encoding="utf-8", errors="surrogateescape") as src, \
                open(target, "w", encoding="utf-8", errors="surrogateescape", newline="") as dst:
            while chunk := src.read(CHUNK):
                while chunk.endswith("\r"):  # whether it is a CRLF shows in the next character
                    more = src.read(1)
                    if not more:
                        break
                    chunk += more
                parts = chunk.split('"')
                for i in range(1 if inside else 0, len(parts), 2):
                    fixed = CR_BREAK.sub("\n", parts[i])
                    changed |= fixed != parts[i]
                    parts[i] = fixed
                inside ^= (len(parts) - 1) % 2 == 1
                dst.write('"'.join(parts))
        yield str(target) if changed else None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _codec_name(path: Path, encoding: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise PostingsError(f"{path}: unknown encoding {encoding!r}") from None


def _sniff_encoding(path: Path, bom_only: bool = False) -> str:
    """UTF-8 unless the first megabyte says otherwise (BOM, or bytes that are not UTF-8)."""
    with open_bytes(path) as f:
        sample = f.read(SNIFF_BYTES)
        at_end = not f.read(1)
    for bom, name in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                      (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                      (codecs.BOM_UTF16_BE, "utf-16")):
        if sample.startswith(bom):
            return name
    bad = _first_bad_utf8(sample, at_end)
    if bad is None or bom_only or _mostly_utf8(sample):
        return "utf-8"  # a few bad bytes in a UTF-8 file: DuckDB rejects those records one by one
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    if best is None:
        line = sample[:bad].count(b"\n") + 1
        raise PostingsError(f"{path}: cannot tell the text encoding: byte {bad} (line {line}) is not UTF-8; "
                            "pass --encoding")
    return codecs.lookup(best.encoding).name


def _first_bad_utf8(sample: bytes, at_end: bool) -> int | None:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(sample, final=at_end)  # a character cut at the sample's end is not an error
    except UnicodeDecodeError as exc:
        return exc.start
    return None


def _mostly_utf8(sample: bytes) -> bool:
    """Valid multi-byte UTF-8 characters far outnumber invalid bytes: a UTF-8 file with some bad bytes."""
    text = sample.decode("utf-8", errors="surrogateescape")
    bad = sum(1 for ch in text if "\udc80" <= ch <= "\udcff")
    good = sum(1 for ch in text if ord(ch) > 0x7F and not "\udc80" <= ch <= "\udcff")
    return good >= 3 * max(bad, 1)


def _transcode(source: Path, target: Path, encoding: str) -> None:
    """Stream ``source`` through a decoder into UTF-8, naming the byte and line of the first bad byte."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    offset, lines = 0, 0
    with open_bytes(source) as src, open(target, "w", encoding="utf-8", newline="") as dst:
        while True:
            chunk = src.read(CHUNK)
            pending = len(decoder.getstate()[0])
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                at = offset - pending + exc.start
                line = lines + exc.object[: exc.start].decode(encoding, errors="ignore").count("\n") + 1
                raise PostingsError(f"{source}: cannot decode as {encoding} at byte {at} (line {line}); "
                                    "pass the right --encoding") from None
            dst.write(text)
            lines += text.count("\n")
            offset += len(chunk)
            if not chunk:
                break
