"""Clean raw job titles: gender markers, codes, locations and noise out; seniority and contract apart.

Postings write the same job in many ways: "Mitarbeiter/-in (m/w/d) Vollzeit", "Senior Software Engineer -
Ref. 12345", "Cozinheiro(a)", "RADNIK/RADNICA U PROIZVODNJI". The matcher wants the occupation only, so
:func:`clean_title` removes what is not the occupation and keeps seniority and contract words apart,
where analysts still want them. Everything is driven by the small word lists in ``vocab/`` (general
labour-market vocabulary, see :mod:`jobmarket.text.patterns`); the rules are conservative: when in doubt
a word stays.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from jobmarket.text.fragments import Pass, canonical
from jobmarket.text.gender import remove_gender
from jobmarket.text.keys import normalize_label
from jobmarket.text.patterns import (
    BRACKET,
    CODE_KEYWORD,
    CONTRACT_ANYWHERE,
    CONTRACT_KEYS,
    CONTRACT_RE,
    DATE,
    DIGIT,
    DIGIT_OR_HASH,
    DOUBLE_SEPARATOR,
    EDGE_JUNK,
    EMPTY_BRACKETS,
    HASHTAG,
    HOURS,
    HTML_TAG,
    LEADING_CONTRACT,
    LEADING_SENIORITY,
    LOCATION_BASED,
    LOCATION_CONNECTORS,
    LOCATION_KEYWORD,
    LOCATION_SEGMENT,
    MEASURES,
    ONLY_BRACKET,
    OPENING,
    PHONE,
    PLACE_KEYS,
    PLACE_SPLIT,
    REPEATED_PUNCT,
    SALARY,
    SEGMENT_NOISE,
    SEGMENT_NOISE_NO_DIGIT,
    SEGMENT_SPLIT,
    SENIORITY_KEYS,
    SENIORITY_RE,
    SPACE_AFTER_OPEN,
    SPACE_BEFORE_PUNCT,
    STANDARD_PREFIXES,
    TRAILING_CONTRACT,
    TRAILING_LEVEL,
    TRAILING_LONG_NUMBER,
    TRAILING_NUMBER,
    TRAILING_SENIORITY,
    WHITESPACE,
    WORKLOAD,
)

__all__ = ["CleanTitle", "clean_title"]


@dataclass(frozen=True)
class CleanTitle:
    title: str
    seniority: str | None
    contract: str | None
    removed: tuple[str, ...]


# ------------------------------------------------------------------------------------------ light cleaning
# A function of the text alone: a title that its pass leaves as it was ends the pass with the text the
# raw title's own light cleaning gave, most real titles being light already.
@lru_cache(maxsize=50_000)
def _light(raw: str) -> str:
    """HTML, emoji, control characters and whitespace: what may be removed from any title."""
    text = raw
    for _ in range(8):  # "&amp;amp;" needs more than one pass; removing one thing can reveal another
        new = _light_once(text)
        if new == text:
            break
        text = new
    return text


_ASCII_CONTROLS = {i: " " for i in [*range(0x20), 0x7F]}  # ASCII's Cc: what _light_char makes a space


def _light_once(text: str) -> str:
    text = html.unescape(text)
    text = HTML_TAG.sub(" ", text)
    text = unicodedata.normalize("NFC", text)
    if text.isascii():  # most titles: only control characters to turn into spaces, no per-character loop
        text = text.translate(_ASCII_CONTROLS)
    else:
        text = "".join(_light_char(ch) for ch in text)
    text = REPEATED_PUNCT.sub(lambda m: m.group(1) or m.group(2) or ".", text)
    return WHITESPACE.sub(" ", text).strip()


def _light_char(ch: str) -> str:
    cat = unicodedata.category(ch)
    if cat in ("Cc", "Zl", "Zp", "Zs"):
        return " "
    if cat in ("Cf", "Cs", "Co", "Cn", "So") or ch in "\ufe0f\ufe0e\u20e3":
        return ""  # emoji, zero-width and format characters, soft hyphens
    return ch


def _has_letter(text: str) -> bool:
    return any(ch.isalpha() for ch in text)


# ------------------------------------------------------------------------------------------ the passes
def _codes(p: Pass, text: str) -> str:
    if not DIGIT_OR_HASH.search(text):
        return text  # every pattern below needs a digit, the hashtag a "#"
    text = p.sub(CODE_KEYWORD, text)
    text = p.sub(HASHTAG, text)
    text = p.sub(DATE, text)
    text = p.sub(SALARY, text)
    text = PHONE.sub(lambda m: _phone(p, m), text)
    text = p.sub(TRAILING_NUMBER, text, repl="")
    m = TRAILING_LONG_NUMBER.search(text)
    if m and m.group(1).casefold().strip("(:") not in STANDARD_PREFIXES:
        p.removed.append(m.group(2))
        text = text[: m.start(2)]
    return text


def _contract_words(p: Pass, text: str) -> str:
    text = p.sub(CONTRACT_ANYWHERE, text, "contract")
    if not DIGIT.search(text):
        return text  # workload and hours are numbers
    text = p.sub(WORKLOAD, text, "contract")
    return p.sub(HOURS, text, "contract")


def _phone(p: Pass, m: re.Match) -> str:
    if sum(ch.isdigit() for ch in m.group(0)) < 8:
        return m.group(0)
    p.removed.append(m.group(0).strip())
    return " "


def _is_noise(segment: str) -> bool:
    """A segment made only of contract, seniority, working-time words, numbers and glue."""
    rest = (SEGMENT_NOISE if DIGIT.search(segment) else SEGMENT_NOISE_NO_DIGIT).sub(" ", segment)
    return not rest.strip() and bool(segment.strip())


def _is_location(segment: str) -> bool:
    """"in Warsaw", "@ Pasir Gudang", "Location: Porto", "Labuan Based", "Berlin": clearly a place."""
    s = segment.strip()
    if LOCATION_KEYWORD.match(s) or _is_place(s):
        return True
    m = LOCATION_SEGMENT.match(s) or LOCATION_BASED.match(s)
    if not m:
        return False
    words = m.group(1).split()
    if not 1 <= len(words) <= 4:
        return False
    named = [w for w in words if w.casefold() not in LOCATION_CONNECTORS]
    # Proper names in title case ("Warsaw", "Pasir Gudang"); all-caps words may be acronyms ("in IT")
    return bool(named) and all(w[:1].isupper() and any(c.islower() for c in w[1:]) for w in named)


def _is_place(text: str) -> bool:
    parts = [normalize_label(x) for x in PLACE_SPLIT.split(text)]
    return bool(parts) and all(x in PLACE_KEYS for x in parts)


def _classify(p: Pass, segment: str) -> bool:
    """Note a noise segment's seniority/contract words; True when the segment should go."""
    if not _is_noise(segment):
        if _is_location(segment):
            p.note(segment, None)
            return True
        return False
    kind_s = canonical(segment, SENIORITY_RE, SENIORITY_KEYS)
    kind_c = canonical(segment, CONTRACT_RE, CONTRACT_KEYS, *MEASURES)
    p.removed.append(segment.strip(" -–—|,;:/"))
    p.seniority.extend(kind_s)
    p.contract.extend(kind_c)
    return True


