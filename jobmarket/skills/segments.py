"""Segments of a description (sentences, bullet items, clauses of long sentences) and its words.

Sentences come from ``sentencex`` (Wikimedia's segmenter: abbreviation lists for ~300 languages, so
"z.B." or "e.g." do not end a sentence). Two general repairs follow it: a piece that starts with a
lower-case letter or a digit continues the previous sentence ("Osoba ds. sprzedaży", "nr. 5"), and a lone
initial ("kat. B.") is glued back. Every segment and word keeps its character offsets into the
description, so a finding's evidence is always ``description[start:end]``, and each segment knows the
sentence it came from.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Segment:
    """A piece of a description: ``text == description[start:end]``; ``description[sentence_start:
    sentence_end]`` is the sentence (or bullet item) it came from; ``section`` its kind of text
    (:mod:`jobmarket.skills.sections`)."""

    text: str
    start: int
    end: int
    sentence_start: int = -1
    sentence_end: int = -1
    section: str = "other"


_LINE = re.compile(r"[\r\n]+|<br\s*/?>|</?(?:li|p|ul|ol|div)\b[^>]*>", re.I)
# A bullet: a dash/bullet sign and a space, at the start or after whitespace ("- CAD …; - координация").
_BULLET = re.compile(r"(?:(?<=\s)|^)[-–—•·▪●◦*►✓➢]+\s+|^\s*\d{1,2}[.)]\s+")
_CLAUSE = re.compile(r"\s*[,;:–—]\s+|\s+\(|\)\s*")
_TRIM = " \t\r\n-–—•·▪●◦*►✓➢.,;:!?()[]\"'"
# A word: letters/digits, with inner . + # ' & kept ("C++", "C#", "node.js", "R&D"); hyphens split words, so
# "SQL-Kenntnisse" has "SQL" and "e-learning" is "e learning" on both sides.
_WORD = re.compile(r"[^\W_](?:[\w+#.'’&]*[\w+#])?")
_INITIAL = re.compile(r"^\s*\w{1,2}\.\s*$")
# A semicolon ends a list item as a full stop would; so does a comma right after a full stop (". , "),
# how some portals join the fields of a form.
_SEMICOLON = re.compile(r"(?<=;)\s+(?=\S)|(?<=\.)\s*,\s+(?=\S)")


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


@lru_cache(maxsize=1 << 16)
def _sentence_spans(piece: str, lang: str) -> tuple[tuple[int, int], ...]:
    """Sentence spans of one line or bullet item (cached: portals repeat the same lines)."""
    from sentencex import get_sentence_boundaries

    try:
        bounds = get_sentence_boundaries(lang, piece)
    except Exception:  # noqa: BLE001 - an unknown language code: the segmenter's default rules
        bounds = get_sentence_boundaries("en", piece)
    spans: list[list[int]] = []
    for b in bounds:
        s, e = int(b["start_index"]), int(b["end_index"])
        body = piece[s:e].lstrip()
        glue = bool(spans) and bool(body) and (body[0].islower() or body[0].isdigit()
                                              or _INITIAL.match(piece[spans[-1][0]:spans[-1][1]]))
        if glue:
            spans[-1][1] = e
        else:
            spans.append([s, e])
    out: list[tuple[int, int]] = []
    for s, e in spans:
        out += [(a, b) for a, b in _cut(piece, s, e, _SEMICOLON)]
    return tuple(out)


def split_segments(text: str, max_words: int = 25, lang: str | None = None,
                   skip: Sequence[tuple[int, int]] = ()) -> list[Segment]:
    """Sentences and bullet items of a description; sentences over ``max_words`` words become clauses,
    and clauses still over it become windows of ``max_words`` words.

    ``lang``: the description's language for the sentence splitter (default English rules). ``skip``:
    character spans that are no part of any segment (section headings), as cut points.
    """
    if not text:
        return []
    seg_lang = (lang or "en").split("-")[0].lower()
    regions, pos = [], 0
    for s, e in sorted(skip):
        if s > pos:
            regions.append((pos, s))
        pos = max(pos, e)
    regions.append((pos, len(text)))
    out: list[Segment] = []
    for rs, re_ in regions:
        for ls, le in _cut(text, rs, re_, _LINE):
            for bs, be in _cut(text, ls, le, _BULLET):
                if be <= bs:
                    continue
                for a, b in _sentence_spans(text[bs:be], seg_lang):
                    _add_sentence(text, bs + a, bs + b, max_words, out)
    return out


def _add_sentence(text: str, ss: int, se: int, max_words: int, out: list[Segment]) -> None:
    sent = _trim(text, ss, se)
    pieces = [(ss, se)]
    if _words(text, ss, se) > max_words:
        pieces = _cut(text, ss, se, _CLAUSE)
    for ps, pe in pieces:
        ps, pe = _trim(text, ps, pe)
        if pe <= ps or not any(c.isalpha() for c in text[ps:pe]):
            continue
        for ws, we in _windows(text, ps, pe, max_words):
            out.append(Segment(text[ws:we], ws, we, sent[0], sent[1]))


def _windows(text: str, start: int, end: int, max_words: int) -> list[tuple[int, int]]:
    words = [m.span() for m in re.finditer(r"\S+", text[start:end])]
    if len(words) <= max_words:
        return [(start, end)]
    return [(start + words[i][0], start + words[min(i + max_words, len(words)) - 1][1])
            for i in range(0, len(words), max_words)]


def tokenize(text: str) -> list[tuple[str, int, int]]:
    """Words of ``text`` with their char offsets."""
    return [(m.group(), m.start(), m.end()) for m in _WORD.finditer(text)]
