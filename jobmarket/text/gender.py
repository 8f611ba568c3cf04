"""Gender markers out of a title: "(m/w/d)", "Bauleiter:in", "Camarero/a", "RADNIK/RADNICA" → one form.

Bracketed and unbracketed markers go first, then feminine endings, then full pairs, of which the
masculine half (or, where the feminine half comes first, the right one) stays.
"""

from __future__ import annotations

import re

from jobmarket.text.fragments import Pass
from jobmarket.text.patterns import (
    FEMININE_PAIR_ENDINGS,
    GENDER_BRACKETED,
    GENDER_MANN_FRAU,
    GENDER_SUFFIXES,
    GENDER_UNBRACKETED,
    OPENING,
    SLASH,
    WORD,
)

__all__ = ["remove_gender"]


def remove_gender(p: Pass, text: str) -> str:
    """``text`` without its gender markers; what goes is noted in ``p``."""
    # Removing markers never adds a character, so a character missing at the start stays missing.
    slash = "/" in text
    if OPENING.search(text):
        text = p.sub(GENDER_BRACKETED, text)
    text = p.sub(GENDER_UNBRACKETED, text)
    if slash:
        text = GENDER_MANN_FRAU.sub(lambda m: _mann_frau(p, m), text)
    for pattern, needs in GENDER_SUFFIXES:
        if needs.search(text):
            text = p.sub(pattern, text, repl="")
    return _gender_pairs(p, text) if slash else text


def _mann_frau(p: Pass, m: re.Match) -> str:
    """"Kaufmann/-frau", "Kauffrau/Kaufmann" → "Kaufmann"."""
    stem, first, stem2, second = m.groups()
    if first.casefold() == second.casefold() or (stem2 and stem2.casefold() != stem.casefold()):
        return m.group(0)
    p.removed.append(m.group(0)[len(stem) + len(first):].strip())
    return stem + (first if first.casefold() == "mann" else second)


def _gender_pairs(p: Pass, text: str) -> str:
    """Full gendered pairs: "RADNIK/RADNICA", "Opiekun medyczny/Opiekunka medyczna" → the masculine half."""
    pos = 0
    while m := SLASH.search(text, pos):
        right = WORD.match(text, m.end())
        replaced = _pair_at(text, m, right) if right else None
        if replaced is None:
            pos = m.end()
            continue
        text, removed, pos = replaced
        p.removed.append(removed)
    return text


def _pair_at(text: str, slash: re.Match, right: re.Match) -> tuple[str, str, int] | None:
    """The text with the pair at ``slash`` reduced to one half; None when the halves are not a pair."""
    left_words = list(WORD.finditer(text, 0, slash.start()))[-4:]
    r = right.group(0).casefold()
    for back in range(1, len(left_words) + 1):
        word = left_words[-back]
        w = word.group(0).casefold()
        stem = _common_prefix_len(w, r)
        if stem < max(3, len(w) - 3):
            continue
        w_rest, r_rest = w[stem:], r[stem:]
        end = _twins_end(text, [x.group(0) for x in left_words[len(left_words) - back + 1:]], right.end())
        if end is None:
            continue
        removed = text[slash.end() - 1:end].strip()
        if len(w_rest) <= 3 and 0 < len(r_rest) <= 5 and r_rest.endswith(FEMININE_PAIR_ENDINGS):
            return text[: slash.start()] + text[end:], removed, slash.start()
        if not r_rest and 0 < len(w_rest) <= 5 and w_rest.endswith(FEMININE_PAIR_ENDINGS):
            # the left half is the feminine one ("Kelnerka/Kelner"): the right half takes its place
            head = text[: word.start()] + right.group(0) + text[word.end(): slash.start()]
            return head + text[end:], word.group(0), len(head)
    return None


def _twins_end(text: str, tail: list[str], start: int) -> int | None:
    """Where the right half ends: after the words that repeat the left half's tail ("budowy", "medyczna").

    None when the right half goes on with other words, which makes it an alternative title, not a twin.
    """
    pos = start
    for word in tail:
        m = WORD.match(text, _skip_space(text, pos))
        if not m:
            break
        a, b = word.casefold(), m.group(0).casefold()
        if _common_prefix_len(a, b) < max(3, len(a) - 3):
            return None
        pos = m.end()
    else:
        return pos
    # tail words were not repeated: fine only if nothing word-like follows ("Opiekun medyczny/Opiekunka")
    return start if not WORD.match(text, _skip_space(text, start)) else None


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


def _common_prefix_len(a: str, b: str) -> int:
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    return i