def _brackets(p: Pass, text: str) -> str:
    if not OPENING.search(text):
        return text
    def one(m: re.Match) -> str:
        inner = m.group(1)
        parts = re.split(r"(\s*[;|]\s*|\s*,(?!\d)\s*)", inner)
        kept = [x for x in parts[0::2] if not (x.strip() and _classify(p, x))]
        kept = [k for k in kept if k.strip()]
        if not kept:
            return " "
        if len(kept) == len([x for x in parts[0::2] if x.strip()]):
            return m.group(0)
        return m.group(0)[0] + ", ".join(k.strip() for k in kept) + m.group(0)[-1]

    return BRACKET.sub(one, text)


def _segments(p: Pass, text: str) -> str:
    parts = SEGMENT_SPLIT.split(text)
    segs = parts[0::2]
    seps = parts[1::2]
    keep = [True] * len(segs)
    if len(segs) == 1:
        return text  # one segment is the title: only a segment beside others can go
    for i, seg in enumerate(segs):
        if not seg.strip():
            continue
        if i == 0 and not _is_noise(seg):
            continue  # the first segment is the title unless it is pure noise
        others = any(_has_letter(s) for j, s in enumerate(segs) if j != i and keep[j])
        if i > 0 and seps[i - 1].strip() == "@":  # "Technician @ Pasir Gudang"
            seg = "@ " + seg
        if others and _classify(p, seg):
            keep[i] = False
    out = ""
    for i, seg in enumerate(segs):
        if not keep[i]:
            continue
        if out and i > 0:
            out += seps[i - 1]
        out += seg
    return out


def _edges(p: Pass, text: str) -> str:
    text = _edge(p, LEADING_SENIORITY, text, "seniority")
    text = _edge(p, TRAILING_SENIORITY, text, "seniority")
    text = _edge(p, LEADING_CONTRACT, text, "contract")
    text = _edge(p, TRAILING_CONTRACT, text, "contract")
    return _edge(p, TRAILING_LEVEL, text, "level")


def _edge(p: Pass, pattern: re.Pattern, text: str, kind: str) -> str:
    m = pattern.search(text)
    if not m:
        return text
    rest = text[: m.start()] + " " + text[m.end():]
    if not _has_letter(EMPTY_BRACKETS.sub(" ", rest)):
        return text  # "Senior" alone or "Internship" alone stays a title
    p.note(m.group(0), kind)
    return rest


