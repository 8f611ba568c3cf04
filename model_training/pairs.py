"""Training pairs: a job title (anchor) and the comma-joined list of its occupation's skills (positive).

Pairs come from ESCO (every occupation label of every loaded language × the occupation's essential
and optional skills) and/or a user file. Every label of an occupation is a real translation sharing
the same skill list, so ESCO itself is the default translation source. Train and dev are split by
occupation (``group``) so no occupation leaks.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from jobmarket.errors import JobmarketError
from jobmarket.sql import sql_sections

COLUMNS = ["title", "lang", "group", "skills"]


def load_esco(paths: Sequence[str | Path], progress: bool = True) -> duckdb.DuckDBPyConnection:
    """Import ESCO packages into an in-memory store (a few seconds for all shared languages)."""
    from jobmarket.esco import load as esco
    from jobmarket.store import connection as store

    con = duckdb.connect(":memory:")
    store.apply_schema(con)
    esco.import_esco(con, list(paths), progress=progress)
    return con


def esco_pairs(
    con: duckdb.DuckDBPyConnection,
    languages: Sequence[str] | None = None,
    relations: Sequence[str] = ("essential", "optional"),
) -> pd.DataFrame:
    """One row per (occupation label, language): title, lang, group (occupation URI), skills (list)."""
    sql = sql_sections("training.sql")
    langs = list(languages) if languages else None
    titles = con.execute(sql["occupation_titles"], [langs, langs]).df()
    skills = con.execute(sql["occupation_skills"], [list(relations)]).df()
    by_occ = skills.groupby("occupation_uri")["skill"].agg(lambda s: sorted(set(s))).to_dict()
    df = pd.DataFrame(
        {
            "title": titles["title"],
            "lang": titles["lang"],
            "group": titles["occupation_uri"],
            "skills": [by_occ.get(u, []) for u in titles["occupation_uri"]],
        }
    )
    return df


def _split_skills(value) -> list[str]:
    if isinstance(value, (list, tuple, np.ndarray)):
        return [str(s).strip() for s in value if str(s).strip()]
    if not isinstance(value, str):
        return []
    text = value.strip()
    if text.startswith("["):
        try:
            return _split_skills(json.loads(text))
        except json.JSONDecodeError:
            pass
    sep = "|" if "|" in text else (";" if ";" in text else ",")
    return [s.strip() for s in text.split(sep) if s.strip()]


def file_pairs(path: str | Path) -> pd.DataFrame:
    """Read title→skills pairs from CSV/TSV, JSONL or Parquet.

    Columns: ``title`` and ``skills`` (a list, a JSON list, or a string separated by ``|``, ``;`` or ``,``);
    optional ``lang`` and ``group`` (e.g. an occupation id; default: the skill set, so titles sharing a
    skill list are never split between train and dev).
    """
    path = Path(path)
    if not path.exists():
        raise JobmarketError(f"pairs file {path} does not exist")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        raw = pd.read_parquet(path)
    elif suffix in (".jsonl", ".ndjson"):
        raw = pd.read_json(path, lines=True)
    elif suffix in (".csv", ".tsv", ".txt"):
        raw = pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",", dtype=str, keep_default_na=False)
    else:
        raise JobmarketError(f"pairs file {path}: use .csv, .tsv, .jsonl or .parquet")
    missing = {"title", "skills"} - set(raw.columns)
    if missing:
        raise JobmarketError(f"pairs file {path} lacks column(s) {', '.join(sorted(missing))}")
    skills = [_split_skills(v) for v in raw["skills"]]
    groups = raw["group"].astype(str) if "group" in raw else ["|".join(sorted(s)) for s in skills]
    return pd.DataFrame(
        {
            "title": raw["title"].astype(str).str.strip(),
            "lang": raw["lang"].astype(str) if "lang" in raw else "und",
            "group": list(groups),
            "skills": skills,
        }
    )


def filter_pairs(df: pd.DataFrame, min_title_chars: int = 3, min_skills: int = 5) -> pd.DataFrame:
    """Drop titles shorter than ``min_title_chars`` and pairs with under ``min_skills`` skills; dedupe."""
    title = df["title"].astype(str).str.strip()
    keep = (title.str.len() >= min_title_chars) & (df["skills"].map(len) >= min_skills)
    out = df.loc[keep].assign(title=title[keep])
    return out.drop_duplicates(subset=["title", "lang", "group"]).reset_index(drop=True)


def split_by_group(
    df: pd.DataFrame, dev_fraction: float, seed: int = 42
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hold out whole groups (occupations): no occupation has titles on both sides."""
    groups = sorted(df["group"].unique())
    rng = random.Random(seed)
    rng.shuffle(groups)
    n_dev = int(round(len(groups) * dev_fraction))
    dev_groups = set(groups[:n_dev])
    is_dev = df["group"].isin(dev_groups)
    return df.loc[~is_dev].reset_index(drop=True), df.loc[is_dev].reset_index(drop=True)


def balance_languages(df: pd.DataFrame, max_pairs: int | None, seed: int = 42) -> pd.DataFrame:
    """Subsample to at most ``max_pairs`` with languages as equal as their sizes allow."""
    if not max_pairs or len(df) <= max_pairs:
        return df
    sizes = df["lang"].value_counts().sort_values()
    quota, left, langs = {}, max_pairs, list(sizes.index)
    # Water-filling: small languages give all they have, the rest share what remains equally.
    for i, lang in enumerate(langs):
        share = left // (len(langs) - i)
        quota[lang] = min(int(sizes[lang]), share)
        left -= quota[lang]
    parts = [g.sample(n=quota[lang], random_state=seed) for lang, g in df.groupby("lang") if quota.get(lang)]
    return pd.concat(parts).reset_index(drop=True)


def token_counter(tokenizer) -> Callable[[Sequence[str]], list[int]]:
    """Token counts without special tokens, from a Hugging Face tokenizer."""

    def count(texts: Sequence[str]) -> list[int]:
        enc = tokenizer(list(texts), add_special_tokens=False)["input_ids"]
        return [len(ids) for ids in enc]

    return count


def skill_text(
    skills: Sequence[str], rng: random.Random, lengths: dict[str, int], budget: int, sep_tokens: int = 1
) -> str:
    """Shuffle the skills and join as many as fit ``budget`` tokens (whole skills only, at least one)."""
    order = list(skills)
    rng.shuffle(order)
    kept, used = [], 0
    for s in order:
        cost = lengths.get(s, len(s.split())) + (sep_tokens if kept else 0)
        if kept and used + cost > budget:
            break
        kept.append(s)
        used += cost
    return ", ".join(kept)


def cut_title(title: str, count: Callable[[Sequence[str]], list[int]], budget: int) -> str:
    """Trim a title by words until it fits ``budget`` tokens (titles rarely need it)."""
    words = title.split()
    while len(words) > 1 and count([" ".join(words)])[0] > budget:
        words.pop()
    return " ".join(words)


def positives(
    df: pd.DataFrame, count: Callable[[Sequence[str]], list[int]], budget: int, seed: int = 42
) -> list[str]:
    """One shuffled, length-cut skill list per pair (token counts computed once per distinct skill)."""
    distinct = sorted({s for skills in df["skills"] for s in skills})
    lengths = dict(zip(distinct, count(distinct), strict=True)) if distinct else {}
    sep = max(1, count([","])[0]) if distinct else 1
    rng = random.Random(seed)
    return [skill_text(s, rng, lengths, budget, sep) for s in df["skills"]]
