"""Each stage's rate next to the bare encoder's, in one run on one machine (issue 15).

Absolute rates on a shared 2-core machine say little; ratios measured in the same run do: label
indexing at 2.5x the bare fp32 encoder means bf16 (and dedupe) paid off, whatever else ran meanwhile.

1. bare encoder: ``--bare-n`` ESCO labels (English and Hungarian, a seeded sample), sentence-transformers'
   own ``encode`` and the jobmarket Encoder, fp32 then bf16 (each warmed up), texts/s and cosine to fp32;
2. a cold ``normalize`` of ``--file`` (default: the EURES postings) into a fresh store with a fresh
   label-index cache (``JOBMARKET_HOME`` in a temp dir, the installed model linked in): read, clean,
   label indexing, encode + match and write as rates;
3. top-1 agreement with fp32 of normalize's matcher in bf16, alone and with the near ties re-scored in fp32
   (``matching/refine.py``), on the **tune** half of the JobBERT titles (``jobmarket.evaluation.split``)
   against the English labels;
4. title cleaning (clean + language detection) in pairs/s, in one process and over the process pool;
5. skills (the default extractor) on the EURES descriptions, cold and warm, in postings/s and segments/s;
6. clustering's per-cluster bookkeeping (stable ids, centroids, language centring) at 100k and 400k
   synthetic titles, loops of the earlier code against the bincount/np.add.at version.

    python benchmarks/speed.py [--precision auto] [--index-lang en ...] [--tune-n 0] [--skip-normalize]

Writes benchmarks/results/speed.md and .json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _provenance import cpu_model, same_cpu

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "benchmarks" / "results"


def machine() -> dict:
    import torch

    from jobmarket.encoders.precision import cpu_has_bf16

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True).stdout
    commit += " + uncommitted changes" if dirty else ""
    return {"date": dt.date.today().isoformat(), "commit": commit,
            "platform": f"{platform.system()} {platform.machine()}", "cpus": os.cpu_count(),
            "cpu": cpu_model(), "torch": torch.__version__, "threads": torch.get_num_threads(),
            "cpu_bf16": cpu_has_bf16(),
            "load_avg_start": os.getloadavg()[0]}


def fresh_home() -> Path:
    """A JOBMARKET_HOME whose label-index cache is empty, with the installed models linked in."""
    from jobmarket.encoders.offline.install import models_dir

    models = models_dir()
    home = Path(tempfile.mkdtemp(prefix="jobmarket-speed-"))
    (home / "models").symlink_to(models)
    os.environ["JOBMARKET_HOME"] = str(home)
    return home


def mean_tokens(enc, texts: list[str]) -> float:
    """Tokens per text, without the prompt and special tokens (the same few for every text)."""
    ids = enc.model.tokenizer(texts, add_special_tokens=False, verbose=False)["input_ids"]
    return float(np.mean([len(x) for x in ids])) if ids else 0.0


# ---------------------------------------------------------------- 1. bare encoder
def bare_encoder(model: str, texts: list[str]) -> dict:
    """sentence-transformers' own encode (its batching: sorted by characters), then the Encoder (batches of
    equal token counts), each in fp32 and bf16 autocast."""
    from jobmarket.encoders.cache import MemoryEmbeddingStore
    from jobmarket.encoders.precision import autocast
    from jobmarket.encoders.sentence_transformer import Encoder

    enc = Encoder(model, precision="fp32")
    encode, kwargs = enc._encode_call("query")
    out, vecs = {}, {}
    for precision in ("fp32", "bf16"):
        enc.precision = precision
        with autocast(precision, "cpu", enc.model):
            encode([f"warm up {i}" for i in range(64)], batch_size=enc.batch_size, **kwargs)
            t0 = time.perf_counter()
            vecs[f"st_{precision}"] = encode(texts, batch_size=enc.batch_size, normalize_embeddings=True,
                                             convert_to_numpy=True, show_progress_bar=False, **kwargs)
            out[f"st_{precision}_per_s"] = len(texts) / (time.perf_counter() - t0)
        enc.cache = MemoryEmbeddingStore()
        enc.encode_titles([f"warm up {i}" for i in range(64)])
        enc.cache = MemoryEmbeddingStore()
        t0 = time.perf_counter()
        vecs[precision] = enc.encode_titles(texts)
        out[f"{precision}_per_s"] = len(texts) / (time.perf_counter() - t0)
    cos = (vecs["fp32"] * vecs["bf16"]).sum(axis=1)
    st_cos = (vecs["fp32"] * vecs["st_fp32"].astype(np.float32)).sum(axis=1)
    out.update(n=len(texts), tokens=mean_tokens(enc, texts), cos_min=float(cos.min()),
               cos_mean=float(cos.mean()), batch=enc.batch_size, st_fp32_cos_min=float(st_cos.min()))
    return out


# ---------------------------------------------------------------- 2. a cold normalize run
def normalize_run(model: str, file: Path, index_langs: list[str] | None, precision: str) -> dict:
    from jobmarket.market import Market
    from jobmarket.matching.label_index import LabelIndex

    db = Path(tempfile.mkdtemp(prefix="jobmarket-speed-db-")) / "m.duckdb"
    with Market.open(db, model=model, esco=[DATA / "esco"], precision=precision) as m:
        t0 = time.perf_counter()
        rep = m.normalize(file, index_langs=index_langs, progress=False).report
        wall = time.perf_counter() - t0
        pairs = m.sql("SELECT count(*) AS n FROM (SELECT DISTINCT title_raw, country FROM postings "
                      "WHERE run_id = ? AND title_id IS NOT NULL)", [rep.run_id])["n"][0]
        index = LabelIndex.from_store(m.con, rep.index_langs)
        labels = len({t for t, k in zip(index.texts, index.kinds, strict=True) if k != "hidden"})
        label_rows = sum(k != "hidden" for k in index.kinds)
        precision_used = m.encoder.precision
    s = rep.seconds

    def rate(n, key):
        return n / s[key] if s.get(key) else None

    match_key = next(k for k in s if k.startswith("matching"))
    return {"rows": rep.n_rows, "pairs": int(pairs), "unique_titles": rep.n_unique_titles,
            "labels_embedded": labels, "label_rows": label_rows, "index_langs": rep.index_langs,
            "precision": precision_used, "seconds": s, "wall": wall,
            "stages": [("read (rows/s)", "reading postings", rate(rep.n_rows, "reading postings")),
                       ("clean (pairs/s)", "cleaning titles and detecting languages",
                        rate(pairs, "cleaning titles and detecting languages")),
                       ("label indexing (labels/s)", "indexing ESCO labels",
                        rate(labels, "indexing ESCO labels")),
                       ("encode + match (titles/s)", match_key, rate(rep.n_unique_titles, match_key)),
                       ("write (rows/s)", "writing the store", rate(rep.n_rows, "writing the store"))]}


# ---------------------------------------------------------------- 3. bf16 vs fp32 top-1 on the tune half
def agreement(model: str, n_titles: int, n_occupations: int = 0) -> dict:
    """normalize's matcher (exact, fuzzy and embedding stages) in fp32, in bf16 alone and in bf16 with the
    near ties re-scored in fp32: top-1 agreement with fp32, seconds and what the re-scoring encoded."""
    from jobmarket.encoders.cache import MemoryEmbeddingStore
    from jobmarket.encoders.sentence_transformer import Encoder
    from jobmarket.evaluation.split import split_titles
    from jobmarket.market import Market
    from jobmarket.matching.label_index import LabelIndex
    from jobmarket.matching.matcher import Matcher

    tune = split_titles(DATA / "jobbert_eval" / "titles.csv", "tune")
    titles = list(dict.fromkeys(tune["title"]))
    if n_titles:
        titles = titles[:n_titles]
    db = Path(tempfile.mkdtemp(prefix="jobmarket-speed-agree-")) / "m.duckdb"
    with Market.open(db, model=None, esco=[DATA / "esco"]) as m:
        base = LabelIndex.from_store(m.con, ["en"])
    rows = list(zip(base.uris, base.langs, base.texts, base.kinds, strict=True))
    if n_occupations:  # the labels of the first n occupations (URI order) only: a cheaper, easier check
        keep = set(sorted(set(base.uris))[:n_occupations])
        rows = [r for r in rows if r[0] in keep]
    enc = Encoder(model, precision="fp32")
    top, out = {}, {}
    for name, precision, refine in (("fp32", "fp32", False), ("bf16", "bf16", False),
                                    ("bf16 + fp32 near ties", "bf16", True)):
        enc.precision, enc.cache = precision, MemoryEmbeddingStore()  # every variant encodes its titles
        index = LabelIndex(*map(list, zip(*rows, strict=True)))
        index.embed(enc)  # from the label-matrix cache: label indexing is timed in section 2
        matcher = Matcher(index, enc)
        if not refine:
            matcher.refiner = None
        t0 = time.perf_counter()
        top[name] = [mt.candidates[0][0] for mt in matcher.match(titles, ["en"] * len(titles))]
        stats = matcher.refiner.stats if matcher.refiner is not None else None
        same = [a == b for a, b in zip(top[name], top["fp32"], strict=True)]
        out[name] = {"seconds": time.perf_counter() - t0, "agreement": float(np.mean(same)),
                     "refined_titles": stats.refined if stats else 0,
                     "refined_labels": stats.labels if stats else 0}
    return {"half": "tune", "titles": len(titles), "labels": int(len(index.embedded_rows)),
            "occupations": len(set(index.uris)), "variants": out}


# ---------------------------------------------------------------- 3b. skills on the EURES descriptions
def skills_run(model: str) -> dict:
    """``jobmarket skills``' extractor (label stage + embedding stage, the default settings) over the EURES
    descriptions: skill label vectors, then a cold run (no sentence cached) and a warm one (all cached)."""
    import pandas as pd
    from skills_eures import ESCO_ZIP, EURES, _groups

    from jobmarket.encoders.cache import MemoryEmbeddingStore
    from jobmarket.encoders.sentence_transformer import Encoder
    from jobmarket.esco.load import import_esco
    from jobmarket.skills.extractor import SkillExtractor
    from jobmarket.skills.labels import SkillLabels
    from jobmarket.store.connection import connect
    from jobmarket.text.language import detect_language

    con = connect(":memory:")
    import_esco(con, [ESCO_ZIP], progress=False)
    labels = SkillLabels.from_store(con)
    df = pd.read_csv(EURES, dtype=str, keep_default_na=False)
    texts = df["full_description"].tolist()
    langs = [detect_language(t) for t in texts]
    cache = MemoryEmbeddingStore()
    enc = Encoder(model, cache=cache)
    ext = SkillExtractor.default(labels, enc)
    emb = ext.stages[-1]
    t0 = time.perf_counter()
    _ = emb.label_vectors
    out = {"postings": len(texts), "precision": enc.precision, "label_vectors_s": time.perf_counter() - t0,
           "skill_labels": len(emb.label_texts)}
    ext.stages[0].find_many([])  # the automaton, built once
    before = len(cache._data)
    encode, spent = emb.encode_segments, [0.0]

    def timed(segments):  # how much of a run is the encoder's
        t = time.perf_counter()
        try:
            return encode(segments)
        finally:
            spent[0] += time.perf_counter() - t
            seen.extend(segments)

    seen: list[str] = []

    emb.encode_segments = timed
    for run in ("cold", "warm"):
        spent[0] = 0.0
        t0 = time.perf_counter()
        found = ext.extract_many(texts, langs, groups=_groups(df, None))
        out[f"{run}_s"] = time.perf_counter() - t0
        out[f"{run}_encode_s"] = spent[0]
    out["segments_embedded"] = len(cache._data) - before
    out["segment_tokens"] = mean_tokens(enc, list(dict.fromkeys(seen)))
    out["findings"] = sum(len(f) for f in found)
    return out


# ---------------------------------------------------------------- 4. title cleaning
def _resampled_rows(n: int) -> list[tuple]:
    """``n`` raw (title, country) rows drawn as benchmarks/scale.py draws them, distinct."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from scale import COUNTRIES, real_titles, specialisations, variants

    rng = np.random.default_rng(3)
    titles = real_titles()
    specs = specialisations(titles, 1000)
    rows = []
    for _ in range(n):
        t = titles[rng.integers(len(titles))]
        if rng.random() < 0.2:
            t += " - " + specs[rng.integers(len(specs))]
        rows.append((variants(t, rng), COUNTRIES[rng.integers(len(COUNTRIES))], None, None))
    return list(dict.fromkeys(rows))  # distinct (title, country) pairs, as normalize hands them over


