"""Map a postings file's column names to the roles read: title, id, description, country, language, date."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from jobmarket.io.errors import PostingsError

__all__ = ["ColumnMap", "unique_names"]

# Column names tried, in order, when the caller names none (compared without case, accents, _ - or spaces).
TITLE_NAMES = ("title", "job_title", "jobtitle", "vacancytitle", "position", "job", "titel", "titulo",
               "intitule")
ID_NAMES = ("id", "job_id", "posting_id", "vacancy_id")
COUNTRY_NAMES = ("country_code", "country")
LANGUAGE_NAMES = ("language", "lang")
DESCRIPTION_NAMES = ("description", "full_description", "text", "body")
DATE_NAMES = ("date", "posted", "date_posted")
ROLES = ("id", "title", "description", "country", "language", "date")
ROLE_COLUMNS = {"id": "external_id", "title": "title_raw", "description": "description", "country": "country",
                "language": "language", "date": "date"}
ROLE_OPTIONS = {"id": "--id-col", "title": "--title-col", "description": "--description-col",
                "country": "--country-col", "language": "--lang-col", "date": "--date-col"}


@dataclass
class ColumnMap:
    title: str
    id: str | None = None
    description: str | None = None
    country: str | None = None
    language: str | None = None
    date: str | None = None


def unique_names(names: Sequence[str]) -> list[str]:
    """Header names made unique as DuckDB does: a second ``job_title`` becomes ``job_title_1``."""
    out: list[str] = []
    for name in names:
        candidate, n = name, 0
        while candidate in out:
            n += 1
            candidate = f"{name}_{n}"
        out.append(candidate)
    return out


def _map_columns(path: Path | str, raw_names: Sequence[str], given: dict[str, str | None]) -> ColumnMap:
    """Each role's column, by the name given or by the names tried (``*_NAMES``); names are the header's,
    duplicates included. An automatic choice that is ambiguous is a one-line error naming the columns
    and the option that chooses: a duplicated name, or two different columns that both look like the
    title. A name given explicitly is taken as :func:`unique_names` spells it (the first of a duplicate)."""
    names = unique_names(raw_names)
    listed = ", ".join(names) if names else "(none)"
    chosen: dict[str, str | None] = {}
    for role, candidates in (("title", TITLE_NAMES), ("id", ID_NAMES), ("description", DESCRIPTION_NAMES),
                             ("country", COUNTRY_NAMES), ("language", LANGUAGE_NAMES), ("date", DATE_NAMES)):
        if given.get(role):
            chosen[role] = _find_named(path, names, given[role], role, listed)
            continue
        chosen[role] = _find_auto(names, candidates)
        if chosen[role] is not None:
            _refuse_duplicate(path, raw_names, names, chosen[role], role)
    if chosen["title"] is None:
        raise PostingsError(f"{path}: no title column; columns are {listed}; pass --title-col")
    if not given.get("title"):
        looks = [n for n in names if _name_key(n) in {_name_key(c) for c in TITLE_NAMES}]
        if len(looks) > 1:
            both = " and ".join(repr(n) for n in looks[:2])
            raise PostingsError(f"{path}: columns {both} both look like the title column; pass --title-col "
                                "with the one to use")
    return ColumnMap(**chosen)


def _refuse_duplicate(path, raw_names: Sequence[str], names: list[str], chosen: str, role: str) -> None:
    raw = raw_names[names.index(chosen)]
    where = [i for i, n in enumerate(raw_names) if n == raw]
    if len(where) < 2:
        return
    a, b = where[:2]
    option = ROLE_OPTIONS[role]
    raise PostingsError(f"{path}: columns {a + 1} and {b + 1} are both named {raw!r}; pass "
                        f"{option} {names[a]} (column {a + 1}) or {option} {names[b]} (column {b + 1})")


def _find_named(path: Path, names: Sequence[str], wanted: str, role: str, listed: str) -> str:
    if wanted in names:
        return wanted
    folded = [n for n in names if n.casefold() == wanted.casefold()]
    if folded:
        return folded[0]
    raise PostingsError(f"{path}: no column {wanted!r} ({ROLE_OPTIONS[role]}); columns are {listed}")


def _find_auto(names: Sequence[str], candidates: Sequence[str]) -> str | None:
    keys = {}
    for name in names:
        keys.setdefault(_name_key(name), name)
    for candidate in candidates:
        if (hit := keys.get(_name_key(candidate))) is not None:
            return hit
    return None


def _name_key(name: str) -> str:
    """"Job Title", "job_title", "JOB-TITLE", "Título" all compare equal."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return re.sub(r"[\W_]+", "", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))
