"""Find the files of official ESCO CSV packages (zipped or unzipped, any language or version).

What each file is (kind, language, version) is read from its name and path; :mod:`jobmarket.esco.load`
reads the files this finds into the store.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from jobmarket.errors import JobmarketError

_LANG = r"(?P<lang>[a-z]{2,3}(?:-[a-z]{2,4})?)"
# File name -> kind. Anchored on the whole base name so that e.g. researchOccupationsCollection_en.csv
# or skillSkillRelations.csv are not mistaken for the files we read.
_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.IGNORECASE))
    for kind, pattern in (
        ("occupations", rf"occupations_{_LANG}\.csv"),
        ("skills", rf"skills_{_LANG}\.csv"),
        ("isco_groups", rf"ISCOGroups_{_LANG}\.csv"),
        ("relations", rf"occupationSkillRelations(?:_{_LANG})?\.csv"),
        ("broader", rf"broaderRelationsOccPillar(?:_{_LANG})?\.csv"),
        ("skill_broader", rf"broaderRelationsSkillPillar(?:_{_LANG})?\.csv"),
        ("skill_hierarchy", rf"skillsHierarchy_{_LANG}\.csv"),
        ("labels", rf"occupation_labels_{_LANG}\.tsv"),
    )
)
# A version is a path component (or part of one, as in esco_v1.1.1_classification_en_csv.zip or
# "ESCO dataset - v1.2.0 - ...") of the form vX.Y[.Z], not glued to other letters or digits.
_VERSION = re.compile(r"(?<![A-Za-z0-9])v(\d+\.\d+(?:\.\d+)?)(?![\d.]*\d)", re.IGNORECASE)


@dataclass(frozen=True)
class FileSpec:
    """How one kind of ESCO file is read: its columns, delimiter, and the SQL that stages it."""

    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    stage: str | None = None  # SQL section that moves esco_raw into staging; None = count only
    delim: str = ","
    padded: bool = False  # rows may lack trailing columns


# broader (occupations) has no table in the schema: it is read, counted and recorded in esco_sources (so
# the store says it was seen) but its rows are not kept. The skills pillar's groups (skill_hierarchy) and
# broader relations (skill_broader) are kept: skill profiles are grouped by them.
SPECS: dict[str, FileSpec] = {
    "occupations": FileSpec(
        ("conceptUri", "iscoGroup", "preferredLabel"),
        ("altLabels", "hiddenLabels", "code"),
        "stage_occupations",
    ),
    "skills": FileSpec(
        ("conceptUri", "preferredLabel"),
        ("skillType", "reuseLevel", "altLabels", "hiddenLabels"),
        "stage_skills",
    ),
    "isco_groups": FileSpec(("conceptUri", "code", "preferredLabel"), ("altLabels",), "stage_isco_groups"),
    "relations": FileSpec(("occupationUri", "relationType", "skillUri"), ("skillType",), "stage_relations"),
    "labels": FileSpec(("conceptUri", "position", "label"), (), "stage_labels", delim="\t"),
    "broader": FileSpec(("conceptUri", "broaderUri")),
    "skill_hierarchy": FileSpec(
        ("Level 0 URI", "Level 0 preferred term"),
        ("Level 1 URI", "Level 1 preferred term", "Level 2 URI", "Level 2 preferred term", "Level 3 URI",
         "Level 3 preferred term", "Level 0 code", "Level 1 code", "Level 2 code", "Level 3 code"),
        "stage_skill_hierarchy", padded=True),
    "skill_broader": FileSpec(("conceptUri", "broaderUri"), ("conceptType", "broaderType"),
                              "stage_skill_broader"),
}


class EscoError(JobmarketError, ValueError):
    """A problem with the ESCO input, told in one line that names the path."""


@dataclass
class EscoSource:
    path: str  # the file, or the zip that holds it
    member: str | None  # name inside the zip, None for a plain file
    kind: str  # occupations | skills | isco_groups | relations | labels | skill_hierarchy | broader
    #   | skill_broader
    lang: str | None
    version: str

    @property
    def source_file(self) -> str:
        return f"{self.path}!{self.member}" if self.member else self.path


def detect_version(text: str) -> str:
    """The deepest vX.Y[.Z] in a path ('v1.2.0' is written 'v1.2'), else 'unknown'."""
    found = _VERSION.findall(text)
    if not found:
        return "unknown"
    parts = found[-1].split(".")
    if len(parts) == 3 and parts[2] == "0":
        parts = parts[:2]
    return "v" + ".".join(parts)


def classify(name: str) -> tuple[str, str | None] | None:
    """(kind, lang) for an ESCO file name, None for files we do not read."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    for kind, pattern in _KINDS:
        m = pattern.fullmatch(base)
        if m:
            lang = m.group("lang") if "lang" in pattern.groupindex else None
            return kind, lang.lower() if lang else None
    return None


def _source(path: Path, member: str | None) -> EscoSource | None:
    found = classify(member or path.name)
    if found is None:
        return None
    where = f"{path}/{member}" if member else str(path)
    return EscoSource(str(path), member, found[0], found[1], detect_version(where))


def _zip_sources(path: Path) -> Iterator[EscoSource]:
    try:
        with zipfile.ZipFile(path) as zf:
            names = sorted(i.filename for i in zf.infolist() if not i.is_dir())
    except (zipfile.BadZipFile, OSError) as exc:
        raise EscoError(f"cannot read ESCO zip {path}: {exc}") from exc
    for name in names:
        src = _source(path, name)
        if src is not None:
            yield src


def _path_sources(path: Path) -> Iterator[EscoSource]:
    if path.is_dir():
        for child in sorted(path.rglob("*")):
            if child.is_file():
                yield from _path_sources(child)
    elif path.suffix.lower() == ".zip":
        yield from _zip_sources(path)
    else:
        src = _source(path, None)
        if src is not None:
            yield src


def discover(paths: Sequence[str | Path]) -> list[EscoSource]:
    """Every ESCO file we read under the given zips, folders and files (walked recursively)."""
    seen: dict[str, EscoSource] = {}
    for raw in paths:
        path = Path(raw).expanduser().resolve()
        if not path.exists():
            raise EscoError(f"ESCO path does not exist: {raw}")
        for src in _path_sources(path):
            seen.setdefault(src.source_file, src)  # a file named twice (folder + file) is read once
    return list(seen.values())
