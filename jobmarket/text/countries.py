"""Official languages by country (ISO 3166-1 alpha-2 → ISO 639-1), a prior for language detection.

Postings rarely say their language; their country narrows it to a few candidates, which makes
detection on short titles far more reliable than an open choice among 97 languages.
"""

from __future__ import annotations

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

COUNTRY_NAMES: dict[str, str] = {
    "austria": "AT",
    "belgium": "BE",
    "bulgaria": "BG",
    "switzerland": "CH",
    "cyprus": "CY",
    "czechia": "CZ",
    "czech republic": "CZ",
    "germany": "DE",
    "denmark": "DK",
    "estonia": "EE",
    "spain": "ES",
    "finland": "FI",
    "france": "FR",
    "united kingdom": "GB",
    "greece": "GR",
    "croatia": "HR",
    "hungary": "HU",
    "ireland": "IE",
    "iceland": "IS",
    "italy": "IT",
    "liechtenstein": "LI",
    "lithuania": "LT",
    "luxembourg": "LU",
    "latvia": "LV",
    "malta": "MT",
    "netherlands": "NL",
    "norway": "NO",
    "poland": "PL",
    "portugal": "PT",
    "romania": "RO",
    "sweden": "SE",
    "slovenia": "SI",
    "slovakia": "SK",
    "united states": "US",
}


def country_code(value: str | None) -> str | None:
    """An ISO alpha-2 code from a code or an English country name; None when unknown."""
    if not value:
        return None
    v = value.strip()
    if len(v) == 2 and v.isalpha():
        return v.upper()
    return COUNTRY_NAMES.get(v.casefold())


def country_languages(value: str | None) -> tuple[str, ...]:
    code = country_code(value)
    return COUNTRY_LANGUAGES.get(code, ()) if code else ()
