"""Segments of a description (sentences, bullet items, clauses of long sentences) and its words.

Every segment and word keeps its character offsets into the description, so a finding's evidence is
always ``description[start:end]``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Segment:
    """A piece of a description: ``text == description[start:end]``."""

    text: str
    start: int
    end: int


_LINE = re.compile(r"[\r\n]+|<br\s*/?>|</?(?:li|p|ul|ol|div)\b[^>]*>", re.I)
# A bullet: a dash/bullet sign and a space, at the start or after whitespace ("- CAD …; - координация").
_BULLET = re.compile(r"(?:(?<=\s)|^)[-–—•·▪●◦*►✓➢]+\s+|^\s*\d{1,2}[.)]\s+")
_SENTENCE = re.compile(r"(?<=[.!?。！？;])\s+(?=\S)")
_CLAUSE = re.compile(r"\s*[,;:–—]\s+|\s+\(|\)\s*")
_TRIM = " \t\r\n-–—•·▪●◦*►✓➢.,;:!?()[]\"'"
# A word: letters/digits, with inner . + # ' & kept ("C++", "C#", "node.js", "R&D"); hyphens split words, so
# "SQL-Kenntnisse" has "SQL" and "e-learning" is "e learning" on both sides.
_WORD = re.compile(r"[^\W_](?:[\w+#.'’&]*[\w+#])?")


def _cut(text: str, start: int, end: int, pattern: re.Pattern) -> list[tuple[int, int]]:
    """The spans of text[start:end] between the matches of pattern."""
    spans, pos = [], start
    for m in pattern.finditer(text, start, end):
        if m.end() == m.start():
            continue
        spans.append((pos, m.start()))
        pos = m.end()
    spans.append((pos, end))
    return spans


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in _TRIM:
        start += 1
    while end > start and text[end - 1] in _TRIM:
        end -= 1
    return start, end


def _words(text: str, start: int, end: int) -> int:
    return len(text[start:end].split())


def split_segments(text: str, max_words: int = 25) -> list[Segment]:
    """Sentences and bullet items of a description; sentences over ``max_words`` words become clauses,
    and clauses still over it become windows of ``max_words`` words."""
    if not text:
        return []
    out: list[Segment] = []
    for ls, le in _cut(text, 0, len(text), _LINE):
        for bs, be in _cut(text, ls, le, _BULLET):
            for ss, se in _cut(text, bs, be, _SENTENCE):
                pieces = [(ss, se)]
                if _words(text, ss, se) > max_words:
                    pieces = _cut(text, ss, se, _CLAUSE)
                for ps, pe in pieces:
                    ps, pe = _trim(text, ps, pe)
                    if pe <= ps or not any(c.isalpha() for c in text[ps:pe]):
                        continue
                    for ws, we in _windows(text, ps, pe, max_words):
                        out.append(Segment(text[ws:we], ws, we))
    return out


def _windows(text: str, start: int, end: int, max_words: int) -> list[tuple[int, int]]:
    words = [m.span() for m in re.finditer(r"\S+", text[start:end])]
    if len(words) <= max_words:
        return [(start, end)]
    return [(start + words[i][0], start + words[min(i + max_words, len(words)) - 1][1])
            for i in range(0, len(words), max_words)]


def tokenize(text: str) -> list[tuple[str, int, int]]:
    """Words of ``text`` with their char offsets."""
    return [(m.group(), m.start(), m.end()) for m in _WORD.finditer(text)]
