"""What a cleaning pass removes from a title, and the seniority and contract values found in it."""

from __future__ import annotations

import re

from jobmarket.text.patterns import (
    CONTRACT_KEYS,
    CONTRACT_RE,
    MEASURES,
    SENIORITY_KEYS,
    SENIORITY_RE,
    WHITESPACE,
    phrase_key,
)

__all__ = ["Pass", "canonical", "level"]

_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6"}


class Pass:
    """One cleaning pass; collects what it removes."""

    def __init__(self) -> None:
        self.removed: list[str] = []
        self.seniority: list[str] = []
        self.contract: list[str] = []

    def sub(self, pattern: re.Pattern, text: str, kind: str | None = None, repl: str = " ") -> str:
        """``pattern.sub`` that notes each removed match (and its values when ``kind`` is given)."""

        def drop(m: re.Match) -> str:
            self.note(m.group(0), kind)
            return repl

        return pattern.sub(drop, text)

    def note(self, fragment: str, kind: str | None) -> None:
        """Record a removed fragment; ``kind`` "seniority", "contract" or "level" also records its values."""
        fragment = fragment.strip()
        if not fragment:
            return
        self.removed.append(fragment)
        if kind == "seniority":
            self.seniority.extend(canonical(fragment, SENIORITY_RE, SENIORITY_KEYS))
        elif kind == "contract":
            self.contract.extend(canonical(fragment, CONTRACT_RE, CONTRACT_KEYS, *MEASURES))
        elif kind == "level":
            self.seniority.append(level(fragment))


def canonical(fragment: str, pattern: re.Pattern, keys: dict[str, str], *extra: re.Pattern) -> list[str]:
    """Canonical values ("senior", "part-time") of the vocabulary words inside a removed fragment."""
    found = [(m.start(), keys.get(phrase_key(m.group(0)).rstrip("."), m.group(0).casefold()))
             for m in pattern.finditer(fragment)]
    for p in extra:  # hours and durations are kept as written: "40h", "6 months"
        found += [(m.start(), WHITESPACE.sub(" ", m.group(0).casefold())) for m in p.finditer(fragment)]
    return [value for _, value in sorted(found)]


def level(fragment: str) -> str:
    """The seniority value of a trailing level: "Level 2" → "level 2", "III" → "level 3"."""
    word = fragment.strip().casefold()
    if word in _ROMAN:
        return f"level {_ROMAN[word]}"
    digits = re.sub(r"^\D+\s?", "", word)
    return f"level {_ROMAN.get(digits, digits)}"
