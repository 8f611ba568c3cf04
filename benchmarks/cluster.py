"""Quality of `jobmarket cluster` (HDBSCAN over title embeddings), and the choice of its defaults.

(a) ESCO: the preferred labels of the same occupations in de/en/es/fr/nl (a seeded sample of occupations
    that have all five) should fall into one cluster per occupation.
(b) EURES: the 2,372 real postings of ../shared/data/postings/European_jobs_batch2.csv, normalized into a
    store with the offline model; the clusters of their unique cleaned titles against the ESCO occupation
    the matcher assigned.

For each point of a small grid (PCA dims × min_cluster_size × min_samples × selection method) it reports
the adjusted Rand index and V-measure against the occupations (outliers counted as singletons, and on
the clustered titles only), the outlier share, the number of clusters, the clusters spanning ≥2 languages
(ESCO) or countries (EURES), and the fit time. Embeddings are computed once with the offline model and
cached under ~/.cache/jobmarket/bench.

    python benchmarks/cluster.py [--esco-n 1000] [--eures-db PATH] [--skip-eures]

Writes benchmarks/results/cluster.md and .json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import itertools
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "benchmarks" / "results"
CACHE = Path.home() / ".cache" / "jobmarket" / "bench"
EURES = DATA / "postings" / "European_jobs_batch2.csv"
LANGS = ("de", "en", "es", "fr", "nl")


def esco_label_sample(n: int, seed: int = 0) -> pd.DataFrame:
    """Preferred labels (occupation_uri, lang, label) of ``n`` seeded occupations labelled in all of LANGS."""
    files = {
        "de": DATA / "esco" / "v1.2" / "de" / "occupations_de.csv",
        "en": DATA / "esco" / "v1.2" / "en" / "occupations_en.csv",
        "es": DATA / "esco" / "v1.2" / "es" / "occupations_es.csv",
        "fr": DATA / "esco" / "v1.1.1" / "occupations_fr.csv",
        "nl": DATA / "esco" / "v1.1.1" / "occupations_nl.csv",
    }
    frames = []
    for lang, path in files.items():
        df = pd.read_csv(path, dtype=str, keep_default_na=False, usecols=["conceptUri", "preferredLabel"])
        df = df[df["preferredLabel"].str.strip() != ""]
        frames.append(df.assign(lang=lang).rename(columns={"conceptUri": "occupation_uri",
                                                           "preferredLabel": "label"}))
    labels = pd.concat(frames, ignore_index=True)
    full = labels.groupby("occupation_uri")["lang"].nunique()
    uris = sorted(full[full == len(LANGS)].index)
    rng = np.random.default_rng(seed)
    chosen = set(rng.choice(uris, size=min(n, len(uris)), replace=False))
    out = labels[labels["occupation_uri"].isin(chosen)]
    return out.sort_values(["occupation_uri", "lang"]).reset_index(drop=True)


def encode_cached(texts: list[str], name: str) -> np.ndarray:
    """Title embeddings of the offline model (``Encoder('auto')``), cached on disk by text list."""
    from jobmarket.encoder import Encoder

    key = hashlib.sha1("\n".join(texts).encode()).hexdigest()[:12]
    path = CACHE / f"{name}-{key}.npy"
    if path.exists():
        return np.load(path)
    enc = Encoder("auto", show_progress=True)
    vecs = enc.encode_titles(texts)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, vecs)
    return vecs
