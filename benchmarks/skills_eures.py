"""Skills on the 2,372 real EURES postings: throughput, the most asked skills with their source
sentences, and a precision spot-check sample.

    python benchmarks/skills_eures.py [--model auto] [--db STORE] [--cache FILE] [--labels-only]

Descriptions are read from ../shared/data/postings/European_jobs_batch2.csv; each one's language is
detected from the description. The boilerplate rule needs each posting's occupation group: with
``--db`` a store that normalized the same file gives the ISCO-08 sub-major group of each matched
posting; without it, each posting's job title stands in for its occupation. Throughput is measured
cold (empty embedding cache: every distinct sentence encoded) and warm (second run, cache filled).

Writes benchmarks/results/skills_eures.md and skills_spotcheck_sample.csv (200 random (posting,
skill) pairs, seed 20261201, from the findings that count in profiles: judged by hand into
skills_spotcheck.csv); with --labels-only, skills_eures_labels_only.md and
skills_spotcheck_sample_labels_only.csv.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))  # _provenance sits beside this script, also when loaded by path
from _provenance import commit_label, load_note  # noqa: E402 - beside this script

STARTED_ON = commit_label()  # the tree the run starts on, before it writes any result file

sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"
EURES = DATA / "postings" / "European_jobs_batch2.csv"
ESCO_ZIP = DATA / "esco" / "v1.1.1" / "esco_v1.1.1_classification_en_csv.zip"
RESULTS = ROOT / "benchmarks" / "results"
SEED = 20261201


def _groups(df: pd.DataFrame, db: str | None) -> list[str | None]:
    if not db:
        return df["job_title"].fillna("").str.casefold().str.strip().tolist()
    from jobmarket.store.connection import connect

    con = connect(db, read_only=True)
    rows = con.execute("""
        SELECT p.source_row, left(o.isco_code, 2) FROM postings p
        JOIN assignments a ON a.posting_id = p.posting_id AND a.run_id = p.run_id AND a.status = 'matched'
        JOIN esco_occupations o ON o.occupation_uri = a.occupation_uri""").fetchall()
    by_row = dict(rows)
    return [by_row.get(i + 1) for i in range(len(df))]


def _findings_frame(df: pd.DataFrame, findings, pref: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame([
        {"posting": i, "job_id": df["job_id"].iloc[i], "skill_uri": f.skill_uri,
         "skill": pref.get(f.skill_uri),
         "method": f.method, "score": f.score, "evidence": f.evidence, "sentence": f.sentence,
         "section": f.section, "boilerplate": f.boilerplate}
        for i, fs in enumerate(findings) for f in fs])


def top_table(found: pd.DataFrame, n: int, per_skill: int = 3) -> list[dict]:
    out = []
    counts = found.groupby(["skill_uri", "skill"])["posting"].nunique().sort_values(ascending=False)
    for (uri, skill), k in counts.head(n).items():
        part = found[found["skill_uri"] == uri]
        sents = (part.groupby(["sentence", "section"])["posting"].nunique()
                 .sort_values(ascending=False).head(per_skill))
        out.append({"skill": skill, "postings": int(k), "sections": sorted(part["section"].unique()),
                    "sentences": [(s, sec, int(c)) for (s, sec), c in sents.items()]})
    return out


def main() -> None:  # noqa: PLR0915 - a linear script
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="auto")
    ap.add_argument("--db", default=None, help="a store that normalized the EURES file (occupation groups)")
    ap.add_argument("--cache", default=None, help="DuckDB file for the embedding cache of the warm run")
    ap.add_argument("--labels-only", action="store_true")
    args = ap.parse_args()
    missing = [str(p) for p in (EURES, ESCO_ZIP) if not p.exists()]
    if missing:
        sys.exit(f"skip: shared data not found: {', '.join(missing)}")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import torch

    from jobmarket.encoders.cache import DuckEmbeddingStore
    from jobmarket.encoders.sentence_transformer import Encoder
    from jobmarket.esco.load import import_esco
    from jobmarket.skills.extractor import SkillExtractor
    from jobmarket.skills.labels import SkillLabels
    from jobmarket.store.connection import connect
    from jobmarket.text.language import detect_language

    con = connect(":memory:")
    import_esco(con, [ESCO_ZIP], progress=False)
    labels = SkillLabels.from_store(con)
    pref = labels.preferred()
    df = pd.read_csv(EURES, dtype=str, keep_default_na=False)
    texts = df["full_description"].tolist()
    t0 = time.perf_counter()
    langs = [detect_language(t) for t in texts]
    t_lang = time.perf_counter() - t0
    groups = _groups(df, args.db)
    encoder = None
    if not args.labels_only:
        cache = DuckEmbeddingStore(connect(args.cache)) if args.cache else None
        encoder = Encoder(args.model, cache=cache)
    timings = {}
    extractor = SkillExtractor.default(labels, encoder)
    emb = extractor.stages[-1] if encoder is not None else None
    if emb is not None:
        t0 = time.perf_counter()
        _ = emb.label_vectors
        timings["label vectors (once per model, cached)"] = time.perf_counter() - t0
    extractor.stages[0].find_many([])  # build the automaton outside the timed runs
    t0 = time.perf_counter()
    findings = extractor.extract_many(texts, langs, groups=groups)
    timings["cold"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    findings = extractor.extract_many(texts, langs, groups=groups)
    timings["warm"] = time.perf_counter() - t0
    docs = extractor.docs(texts, langs)
    n_seg = sum(len(d.segments) for d in docs)
    n_unique = len({(s.text, d.lang) for d in docs for s in d.segments})
    n_boiler = len(extractor.boilerplate(docs, groups))

    # Before issue 11: no sections, no boilerplate rule (the same stages and threshold).
    old = SkillExtractor(extractor.stages, sections=False, rule=None)
    before = _findings_frame(df, old.extract_many(texts, langs), pref)
    found = _findings_frame(df, findings, pref)
    counted = found[~found["boilerplate"]]
    top_after, top_before = top_table(counted, 30), top_table(before, 20, per_skill=1)
    sample = counted.sample(n=min(200, len(counted)), random_state=SEED).sort_values(["posting", "skill"])
    sample = sample.assign(lang=[langs[i] for i in sample["posting"]])
    RESULTS.mkdir(parents=True, exist_ok=True)
    cols = ["job_id", "lang", "skill", "skill_uri", "method", "score", "section", "evidence", "sentence"]
    tag = "_labels_only" if args.labels_only else ""
    sample[cols].to_csv(RESULTS / f"skills_spotcheck_sample{tag}.csv", index=False)
    write_report(df, timings, t_lang, n_seg, n_unique, n_boiler, found, top_after, top_before, encoder,
                 torch.get_num_threads(), bool(args.db), tag)


def write_report(df, timings, t_lang, n_seg, n_unique, n_boiler, found, top_after, top_before, encoder,
                 threads, have_db, tag="") -> None:
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor())
    n = len(df)
    by_section = found.groupby("section")["posting"].size().to_dict()
    lines = [
        "# Skills on the EURES postings", "",
        f"- date: {dt.date.today()}, commit {STARTED_ON}",
        f"- machine: {cpu}, {load_note()} when written, torch threads {threads}",
        f"- model: `{encoder.cache_id if encoder else 'none (label matching only)'}`",
        f"- data: `../shared/data/postings/European_jobs_batch2.csv`, {n:,} postings; occupation groups for "
        f"the boilerplate rule: {'ISCO-08 sub-major groups of a normalize run' if have_db else 'job titles'}",
        "- script: `python benchmarks/skills_eures.py`", "",
        "## Throughput", "",
        f"{n_seg:,} segments, {n_unique:,} distinct (each given to the stages once); {n_boiler:,} "
        f"boilerplate sentences; language detection {t_lang:.1f} s (not in the rates: the pipeline reads "
        "it from the store).",
        "",
        "| run | seconds | postings/s |", "|---|---:|---:|",
    ]
    for k, v in timings.items():
        rate = f"{n / v:,.0f}" if k in ("cold", "warm") else "-"
        lines.append(f"| {k} | {v:.1f} | {rate} |")
    lines += [
        "", "Cold: every distinct foreground segment embedded (no cache). Warm: the same run again, sentence "
        "vectors from the cache: the rate a portal's next batch sees for the sentences it repeats.", "",
        "## Findings per section (all findings, boilerplate included)", "",
        "| section | findings |", "|---|---:|",
        *[f"| {k} | {v:,} |" for k, v in sorted(by_section.items(), key=lambda x: -x[1])],
        f"| of which boilerplate (left out of profiles) | {int(found['boilerplate'].sum()):,} |", "",
        "## Before: the 20 most asked skills without sections and boilerplate rule", "",
        "| # | skill | postings | top source sentence (postings) |", "|---:|---|---:|---|",
    ]
    for i, r in enumerate(top_before, 1):
        s, _, c = r["sentences"][0]
        lines.append(f"| {i} | {r['skill']} | {r['postings']} | {_cell(s)} ({c}) |")
    lines += ["", "## After: the 30 most asked skills (boilerplate left out), top source sentences", "",
              "| # | skill | postings | sections | top source sentences: section, postings |",
              "|---:|---|---:|---|---|"]
    for i, r in enumerate(top_after, 1):
        sents = "<br>".join(f"[{sec}, {c}] {_cell(s)}" for s, sec, c in r["sentences"])
        lines.append(f"| {i} | {r['skill']} | {r['postings']} | {', '.join(r['sections'])} | {sents} |")
    (RESULTS / f"skills_eures{tag}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


def _cell(text: str, limit: int = 160) -> str:
    text = " ".join(str(text).split()).replace("|", "/")
    return text if len(text) <= limit else text[:limit - 1] + "…"


if __name__ == "__main__":
    main()
