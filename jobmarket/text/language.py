"""The language of a title or text: :func:`detect_language`, py3langid with optional candidate languages."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from functools import cache

__all__ = ["detect_language"]

MIN_LETTERS = 3
MIN_CONFIDENCE = 0.4
MAX_DETECT_CHARS = 1000  # the first 1,000 characters decide; longer texts only cost time


@cache
def _identifier(languages: tuple[str, ...] | None = None):
    """py3langid's identifier, restricted to ``languages`` when given: its probabilities are then those
    renormalised over them, and it scores only their columns (a country's languages are few of 97)."""
    if languages is None:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    lid = copy.copy(_identifier())  # shares the loaded model; set_languages only rebinds its views
    lid.set_languages(list(languages))
    return lid


@cache
def _known() -> frozenset[str]:
    return frozenset(_identifier().labels)


def detect_language(
    text: str, candidates: Sequence[str] | None = None, *, min_confidence: float = MIN_CONFIDENCE
) -> str | None:
    """ISO 639-1 code of ``text``'s language, or None when the text is too short or the guess unsure.

    ``candidates`` restricts the choice (e.g. a country's languages plus English): the probabilities
    are renormalised over them, which makes short titles far more reliable. Codes py3langid does not
    know are ignored.
    """
    if not text or sum(ch.isalpha() for ch in text) < MIN_LETTERS:
        return None
    wanted = None
    if candidates is not None:
        known = _known()
        wanted = tuple(c for c in dict.fromkeys(c.casefold() for c in candidates if c) if c in known)
        if not wanted:
            return None
    lang, p = _identifier(wanted).classify(text[:MAX_DETECT_CHARS])
    if lang == "zxx" or p < min_confidence:
        return None
    return lang
