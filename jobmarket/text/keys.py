"""The exact-lookup key shared by ESCO labels and cleaned titles: :func:`normalize_label`."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["normalize_label"]

# Kept here rather than imported from patterns: the matcher needs the key without the cleaning vocabularies.
_WHITESPACE = re.compile(r"\s+")
_QUOTES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'", "´": "'", "“": '"', "”": '"', "„": '"',
                         "«": '"', "»": '"', "–": "-", "—": "-", "‐": "-", "‑": "-", "−": "-"})
_LEADING_PUNCT = set(",;:!?¡¿'\"-_/\\|*·•…~")  # not ".": ".net developer"
_TRAILING_PUNCT = _LEADING_PUNCT | {"."}  # not "+" or "#": "c++", "c#"
_PAIRS = {")": "(", "]": "[", "}": "{"}


def normalize_label(text: str) -> str:
    """The exact-lookup key of a label or title: NFKC, casefold, one space, no punctuation at the ends."""
    key = unicodedata.normalize("NFKC", text or "")
    key = unicodedata.normalize("NFKC", key.casefold()).translate(_QUOTES)
    if not key.isprintable():  # printable text has no Cc/Cf characters: skip the per-character scan
        key = "".join(ch for ch in key if unicodedata.category(ch) not in ("Cf", "Cc") or ch.isspace())
    key = _WHITESPACE.sub(" ", key).strip()
    while key:
        trimmed = _strip_edge_punct(key)
        if trimmed == key:
            break
        key = trimmed
    return key


def _strip_edge_punct(key: str) -> str:
    start, end = 0, len(key)
    while start < end and (
        key[start] in _LEADING_PUNCT or key[start].isspace() or _unmatched_open(key, start)
    ):
        start += 1
    while end > start and (
        key[end - 1] in _TRAILING_PUNCT or key[end - 1].isspace() or _unmatched_close(key, end - 1)
    ):
        end -= 1
    return key[start:end]


def _unmatched_open(key: str, i: int) -> bool:
    ch = key[i]
    if ch not in "([{":
        return False
    close = {"(": ")", "[": "]", "{": "}"}[ch]
    return close not in key[i + 1:]


def _unmatched_close(key: str, i: int) -> bool:
    ch = key[i]
    if ch not in _PAIRS:
        return False
    return _PAIRS[ch] not in key[:i]