def _real_rows() -> list[tuple]:
    """Real vacancy titles as posted: the EURES titles with their postings' countries and the JobBERT titles
    with a country drawn as benchmarks/scale.py draws it, distinct (title, country) pairs."""
    import pandas as pd

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from scale import COUNTRIES

    eures = pd.read_csv(DATA / "postings" / "European_jobs_batch2.csv", dtype=str, keep_default_na=False)
    jobbert = pd.read_csv(DATA / "jobbert_eval" / "titles.csv", dtype=str, keep_default_na=False)
    rng = np.random.default_rng(3)
    rows = [(t, c, None, None) for t, c in zip(eures["job_title"], eures["country_code"], strict=True)]
    rows += [(t, COUNTRIES[rng.integers(len(COUNTRIES))], None, None) for t in jobbert["vacancyTitle"]]
    return list(dict.fromkeys(r for r in rows if r[0].strip()))


def _warm_worker(_: int) -> None:
    """What a worker of a long run has done before: started, the package imported, the language model
    loaded for each country; nothing cleaned. The sleep makes each worker take one call."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from scale import COUNTRIES

    from jobmarket.text import batch

    time.sleep(0.5)
    for country in COUNTRIES:
        batch.detect_title_language("warm", None, country)


def _close_pool() -> None:
    from jobmarket.text import batch

    if batch._pool is not None:
        batch._pool.shutdown()
        batch._pool = None


def _clean_rates(rows: list[tuple], repeats: int = 3) -> dict:
    """Pairs/s of clean + detect over ``rows`` in one process, each step alone, and over a started process
    pool: the median of ``repeats`` runs, each from cold caches (a text's pass is cached once seen, in
    each process) and, for the pool, with new workers."""
    from jobmarket.text import batch, clean
    from jobmarket.text.clean import clean_title

    def cold() -> None:
        clean._pass_result.cache_clear()
        clean._tidy.cache_clear()

    def timed(part: list) -> float:
        t0 = time.perf_counter()
        for i in range(0, len(part), 20_000):  # normalize's chunks
            batch.clean_and_detect(part[i : i + 20_000])
        return len(part) / (time.perf_counter() - t0)

    def steps() -> tuple[float, float]:
        raws = list(dict.fromkeys(r for r, *_ in rows))
        t0 = time.perf_counter()
        cleaned = {r: clean_title(r) for r in raws}
        clean_rate = len(raws) / (time.perf_counter() - t0)
        todo = list(dict.fromkeys((cleaned[r].title, d, c) for r, c, _, d in rows))
        t0 = time.perf_counter()
        for t, d, c in todo:
            batch.detect_title_language(t, d, c)
        return clean_rate, len(todo) / (time.perf_counter() - t0)

    def started_pool() -> float:
        pool = batch._executor(batch.workers())
        list(pool.map(_warm_worker, range(batch.workers())))
        rate = timed(rows)
        _close_pool()
        return rate

    def new_pool() -> float:
        rate = timed(rows)  # the pool starts inside: spawn, import, the language model's load
        _close_pool()
        return rate

    pool_min = batch.PARALLEL_MIN
    one, alone, fresh, pooled = [], [], [], []
    for _ in range(repeats):
        batch.PARALLEL_MIN = 10**12
        cold()
        one.append(timed(rows))
        cold()
        alone.append(steps())
        batch.PARALLEL_MIN = pool_min
        cold()
        fresh.append(new_pool())
        pooled.append(started_pool())
    return {"pairs": len(rows), "repeats": repeats, "one process": float(np.median(one)),
            "clean_only_per_s": float(np.median([a for a, _ in alone])),
            "detect_only_per_s": float(np.median([b for _, b in alone])),
            "process pool": float(np.median(fresh)), "process pool all": fresh,
            "process pool warm": float(np.median(pooled)), "process pool warm all": pooled}


def cleaning(n: int) -> dict:
    """Clean + detect on the scale resample (``n`` pairs: real titles with seniority, gender, contract
    and spacing variants) and on real vacancy titles as posted."""
    from jobmarket.text import batch

    return {**_clean_rates(_resampled_rows(n)), "workers": batch.workers(),
            "real": _clean_rates(_real_rows())}


# ---------------------------------------------------------------- 4b. the fuzzy stage
def fuzzy(n: int) -> dict:
    """The fuzzy stage over the English labels: each title against the labels of a length that can reach the
    cutoff (the stage) against every label (what it did before), on cleaned resampled titles."""
    import duckdb
    from rapidfuzz import fuzz as rf
    from rapidfuzz.process import cdist

    from jobmarket.matching.fuzzy import FuzzyStage
    from jobmarket.matching.label_index import LabelIndex
    from jobmarket.text import batch
    from jobmarket.text.keys import normalize_label

    db = Path(tempfile.mkdtemp(prefix="jobmarket-speed-fuzzy-")) / "esco.duckdb"
    subprocess.run([sys.executable, "-m", "jobmarket", "esco", "import", str(DATA / "esco"), "--db", str(db)],
                   check=True, capture_output=True, cwd=ROOT)
    with duckdb.connect(str(db), read_only=True) as con:
        index = LabelIndex.from_store(con, ["en"])
    rows = _resampled_rows(n)
    keys = list(dict.fromkeys(normalize_label(c.title) for c, _ in batch.clean_and_detect(rows)))[:n]
    stage = FuzzyStage(index)
    t0 = time.perf_counter()
    hits = stage.find(keys, ["en"] * len(keys))
    windowed = time.perf_counter() - t0
    t0 = time.perf_counter()
    for i in range(0, len(keys), 2000):  # what the stage did before: every title against every label
        cdist(keys[i:i + 2000], index.keys, scorer=rf.ratio, score_cutoff=stage.cutoff, dtype=np.uint8,
              workers=-1)
    return {"titles": len(keys), "labels": len(index.keys), "hits": len(hits), "windowed_s": windowed,
            "all_pairs_s": time.perf_counter() - t0}


# ---------------------------------------------------------------- 5. clustering bookkeeping
def _old_bookkeeping(raw, w, ids, z, langs):
    """The per-cluster and per-language scans of the earlier clusterer (for the comparison only)."""
    keys = []
    for label in sorted(set(raw.tolist()) - {-1}):
        members = np.flatnonzero(raw == label)
        keys.append((-w[members].sum(), -len(members), ids[members[0]], label))
    mapping = {label: new for new, (*_, label) in enumerate(sorted(keys))}
    cluster = np.array([mapping.get(int(r), -1) for r in raw], dtype=np.int64)
    k = int(cluster.max()) + 1
    cents = np.zeros((k, z.shape[1]))
    for c in range(k):
        cents[c] = z[cluster == c].mean(axis=0)
    arr = np.asarray(langs, dtype=object)
    for lang in sorted(set(langs)):
        z[arr == lang].sum(axis=0)
    return cluster


def clustering(sizes: list[int], dims: int = 32) -> list[dict]:
    from jobmarket.clustering.clusterer import TitleClusterer

    rows = []
    rng = np.random.default_rng(5)
    for n in sizes:
        k = n // 20  # HDBSCAN at min_cluster_size 5 finds ~1 cluster per 10-30 titles on real titles
        raw = np.where(rng.random(n) < 0.4, -1, rng.integers(0, k, n))  # 40% outliers
        z = rng.standard_normal((n, dims))
        w = rng.integers(1, 20, n).astype(float)
        ids = [f"t{i:07d}" for i in range(n)]
        langs = rng.choice(["en", "de", "fr", "es", "pl", "bg", "ro", "hu", ""], n).tolist()
        t0 = time.perf_counter()
        old = _old_bookkeeping(raw, w, ids, z, langs) if n <= 100_000 else None
        t_old = time.perf_counter() - t0 if old is not None else None
        tc = TitleClusterer()
        t0 = time.perf_counter()
        tc._stable_ids(raw, w, ids)
        cluster = tc._map(raw)
        tc._centroids(z, cluster)
        tc.center_languages = True
        tc._center(z, langs, fit=True)
        t_new = time.perf_counter() - t0
        if old is not None:
            assert np.array_equal(old, cluster)
        rows.append({"titles": n, "clusters": int(len(tc.raw_to_id_)), "old_s": t_old, "new_s": t_new})
    return rows


# ---------------------------------------------------------------- report
SECTIONS = ("bare", "normalize", "agreement", "skills", "cleaning", "fuzzy", "clustering")


def merge(old: dict, new: dict) -> dict:
    """``new`` over ``old`` (a run in parts), each section keeping the commit and date of the run that made
    it, so the header never claims another run's sections."""
    def stamp(run: dict) -> dict:
        return {"commit": run["machine"]["commit"], "date": run["machine"]["date"]}

    runs = {s: old.get("section_runs", {}).get(s, stamp(old)) for s in SECTIONS if s in old}
    runs.update({s: stamp(new) for s in SECTIONS if s in new})
    return {**old, **new, "section_runs": runs}


