"""The ESCO occupation labels a matcher searches: exact keys, fuzzy keys and label embeddings."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np

from jobmarket.errors import JobmarketError
from jobmarket.sql import sql_sections
from jobmarket.text.keys import normalize_label

# ESCO writes gendered pairs as "Softwareentwickler/Softwareentwicklerin"; both halves are real titles.
_SLASH = re.compile(r"\s*/\s*")


def expand_label(label: str) -> list[str]:
    """The label plus its gendered halves, when the halves share a stem (not "sales/marketing manager")."""
    parts = _SLASH.split(label)
    if len(parts) != 2:
        return [label]
    a, b = parts
    stem = len(_common_prefix(a.casefold(), b.casefold()))
    if stem >= 4 and min(len(a), len(b)) >= 4:
        return [label, a, b]
    return [label]


def _common_prefix(a: str, b: str) -> str:
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    return a[:i]


@dataclass
class LabelIndex:
    """Occupation labels of some languages, each expanded, with their lookup structures.

    ``uris[i]``, ``langs[i]``, ``texts[i]`` describe label i; ``embed_mask`` says which labels are
    embedded (hidden labels are kept for exact and fuzzy lookup only).
    """

    uris: list[str]
    langs: list[str]
    texts: list[str]
    kinds: list[str]
    keys: list[str] = field(init=False)
    exact: dict[str, set[str]] = field(init=False)
    by_lang: dict[str, np.ndarray] = field(init=False)
    embeddings: np.ndarray | None = None
    embedded_rows: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.keys = [normalize_label(t) for t in self.texts]
        self.exact = defaultdict(set)
        by_lang: dict[str, list[int]] = defaultdict(list)
        for i, (key, uri, lang) in enumerate(zip(self.keys, self.uris, self.langs, strict=True)):
            if key:
                self.exact[key].add(uri)
            by_lang[lang].append(i)
        self.by_lang = {k: np.asarray(v) for k, v in by_lang.items()}

    @property
    def languages(self) -> list[str]:
        return sorted(self.by_lang)

    @classmethod
    def from_store(cls, con: duckdb.DuckDBPyConnection, languages: Sequence[str]) -> LabelIndex:
        rows = con.execute(sql_sections("matching.sql")["occupation_labels"], [list(languages)]).fetchall()
        if not rows:
            raise JobmarketError(
                f"no ESCO occupation labels in languages {', '.join(languages)}: "
                "run `jobmarket esco import PATH`"
            )
        return cls.from_rows(rows)

    @classmethod
    def from_rows(cls, rows: Sequence[tuple[str, str, str, str]]) -> LabelIndex:
        """(uri, lang, label, kind) rows, ordered by uri, each label expanded into its gendered halves."""
        uris, langs, texts, kinds = [], [], [], []
        for uri, lang, label, kind in rows:
            for text in expand_label(label):
                uris.append(uri)
                langs.append(lang)
                texts.append(text)
                kinds.append(kind)
        return cls(uris, langs, texts, kinds)

    def embed(self, encoder, include_hidden: bool = False) -> None:
        """Embed every distinct label text once (titles route: labels are titles too).

        ESCO's labels are the same for every store, so their matrices are also kept in a file cache shared
        by all stores and processes, one file per language: a new store, or a run with another set of
        label languages, loads the languages it has seen instead of re-encoding 100k+ labels.
        """
        rows = [i for i, k in enumerate(self.kinds) if include_hidden or k != "hidden"]
        by_lang: dict[str, list[int]] = defaultdict(list)
        for pos, i in enumerate(rows):
            by_lang[self.langs[i]].append(pos)
        key = getattr(encoder, "cache_id", encoder.model_id)
        parts = [(by_lang[lang], [self.texts[rows[p]] for p in by_lang[lang]]) for lang in sorted(by_lang)]
        paths = [_matrix_cache_path(key, texts) for _, texts in parts]
        todo = sum(len(texts) for (_, texts), path in zip(parts, paths, strict=True) if not path.exists())
        report, done = getattr(encoder, "progress", None), 0
        matrix: np.ndarray | None = None
        for (part, texts), path in zip(parts, paths, strict=True):
            if path.exists():
                vecs = np.load(path)
            else:
                if report is not None:  # one count over all languages, not one per language
                    encoder.progress = lambda n, _total, base=done: report(base + n, todo)
                try:
                    vecs = _encode_uncached(encoder, texts)
                finally:
                    if report is not None:
                        encoder.progress = report
                _save_atomic(path, vecs)
                done += len(texts)
            if matrix is None:
                matrix = np.empty((len(rows), vecs.shape[1]), dtype=np.float32)
            matrix[part] = vecs
        self.embeddings = matrix if matrix is not None else np.zeros((0, 0), dtype=np.float32)
        self.embedded_rows = np.asarray(rows)


def _encode_uncached(encoder, texts: list[str]) -> np.ndarray:
    """The label matrix is its own cache: the encoder's per-text cache (the store's) is left out of it."""
    uncached = getattr(encoder, "uncached", None)
    if uncached is None:
        return encoder.encode_titles(texts)
    with uncached():
        return encoder.encode_titles(texts)


def cached_title_matrix(encoder, texts: list[str]) -> np.ndarray:
    """``encoder.encode_titles(texts)`` kept in a file (a language's labels, a coding index): a second
    store or process loads the matrix instead of encoding again. The key names the model, its precision
    (bf16 and fp32 matrices are never mixed) and the texts."""
    path = _matrix_cache_path(getattr(encoder, "cache_id", encoder.model_id), texts)
    if path.exists():
        return np.load(path)
    matrix = encoder.encode_titles(texts)
    _save_atomic(path, matrix)
    return matrix


def _matrix_cache_path(model_id: str, texts: list[str]) -> Path:
    from jobmarket.encoders.offline.install import models_dir

    h = hashlib.sha256(model_id.encode())
    for t in texts:
        h.update(t.encode())
        h.update(b"\n")
    return models_dir().parent / "label_index" / f"{h.hexdigest()[:24]}.npy"


def _save_atomic(path: Path, matrix: np.ndarray) -> None:
    """Write to a temp file and rename, so a killed run or a concurrent reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npy.tmp")
    with os.fdopen(fd, "wb") as f:
        np.save(f, np.ascontiguousarray(matrix, dtype=np.float32))
    os.replace(tmp, path)


def available_languages(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return dict(con.execute(sql_sections("matching.sql")["label_languages"]).fetchall())
