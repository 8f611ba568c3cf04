"""Countries as files give them → ISO 3166-1 alpha-2 (:func:`country_code`: codes, alpha-3, numeric, names
in any language through pycountry and CLDR's names in babel), and official languages by country (alpha-2 →
ISO 639-1), a prior for language detection.

Postings rarely say their language; their country narrows it to a few candidates, which makes
detection on short titles far more reliable than an open choice among 97 languages.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache

COUNTRY_LANGUAGES: dict[str, tuple[str, ...]] = {
    "AT": ("de",),
    "BE": ("nl", "fr", "de"),
    "BG": ("bg",),
    "CH": ("de", "fr", "it"),
    "CY": ("el", "en"),
    "CZ": ("cs",),
    "DE": ("de",),
    "DK": ("da",),
    "EE": ("et",),
    "ES": ("es", "ca", "eu", "gl"),
    "FI": ("fi", "sv"),
    "FR": ("fr",),
    "GB": ("en",),
    "UK": ("en",),
    "GR": ("el",),
    "EL": ("el",),
    "HR": ("hr",),
    "HU": ("hu",),
    "IE": ("en", "ga"),
    "IS": ("is",),
    "IT": ("it",),
    "LI": ("de",),
    "LT": ("lt",),
    "LU": ("fr", "de", "lb"),
    "LV": ("lv",),
    "MT": ("mt", "en"),
    "NL": ("nl",),
    "NO": ("no", "nb", "nn"),
    "PL": ("pl",),
    "PT": ("pt",),
    "RO": ("ro",),
    "SE": ("sv",),
    "SI": ("sl",),
    "SK": ("sk",),
    "UA": ("uk",),
    "RS": ("sr",),
    "BA": ("bs", "hr", "sr"),
    "ME": ("sr",),
    "MK": ("mk",),
    "AL": ("sq",),
    "TR": ("tr",),
    "US": ("en",),
    "CA": ("en", "fr"),
    "AU": ("en",),
    "NZ": ("en",),
    "IN": ("en", "hi"),
    "MY": ("en", "ms"),
    "SG": ("en", "zh"),
    "CN": ("zh",),
    "JP": ("ja",),
    "MX": ("es",),
    "AR": ("es",),
    "CO": ("es",),
    "CL": ("es",),
    "BR": ("pt",),
}

# Codes the EU and the UK use beside ISO 3166 (Eurostat: EL for Greece, UK for the United Kingdom).
EXCEPTIONAL_CODES = {"UK": "GB", "EL": "GR"}


def country_code(value: str | None) -> str | None:
    """ISO 3166-1 alpha-2 of a country given as alpha-2, alpha-3 or numeric code, or as a name in any
    language CLDR names it in (``DEU``, ``276``, ``Deutschland``, ``Allemagne``, ``Germany`` → ``DE``);
    None when unknown."""
    return _country_code(value.strip() if value else "")


@lru_cache(maxsize=8192)
def _country_code(text: str) -> str | None:
    import pycountry

    if not text or len(text) > 100:
        return None
    upper = text.upper()
    if upper in EXCEPTIONAL_CODES:
        return EXCEPTIONAL_CODES[upper]
    if len(text) in (2, 3) and text.isalpha() or text.isdigit():
        found = (pycountry.countries.get(alpha_2=upper) if len(text) == 2 else
                 pycountry.countries.get(alpha_3=upper) if text.isalpha() else
                 pycountry.countries.get(numeric=text.zfill(3)))
        if found is not None:
            return found.alpha_2
        if len(text) == 2:
            return None  # an unknown two-letter code is not a name either
    return _country_names().get(_name_key(text))


def _name_key(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[\W_]+", " ", kept).strip()


@cache
def _country_names() -> dict[str, str]:
    """Every country name pycountry (English, official, common) and CLDR (every babel locale) knows, keyed
    by ``_name_key``; a name that two locales give to different countries is left out as ambiguous."""
    import babel
    import babel.localedata
    import pycountry

    names: dict[str, str] = {}
    ambiguous: set[str] = set()

    def add(name: str, code: str) -> None:
        key = _name_key(name)
        if not key or key in ambiguous:
            return
        if names.setdefault(key, code) != code:
            ambiguous.add(key)
            del names[key]

    for c in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            if getattr(c, attr, None):
                add(getattr(c, attr), c.alpha_2)
    codes = {c.alpha_2 for c in pycountry.countries}
    for ident in babel.localedata.locale_identifiers():
        try:
            territories = babel.Locale.parse(ident).territories
        except (ValueError, babel.UnknownLocaleError):
            continue
        for code, name in territories.items():
            if code in codes:
                add(name, code)
    return names


def country_languages(value: str | None) -> tuple[str, ...]:
    code = country_code(value)
    return COUNTRY_LANGUAGES.get(code, ()) if code else ()