def write(res: dict) -> None:
    m = res["machine"]
    lines = ["# speed: each stage against the bare encoder, one run", "",
             f"- date {m['date']}; commit {m['commit']}; {m['platform']}, {m.get('cpu', 'CPU')}, "
             f"{m['cpus']} CPUs "
             f"(load average {m['load_avg_start']:.1f} at the start, "
             f"{res.get('load_avg_end', 0):.1f} at the end); torch {m['torch']} ({m['threads']} threads); "
             f"native CPU bf16: {m['cpu_bf16']}; no GPU in this task",
             "- absolute rates depend on the load above; the ratios within one run are the figures"]
    runs = res.get("section_runs", {})
    earlier = [f"{name} (commit {r['commit']}, {r['date']})" for name, r in runs.items()
               if r["commit"] != m["commit"] or r["date"] != m["date"]]
    if earlier:
        lines.append("- a run in parts: the header is the last part's; sections from earlier parts: "
                     + "; ".join(earlier))
    lines.append("")
    b = res.get("bare")
    if b:
        lines += [f"## bare encoder (offline multilingual-e5-small, ESCO labels, batch {b.get('batch', 64)})",
                  "",
                  "| encoder | precision | texts/s | cosine to the Encoder's fp32 (min / mean) |",
                  "|---|---|---|---|"]
        if "st_fp32_per_s" in b:
            lines += [f"| sentence-transformers `encode` as is (batches sorted by characters) | fp32 | "
                      f"{b['st_fp32_per_s']:.0f} | {b['st_fp32_cos_min']:.6f} / - |",
                      f"| sentence-transformers `encode` as is | bf16 autocast | "
                      f"{b['st_bf16_per_s']:.0f} | - |"]
        lines += [f"| jobmarket Encoder (batches of equal token counts) | fp32 | {b['fp32_per_s']:.0f} | - |",
                  f"| jobmarket Encoder | bf16 autocast | {b['bf16_per_s']:.0f} | "
                  f"{b['cos_min']:.5f} / {b['cos_mean']:.6f} |",
                  "", f"{b['n']:,} texts; Encoder bf16 / fp32 = **{b['bf16_per_s'] / b['fp32_per_s']:.2f}x**"
                  + (f"; Encoder bf16 / sentence-transformers fp32 = "
                     f"**{b['bf16_per_s'] / b['st_fp32_per_s']:.2f}x**" if "st_fp32_per_s" in b else ""), ""]
    r = res.get("normalize")
    if r:
        lines += [f"## cold normalize of `{res['file']}` (precision {r['precision']}, label languages "
                  f"{', '.join(r['index_langs'])})", "",
                  f"{r['rows']:,} rows, {r['pairs']:,} (title, country) pairs, {r['unique_titles']:,} unique "
                  f"titles, {r['labels_embedded']:,} distinct label texts embedded "
                  f"({r['label_rows']:,} label rows); wall {r['wall']:.0f} s.", "",
                  "| stage | seconds | rate | / bare fp32 (sentence-transformers) | / bare fp32 (Encoder) | "
                  "/ bare bf16 (Encoder) |", "|---|---|---|---|---|---|"]
        for name, key, rate in r["stages"]:
            sec = r["seconds"].get(key, 0.0)
            ratio = ("", "", "")
            if b and rate and ("labels" in name or "titles" in name):
                st = b.get("st_fp32_per_s")
                ratio = (f"{rate / st:.2f}x" if st else "", f"{rate / b['fp32_per_s']:.2f}x",
                         f"{rate / b['bf16_per_s']:.2f}x")
            lines.append(f"| {name} | {sec:.1f} | {rate:,.0f} | {' | '.join(ratio)} |" if rate
                         else f"| {name} | {sec:.1f} | - | | | |")
        other = {k: v for k, v in r["seconds"].items() if k not in {key for _, key, _ in r["stages"]}}
        if other:
            lines.append("\nother steps: " + ", ".join(f"{k} {v:.1f} s" for k, v in other.items()))
        lines.append("")
    a = res.get("agreement")
    if a and "variants" in a:
        lines += ["## bf16 vs fp32: normalize's top-1 occupation", "",
                  f"{a['titles']:,} unique titles of the **{a['half']}** half of the JobBERT titles against "
                  f"{a['labels']:,} English label rows of {a['occupations']:,} occupations, through the "
                  "matcher (exact, fuzzy, embedding); the label matrices come from the cache, the titles are "
                  "encoded:", "",
                  "| variant | top-1 agreement with fp32 | seconds | titles re-scored | labels re-encoded |",
                  "|---|---|---|---|---|"]
        for name, v in a["variants"].items():
            lines.append(f"| {name} | {v['agreement']:.2%} | {v['seconds']:.1f} | {v['refined_titles']:,} | "
                         f"{v['refined_labels']:,} |")
        lines.append("")
    sk = res.get("skills")
    if sk:
        lines += [f"## skills on the EURES descriptions (default extractor, precision {sk['precision']})", "",
                  f"{sk['postings']:,} postings; {sk['segments_embedded']:,} distinct foreground segments "
                  f"embedded in the cold run; {sk['findings']:,} findings. Skill label vectors "
                  f"({sk['skill_labels']:,} labels, once per model and store): "
                  f"{sk['label_vectors_s']:.1f} s.",
                  "", "| run | seconds | of which encoding segments (s) | postings/s | segments/s "
                  "| / bare fp32 (Encoder) | / bare bf16 (Encoder) |",
                  "|---|---|---|---|---|---|---|"]
        for run in ("cold", "warm"):
            sec = sk[f"{run}_s"]
            seg = sk["segments_embedded"] / sec if run == "cold" else None
            ratio = ((f"{seg / b['fp32_per_s']:.2f}x", f"{seg / b['bf16_per_s']:.2f}x") if (seg and b)
                     else ("", ""))
            enc_s = sk.get(f"{run}_encode_s")
            lines.append(f"| {run} | {sec:.1f} | {'' if enc_s is None else f'{enc_s:.1f}'} | "
                         f"{sk['postings'] / sec:,.0f} | {f'{seg:,.0f}' if seg else '-'} | {ratio[0]} | "
                         f"{ratio[1]} |")
        lines += ["", "Cold: every distinct foreground segment is embedded; warm: the same run again with "
                  "the sentence vectors cached (a portal's next batch repeats most sentences). The bare "
                  f"rates are over ESCO labels of {b.get('tokens', 0):.1f} tokens on average; a segment "
                  f"has {sk.get('segment_tokens', 0):.1f}.", ""]
    c = res.get("cleaning")
    if c:
        lines += ["## title cleaning + language detection", "",
                  f"Pairs/s in normalize's 20k chunks, the median of {c.get('repeats', 1)} runs, each from "
                  "cold caches and, for the pool, new workers. Resample: "
                  f"{c['pairs']:,} distinct (title, country) pairs drawn as benchmarks/scale.py does "
                  "(real titles with seniority, gender-marker, contract and spacing variants), no "
                  "descriptions.", ""]
        r = c.get("real")
        head = "| mode | resample |" + (f" real vacancy titles ({r['pairs']:,} pairs) |" if r else "")
        lines += [head, "|---|---|" + ("---|" if r else "")]

        def row(label: str, key: str) -> str:
            real = (f" {r[key]:,.0f} |" if key in r else " - |") if r else ""
            return f"| {label} | {c[key]:,.0f} |" + real

        lines += [row("one process", "one process"), row("cleaning alone, raw titles/s", "clean_only_per_s"),
                  row("language detection alone", "detect_only_per_s"),
                  row(f"process pool ({c['workers']} workers), started inside the timing", "process pool")]
        if "process pool warm" in c:
            lines.append(row(f"process pool ({c['workers']} workers), started: spawned, package imported, "
                             "language model loaded, nothing cleaned", "process pool warm"))
        if r:
            lines += ["", "Real vacancy titles: the EURES titles with their postings' countries and the "
                      "JobBERT titles with a country drawn as the resample draws it."]
        lines.append("")
    fz = res.get("fuzzy")
    if fz:
        lines += ["## the fuzzy stage (rapidfuzz ratio >= 95 against the English labels)", "",
                  f"{fz['titles']:,} distinct cleaned titles (resampled as above) against {fz['labels']:,} "
                  f"label keys; {fz['hits']:,} hits.", "",
                  "| labels compared | seconds | titles/s |", "|---|---|---|",
                  f"| every label (before) | {fz['all_pairs_s']:.2f} | "
                  f"{fz['titles'] / fz['all_pairs_s']:,.0f} |",
                  f"| labels of a length that can reach the cutoff | {fz['windowed_s']:.2f} | "
                  f"{fz['titles'] / fz['windowed_s']:,.0f} |", ""]
    cl = res.get("clustering")
    if cl:
        lines += ["## clustering bookkeeping (synthetic labels and 32-d vectors)", "",
                  "stable ids + label map + centroids + language means; the HDBSCAN fit itself is not timed "
                  "here.", "", "| titles | clusters | per-cluster loops (s) | bincount / add.at (s) |",
                  "|---|---|---|---|"]
        for row in cl:
            old = f"{row['old_s']:.2f}" if row["old_s"] is not None else "not run"
            lines.append(f"| {row['titles']:,} | {row['clusters']:,} | {old} | {row['new_s']:.2f} |")
        lines.append("")
    if res.get("notes"):  # the reading of a run, kept in speed.json so a rewrite keeps it
        lines += ["## reading", ""] + [f"- {n}" for n in res["notes"]] + [""]
    name = res.get("name", "speed")
    (RESULTS / f"{name}.md").write_text("\n".join(lines))
    (RESULTS / f"{name}.json").write_text(json.dumps(res, indent=1, default=str))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--file", type=Path, default=DATA / "postings" / "European_jobs_batch2.csv")
    ap.add_argument("--index-lang", action="append", help="label languages (default: the run's rule)")
    ap.add_argument("--precision", default="auto")
    ap.add_argument("--bare-n", type=int, default=2000)
    ap.add_argument("--tune-n", type=int, default=0, help="titles of the tune half (0: all)")
    ap.add_argument("--agree-occupations", type=int, default=0, help="occupations (0: all)")
    ap.add_argument("--clean-n", type=int, default=40_000)
    ap.add_argument("--cluster-sizes", type=int, nargs="*", default=[100_000, 400_000])
    ap.add_argument("--name", default="speed",
                    help="results/NAME.md and .json: another machine's run gets its own file")
    ap.add_argument("--fuzzy-n", type=int, default=20_000)
    ap.add_argument("--merge", action="store_true",
                    help="keep the sections of results/speed.json this run skips (a run in parts)")
    ap.add_argument("--skip", nargs="*", default=[],
                    choices=SECTIONS)
    args = ap.parse_args()
    from jobmarket.encoders.offline.install import offline_model_path

    model = str(offline_model_path())
    res = {"machine": machine(), "file": str(args.file.relative_to(DATA.parent)) if DATA.parent in
           args.file.parents else str(args.file)}
    fresh_home()
    if "bare" not in args.skip:
        import pandas as pd

        labels = pd.read_csv(DATA / "esco" / "v1.2-labels" / "occupation_labels_hu.tsv", sep="\t", dtype=str)
        en = pd.read_csv(DATA / "esco" / "v1.2" / "en" / "occupations_en.csv", dtype=str)
        texts = list(dict.fromkeys(list(en["preferredLabel"].dropna()) + list(labels["label"].dropna())))
        pick = np.random.default_rng(0).permutation(len(texts))[: args.bare_n]  # both languages, all lengths
        res["bare"] = bare_encoder(model, [texts[i] for i in pick])
        print(res["bare"], flush=True)
    if "normalize" not in args.skip:
        res["normalize"] = normalize_run(model, args.file, args.index_lang, args.precision)
        print(res["normalize"], flush=True)
    if "agreement" not in args.skip:
        res["agreement"] = agreement(model, args.tune_n, args.agree_occupations)
        print(res["agreement"], flush=True)
    if "skills" not in args.skip:
        res["skills"] = skills_run(model)
        print(res["skills"], flush=True)
    if "cleaning" not in args.skip:
        res["cleaning"] = cleaning(args.clean_n)
        print(res["cleaning"], flush=True)
    if "fuzzy" not in args.skip:
        res["fuzzy"] = fuzzy(args.fuzzy_n)
        print(res["fuzzy"], flush=True)
    if "clustering" not in args.skip:
        res["clustering"] = clustering(args.cluster_sizes)
        print(res["clustering"], flush=True)
    res["load_avg_end"] = os.getloadavg()[0]
    res["name"] = args.name
    if args.merge and (RESULTS / f"{args.name}.json").exists():
        old = json.loads((RESULTS / f"{args.name}.json").read_text())
        if not same_cpu(old["machine"].get("cpu", ""), res["machine"]["cpu"]):
            sys.exit(f"benchmarks/results/{args.name}.json is of another CPU ({old['machine'].get('cpu')}); "
                     f"this one is {res['machine']['cpu']}: pass --name for a file of its own")
        res = merge(old, res)
    write(res)


if __name__ == "__main__":
    main()
