"""Language values as files have them (``de-DE``, ``ger``, ``German``, ``Deutsch``) → ISO 639-1 (``de``).

IETF tags and ISO 639-2/3 codes go through langcodes' parser; language names in any language through its
name index (the ``language-data`` package, CLDR names). The language subtag is what ESCO's labels and
the detector use, so region and script are dropped (``de-AT`` → ``de``).
"""

from __future__ import annotations

from functools import lru_cache

__all__ = ["standard_language"]


@lru_cache(maxsize=4096)
def standard_language(value: str | None) -> str | None:
    """The ISO 639-1 code (or the shortest code langcodes knows) of a tag, code or name; None if unknown."""
    import langcodes

    text = (value or "").strip()
    if not text or not any(ch.isalpha() for ch in text):
        return None
    try:
        tag = langcodes.Language.get(text.replace("_", "-"))
        if tag.is_valid() and tag.language and tag.language != "und":
            return tag.language
    except (LookupError, ValueError):
        pass
    try:
        found = langcodes.find(text)
    except (LookupError, ValueError):
        return None
    return found.language if found.language and found.language != "und" else None
