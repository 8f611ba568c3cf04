"""The regular expressions of title cleaning, assembled from the vocabularies in ``vocab/``.

Phrases become alternations longest first, so "full time" wins over "full"; spaces and hyphens inside
a phrase match loosely ("full-time", "full time", "fulltime"). The vocabularies are read once, at import.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from jobmarket.text.vocabulary import table, words

# ------------------------------------------------------------------------------------------ vocabulary
# Gender markers in brackets: "(m/w/d)", "(h/f)", "(M/Ž)", "(k/m)", "(Α/Γ)", "(м/ж)", "(m,f)", "(f/m/div)".
GENDER_LETTERS = words("gender", "letters")
GENDER_WORDS = words("gender", "words")
# Bracketed single markers: "(gn)", "(all genders)", "(a)" (Spanish/Portuguese feminine), "(-ė)" ...
GENDER_SOLO = words("gender", "solo")
# Unbracketed two-letter pairs that are safe on their own ("Vendeur H/F", "Kellner m/w").
GENDER_PAIRS = words("gender", "pairs")
# Letters of unbracketed runs of three or four: "Kellner m/w/d".
GENDER_UNBRACKETED_LETTERS = words("gender", "unbracketed_letters")
# Feminine (or masculine) endings written after a slash or in brackets: "Kasjer/ka", "Camarero/a",
# "Cozinheiro(a)", "mechanikas(-ė)", "Ingénieur(e)", "VODITELJ/ICA", "Vânzător/oare", "ΥΠΑΛΛΗΛΟΣ/Η".
FEMININE_SUFFIXES = words("gender", "feminine_suffixes")
# Endings listed in not_after_slash count only in brackets ("Técnico(os)"), never after a slash.
FEMININE_SLASH_SUFFIXES = tuple(s for s in FEMININE_SUFFIXES if s not in words("gender", "not_after_slash"))
# Endings after a dot, French style: "Employé.e", "Vendeur.euse.s".
FEMININE_DOT_SUFFIXES = words("gender", "dot_suffixes")
# Endings that mark the feminine half of a full pair ("RADNIK/RADNICA", "Infirmier/Infirmière").
FEMININE_PAIR_ENDINGS = words("gender", "pair_endings")

# Seniority, keyed by a canonical English value.
SENIORITY: dict[str, tuple[str, ...]] = table("seniority", "seniority")
# Only these may be taken off the end of a title ("Software Engineer Intern"); "Team Lead" keeps "Lead",
# "Vahetuse vanem" (et: shift leader) keeps "vanem". The other seniority words ("Lead Developer",
# "Principal Engineer") go only when they open a title that has more words.
SENIORITY_TRAILING = words("seniority", "trailing")
# Titles where a seniority word is the occupation itself: "Lead Generation Specialist".
LEAD_EXCEPTIONS = words("seniority", "lead_exceptions")

# Contract and working-time words that are never part of an occupation: removed wherever they stand.
CONTRACT: dict[str, tuple[str, ...]] = table("contract", "anywhere")
# Contract words that can also be part of an occupation ("Contract Manager", "Remote Sensing
# Specialist", "Stage Manager"): removed only as a whole bracketed or separated segment.
CONTRACT_SEGMENT: dict[str, tuple[str, ...]] = table("contract", "segment")
# Contract words that may open or close a title when more words remain ("Internship Digital Marketer",
# "GRAPHIC DESIGN INTERNSHIP"): canonical values of CONTRACT_SEGMENT.
CONTRACT_EDGE = words("contract", "edge_kinds")
# Prepositions that may precede a contract phrase: "Mitarbeiter in Teilzeit", "Kierowca na pełny etat".
CONTRACT_PREPOSITIONS = words("contract", "prepositions")

# Words between a leading seniority or contract word and the occupation: "Apprentice for Content Writer".
EDGE_PREPOSITIONS = words("fillers", "edge_prepositions")
# Small words that may glue a noise segment together: "(Vollzeit oder Teilzeit)", "(full-time, 40h/week)".
FILLERS = words("fillers", "fillers")
# "or"/"and" between two contract or seniority phrases: "Voll- oder Teilzeit", "Junior/Mid".
CONJUNCTIONS = words("fillers", "conjunctions")

# Places common enough in postings to be recognised alone after a separator: "Sales Manager - Berlin".
# Capitals and large cities of Europe (local and English names) and country names; the list is
# deliberately small: a place that is not here stays in the title.
PLACES = words("places", "places")
# Words that join places: "Berlin und München", "Lisboa e Porto".
PLACE_CONJUNCTIONS = words("places", "conjunctions")
# Prepositions that open a location segment: "- in Warsaw", "(w Krakowie)", "@ Pasir Gudang".
LOCATION_PREPOSITIONS = words("location", "prepositions")
# Lower-case words inside a place name: "Frankfurt am Main", "Stratford upon Avon".
LOCATION_CONNECTORS = words("location", "connectors")
LOCATION_KEYWORDS = words("location", "keywords")

# Keywords that introduce a reference code: "Ref. 12345", "Job ID: A-77", "Kennziffer 4711", "nr ref. 12/24".
CODE_KEYWORDS = words("codes", "keywords")
# Standards whose numbers end titles legitimately: "Auditor ISO 27001".
STANDARD_PREFIXES = words("codes", "standards")
CURRENCIES = words("salary", "currencies")
SALARY_QUALIFIERS = words("salary", "qualifiers")
SALARY_UNITS = words("salary", "units")
SALARY_TAX = words("salary", "tax")
# Workload as a share of a full post, after a number: "1/4 etatu", "0,5 etato".
WORKLOAD_UNITS = words("working_time", "workload_units")
# Working-time words after a number: "40h", "8 órás", "32-40 uur", "20 Std./Woche".
HOUR_UNITS = words("working_time", "hour_units")
HOUR_PERIODS = words("working_time", "hour_periods")
DURATION_UNITS = words("working_time", "duration_units")
HTML_TAGS = words("html", "tags")


# ------------------------------------------------------------------------------------------ regex helpers
_LOOSE = {" ": r"\s+", "-": r"[\s\-]*"}  # the gap between a phrase's words, by how the phrase writes it


def _alt(phrases: Iterable[str]) -> str:
    """An alternation of literal phrases, longer first; spaces and hyphens match loosely.

    Written as a trie ("full(?:\\s+time|)" rather than "full\\s+time|full"): Python's ``re`` tries the
    branches of a flat alternation one by one at every position, which made the few vocabulary patterns
    with hundreds of phrases most of cleaning's time. At each node the branch leading to the longest
    phrase comes first and the end of a shorter phrase last, so longer phrases still win.
    """
    trie: dict = {}
    for p in sorted(set(phrases)):  # sorted: the same pattern in every process
        words = [w for w in re.split(r"[\s\-]+", p) if w]
        if not words:
            continue
        gap = _LOOSE["-" if "-" in p else " "]
        tokens = [t for i, w in enumerate(words) for t in ([gap] if i else []) + [re.escape(c) for c in w]]
        node = trie
        for tok in tokens:
            node = node.setdefault(tok, {})
            node[""] = max(node.get("", 0), len(p))  # the longest phrase through this node
        node[None] = True  # a phrase ends here
    return _trie_regex(trie)


def _trie_regex(node: dict) -> str:
    branches = sorted(((k, v) for k, v in node.items() if k), key=lambda kv: -kv[1][""])
    alts = [tok + _trie_regex(child) for tok, child in branches]
    if len(alts) == 1 and None not in node:
        return alts[0]
    if None in node:
        alts.append("")
    return "(?:" + "|".join(alts) + ")" if alts != [""] else ""


def _literal(words: Iterable[str]) -> str:
    """An alternation of words in the order given (for alternatives that are tried as written)."""
    return "|".join(re.escape(w) for w in words)


def phrase_key(text: str) -> str:
    """The lookup key of a vocabulary phrase: casefolded, no spaces or hyphens."""
    return re.sub(r"[\s\-]+", "", text.casefold())


def _lookup(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {phrase_key(p): canonical for canonical, phrases in table.items() for p in phrases}


_W = r"(?<![^\W_])"  # not preceded by a letter or digit
_E = r"(?![^\W_])"  # not followed by a letter or digit
_I = re.I

SENIORITY_KEYS = _lookup(SENIORITY)
PLACE_KEYS = frozenset(p.casefold() for p in PLACES)
CONTRACT_KEYS = {**_lookup(CONTRACT_SEGMENT), **_lookup(CONTRACT)}
_SEN_ALL = _alt(p for ps in SENIORITY.values() for p in ps)
_SEN_TRAIL = _alt(SENIORITY_TRAILING)
_CON_ALL = _alt(p for ps in CONTRACT.values() for p in ps)
_CON_SEG = _alt(p for ps in (*CONTRACT.values(), *CONTRACT_SEGMENT.values()) for p in ps)
_CON_EDGE = _alt(p for k in CONTRACT_EDGE for p in CONTRACT_SEGMENT[k])
_CONNECT = rf"(?:\s*(?:[/,&+]|\b(?:{_literal(CONJUNCTIONS)})\b)\s*)"

_GL = _alt(GENDER_LETTERS + GENDER_WORDS)
_SEP_IN = r"\s*[/,|\\\-]\s*"
GENDER_BRACKETED = re.compile(
    rf"\s*[(\[]\s*(?:(?:{_GL})\s*\*?(?:{_SEP_IN}(?:{_GL})\s*\*?){{1,3}}|{_alt(GENDER_SOLO)})\s*[)\]]", _I)
_UL = _literal(GENDER_UNBRACKETED_LETTERS)
GENDER_UNBRACKETED = re.compile(
    rf"(?<![\w/])(?:(?:{_UL})(?:\s?[/|]\s?(?:{_UL}|div\.?|divers)){{2,3}}"
    rf"|{_alt(GENDER_PAIRS)})(?![\w/])", _I)
GENDER_GERMAN = re.compile(r"(?<=[^\W\d_])(?:(?:/\s?-?|:|\*|_)(?:in|innen)|\(-?(?:in|innen)\))(?![\w-])", _I)
GENDER_BINNEN_I = re.compile(r"(?<=[a-zäöüß]er)In(?:nen)?(?![\w-])")
GENDER_MANN_FRAU = re.compile(r"(?i)(?<![\w])(\w*?)(mann|frau)\s*/\s*-?\s*(\w*?)(frau|mann)(?![\w-])")
GENDER_SLASH_SUFFIX = re.compile(
    rf"(?<=[^\W\d_]{{3}})\s?/\s?-?(?:{_alt(FEMININE_SLASH_SUFFIXES)})(?![\w\-/])", _I)
GENDER_PAREN_SUFFIX = re.compile(
    rf"(?<=[^\W\d_])-?\s?\(\s?-?(?:{_alt(FEMININE_SUFFIXES)})(?:\s?[/,]\s?-?(?:{_alt(FEMININE_SUFFIXES)}))*\s?\)",
    _I)
GENDER_DOT_SUFFIX = re.compile(
    rf"(?<=[^\W\d_]{{3}})[.·•](?:{_literal(FEMININE_DOT_SUFFIXES)})(?:[.·•]s)?(?![\w-])", _I)
# Each suffix pattern with a scan for what it cannot match without: most titles have none of these
# characters, and one scan in C is far cheaper than the pattern's lookbehind at every position.
GENDER_SUFFIXES = ((GENDER_GERMAN, re.compile(r"[/:*_(]")), (GENDER_BINNEN_I, re.compile("In")),
                   (GENDER_SLASH_SUFFIX, re.compile("/")), (GENDER_PAREN_SUFFIX, re.compile(r"\(")),
                   (GENDER_DOT_SUFFIX, re.compile("[.·•]")))
SLASH = re.compile(r"(?<=[^\W\d_])\s*/\s*(?=[^\W\d_])")
WORD = re.compile(r"[^\W\d_][\w'-]*")

CODE_KEYWORD = re.compile(
    rf"{_W}(?:{_alt(CODE_KEYWORDS)})\s*[.:#]?\s*[:#\-]?\s*(?=[\w/.\-]*\d)[^\W_][\w/.\-]*", _I)
HASHTAG = re.compile(r"(?<![\w&#+])#\s?(?:\d[\w/\-]*|[^\W\d_]\w*)")
DATE = re.compile(
    r"(?<![\w.])(?:\d{4}[./-]\d{1,2}[./-]\d{1,2}|\d{1,2}[./]\d{1,2}[./]\d{2,4})\.?"
    r"(?:\s?[-–]\s?(?:\d{4}[./-]\d{1,2}[./-]\d{1,2}|\d{1,2}[./]\d{1,2}[./]\d{2,4})\.?)?(?![\w])")
_CUR = _alt(CURRENCIES)
_AMOUNT = r"\d[\d.,]*(?:\s\d{3})*(?:\s?(?:k|tys\.?|tsd\.?))?"
SALARY = re.compile(
    rf"(?:{_W}(?:{_alt(SALARY_QUALIFIERS)})\s*:?\s*)?"
    rf"{_W}(?:(?:{_CUR})\s?{_AMOUNT}(?:\s?[-–]\s?(?:{_CUR})?\s?{_AMOUNT})?"
    rf"|{_AMOUNT}(?:\s?[-–]\s?{_AMOUNT})?\s?(?:{_CUR}))\*?"
    rf"(?:\s?(?:/|per|a|an|pro)\s?(?:{_alt(SALARY_UNITS)})\.?)?(?:\s?(?:{_alt(SALARY_TAX)}))?(?![^\W_])", _I)
# Workload as a share of a full post: "1/4 etatu", "0,5 etato", "(80-100%)".
WORKLOAD = re.compile(
    rf"{_W}(?:\d+(?:[.,/]\d+)?\s?(?:{_literal(WORKLOAD_UNITS)})"
    rf"|\d{{1,3}}(?:\s?[-–]\s?\d{{1,3}})?\s?%)(?![^\W_])", _I)
HOURS = re.compile(
    rf"{_W}\d{{1,2}}(?:[.,]\d)?(?:\s?[-–/]\s?\d{{1,2}})?\s?(?:{_alt(HOUR_UNITS)})\.?"
    rf"(?:\s?(?:/|per|pro|a)\s?(?:{_alt(HOUR_PERIODS)})\.?)?(?![^\W_])", _I)
DURATION = re.compile(
    rf"{_W}\d{{1,2}}(?:\s?[-–]\s?\d{{1,2}})?\s?-?\s?(?:{_alt(DURATION_UNITS)})(?![^\W_])", _I)
PHONE = re.compile(r"(?<![\w+])\+?\(?\d[\d\s\-/().]{6,}\d(?![\w])")  # 8+ digits, checked in _codes
TRAILING_NUMBER = re.compile(
    r"(?:\s*[-–|#:,/]\s*(?:\(\d{3,}\)|\d{3,})|\s+\(\s*\d{3,}\s*\)|\s+[A-Z]{1,4}[-_]?\d{4,}(?:[-_/]\d+)*)\s*$")
TRAILING_LONG_NUMBER = re.compile(r"(?<=\s)(\S+)\s+(\d{5,})\s*$")

MEASURES = (HOURS, DURATION, WORKLOAD)  # kept as written in ``contract``: "40h", "6 months", "1/4 etatu"
CONTRACT_ANYWHERE = re.compile(
    rf"{_W}(?:(?:{_alt(CONTRACT_PREPOSITIONS)})\s+)?(?:{_CON_ALL})(?:{_CONNECT}(?:{_CON_ALL}))*{_E}\.?", _I)
_NOISE_WORDS = rf"{_W}(?:{_CON_SEG}|{_SEN_ALL}|{_alt(FILLERS)}){_E}\.?"
SEGMENT_NOISE = re.compile(
    rf"{_NOISE_WORDS}|{HOURS.pattern}|{DURATION.pattern}|{WORKLOAD.pattern}|[^\w\s]+|\b\d+\b", _I)
# The same for a segment without digits, where none of the measures can match: fewer branches to try at
# every position, and the same result.
SEGMENT_NOISE_NO_DIGIT = re.compile(rf"{_NOISE_WORDS}|[^\w\s]+", _I)
LOCATION_SEGMENT = re.compile(rf"^(?:{_alt(LOCATION_PREPOSITIONS)}|@)\s+(.+)$", _I)
LOCATION_KEYWORD = re.compile(rf"^(?:{_alt(LOCATION_KEYWORDS)})\s*:\s*\S.*$", _I)
LOCATION_BASED = re.compile(r"^(.+?)[\s-]based$", _I)
PLACE_SPLIT = re.compile(rf"\s*[/,&+]\s*|\s+(?:{_literal(PLACE_CONJUNCTIONS)})\s+")  # "Berlin / München"

LEADING_SENIORITY = re.compile(
    rf"^(?!{_alt(LEAD_EXCEPTIONS)})(?:{_SEN_ALL})(?:{_CONNECT}(?:{_SEN_ALL}))*\.?"
    rf"(?:\s+(?:{_alt(EDGE_PREPOSITIONS)}))?(?:\s*[,:\-–]\s*|\s+)(?=\S)", _I)
TRAILING_SENIORITY = re.compile(rf"(?<=\S)(?:\s*[,/\-–]\s*|\s+)(?:{_SEN_TRAIL})\.?$", _I)
LEADING_CONTRACT = re.compile(
    rf"^(?:{_CON_EDGE})(?:\s+(?:{_alt(EDGE_PREPOSITIONS)}))?"
    rf"(?:\s*[,:\-–]\s*|\s+)(?=\S)", _I)
TRAILING_CONTRACT = re.compile(rf"(?<=\S)(?:\s*[,/\-–]\s*|\s+)(?:{_CON_EDGE})$", _I)
TRAILING_LEVEL = re.compile(
    r"(?<=\S)(?:\s*[,\-–]\s*|\s+)((?:level|lvl\.?|tier|grade|stufe|poziom|nivel|niveau)\s?[0-9IVX]{1,3}"
    r"|(?-i:II|III|IV|V|VI|I)(?![\w]))$", _I)

HTML_TAG = re.compile(rf"</?\s*(?:{_literal(HTML_TAGS)})(?:\s[^<>]{{0,200}})?\s*/?>", _I)
BRACKET = re.compile(r"[(\[{]([^()\[\]{}]*)[)\]}]")
SEGMENT_SPLIT = re.compile(r"(\s+[-–—]\s*|\s*[–—]\s+|(?<=\w)-\s+|\s*[|;•·]\s*|\s+@\s*|,(?!\d)\s*|\s+/\s+)")
REPEATED_PUNCT = re.compile(r"([!?,;:*_=~|#])\1+|(-){2,}|\.{2,}")
EDGE_JUNK = re.compile(r"^[\s\-–—|,;:/@•·*&_=~!?]+|[\s\-–—|,;:/@•·*&_=~!?]+$")  # keeps ".NET", "C++"
EMPTY_BRACKETS = re.compile(r"[(\[{][\s\-–—|,;:/@•·*+&_=~.]*[)\]}]")
SPACE_BEFORE_PUNCT = re.compile(r"\s+([,;:!?)\]}])")
SPACE_AFTER_OPEN = re.compile(r"([(\[{])\s+")
DOUBLE_SEPARATOR = re.compile(r"\s+([-–—|,;])(?:\s*[-–—|,;])+\s*|([,;|])(?:\s*[-–—|,;])+\s*")
WHITESPACE = re.compile(r"\s+")
# Cheap scans that skip a group of patterns when a title lacks what every one of them needs.
DIGIT_OR_HASH = re.compile(r"[\d#]")  # codes, dates, salaries, phone numbers, hours, workload
DIGIT = re.compile(r"\d")
OPENING = re.compile(r"[(\[{]")  # brackets
ONLY_BRACKET = re.compile(r"[(\[]([^()\[\]]*)[)\]]")  # a title that is one bracket: "(Assistant)"
# Vocabulary words inside a removed fragment, to report their canonical values.
SENIORITY_RE = re.compile(rf"{_W}(?:{_SEN_ALL}){_E}", _I)
CONTRACT_RE = re.compile(rf"{_W}(?:{_CON_SEG}){_E}", _I)