# A function of the text alone, called before each step of a pass: most calls see a text that the previous
# step left as it was (one process cleaned 12% more pairs a second with the cache).
@lru_cache(maxsize=50_000)
def _tidy(text: str) -> str:
    for _ in range(3):
        before = text
        brackets = OPENING.search(text)
        if brackets:
            text = EMPTY_BRACKETS.sub(" ", text)
        # Each substitution only where the text holds what it needs: most texts hold none of it, and a
        # test of characters is cheaper than a regex scan that finds nothing.
        if "  " in text or not text.isprintable():  # any whitespace but a single space is unprintable
            text = WHITESPACE.sub(" ", text)
        if " " in text:
            if _CLOSING.intersection(text):
                text = SPACE_BEFORE_PUNCT.sub(r"\1", text)
            if brackets:
                text = SPACE_AFTER_OPEN.sub(r"\1", text)
        if _SEPARATORS.intersection(text):
            text = DOUBLE_SEPARATOR.sub(_one_separator, text)
        if text and (_is_edge_junk(text[0]) or _is_edge_junk(text[-1])):
            text = EDGE_JUNK.sub("", text)
        text = text.strip()
        m = ONLY_BRACKET.fullmatch(text) if brackets else None
        if m:  # a title that is only a bracket: "(E-Commerce Assistant)"
            text = m.group(1).strip()
        if text == before:  # a fixpoint: further rounds change nothing (most titles stop after one)
            break
    return text


_CLOSING = frozenset(",;:!?)]}")  # what SPACE_BEFORE_PUNCT needs after a space
_SEPARATORS = frozenset("-–—|,;")  # what DOUBLE_SEPARATOR needs two of
_EDGE_JUNK_CHARS = frozenset("-–—|,;:/@•·*&_=~!?")  # EDGE_JUNK's class, whitespace aside


def _is_edge_junk(ch: str) -> bool:
    return ch in _EDGE_JUNK_CHARS or ch.isspace()


def _one_separator(m: re.Match) -> str:
    sep = m.group(1) or m.group(2)
    return f" {sep} " if sep in "-–—|" else f"{sep} "


def _full_pass(p: Pass, text: str) -> str:
    text = remove_gender(p, text)
    text = _codes(p, text)
    text = _contract_words(p, _tidy(text))
    text = _brackets(p, _tidy(text))
    text = _segments(p, _tidy(text))
    text = _edges(p, _tidy(text))
    return _light(_tidy(text))


def _marker_pass(p: Pass, text: str) -> str:
    """Only gender markers and codes: the fallback when a full pass would leave no letters."""
    return _light(_tidy(_codes(p, remove_gender(p, text))))


@lru_cache(maxsize=50_000)  # per process; bounded, so a long run's memory stays flat
def _pass_result(step: Callable[[Pass, str], str], text: str) -> tuple[str, tuple, tuple, tuple]:
    """One pass over ``text`` and what it noted. A pass is a function of its text alone (it only appends to
    its Pass), so its result can be reused: many raw titles share a text after their first pass ("Sales
    Manager"), whose confirming pass is then a lookup."""
    p = Pass()
    new = step(p, text)
    return new, tuple(p.removed), tuple(p.seniority), tuple(p.contract)


def _fixpoint(step: Callable[[Pass, str], str], p: Pass, text: str, limit: int = 8) -> str:
    for _ in range(limit):
        new, removed, seniority, contract = _pass_result(step, text)
        p.removed.extend(removed)
        p.seniority.extend(seniority)
        p.contract.extend(contract)
        if new == text or not _has_letter(new):
            return new
        text = new
    return text


def clean_title(raw: str | None) -> CleanTitle:
    """Clean one raw title; never returns an empty title when ``raw`` had letters."""
    if raw is None:
        return CleanTitle("", None, None, ())
    light = _light(str(raw))
    p = Pass()
    title = _fixpoint(_full_pass, p, light)
    if not _has_letter(title):
        p = Pass()  # what was "removed" is the title after all: report only the markers
        title = _fixpoint(_marker_pass, p, light)
        if not _has_letter(title):
            p, title = Pass(), light
    if not _has_letter(title) and _has_letter(str(raw)):
        p, title = Pass(), WHITESPACE.sub(" ", str(raw)).strip()
    return CleanTitle(
        title=title,
        seniority=_join(p.seniority),
        contract=_join(p.contract),
        removed=tuple(dict.fromkeys(r for r in p.removed if r)),
    )


def _join(values: list[str]) -> str | None:
    unique = list(dict.fromkeys(v for v in values if v))
    return ", ".join(unique) if unique else None
