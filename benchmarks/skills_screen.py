"""Could a cheap first pass spare the skills embedding stage most of its segments? Measured on EURES.

The embedding stage encodes every distinct foreground segment, and that sets the pace of `jobmarket
skills` on a CPU. Yet few segments have a skill at or above the stage's threshold. A screen that cost
little and kept every such segment would let the full encoder see only the rest. Here, on the 2,372 EURES
descriptions:

1. how many segments reach the threshold, by segment length in words;
2. screens made of the same model cut after k transformer layers (k = 0: the token embeddings, mean
   pooled), each encoded through sentence-transformers' own ``encode_query``/``encode_document``: what
   share of the segments each must pass on to keep 100% (or 99%) of those with a finding, and the cold
   time that would leave (screen + survivors at the full model's measured cost per segment).

    python benchmarks/skills_screen.py [--layers 0 1 2 3]

Writes benchmarks/results/skills_screen.md and .json.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from _provenance import commit_label, cpu_model, load_note, write_results  # noqa: E402 - beside this script

STARTED_ON = commit_label()
sys.path.insert(0, str(ROOT))

LENGTHS = [(1, 1), (2, 2), (3, 3), (4, 5), (6, 8), (9, 12), (13, 18), (19, 10**6)]


def full_run(model: str) -> dict:
    """The default extractor over EURES, cold: each foreground segment's best cosine to a skill."""
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
    df = pd.read_csv(EURES, dtype=str, keep_default_na=False)
    texts = df["full_description"].tolist()
    enc = Encoder(model, cache=MemoryEmbeddingStore())
    ext = SkillExtractor.default(SkillLabels.from_store(con), enc)
    emb = ext.stages[-1]
    emb.label_vectors  # noqa: B018 - computed before the timed run
    encode, seen, spent = emb.encode_segments, [], [0.0]

    def recording(segments):
        t = time.perf_counter()
        vecs = encode(segments)
        spent[0] += time.perf_counter() - t
        seen.append((list(segments), vecs))
        return vecs

    emb.encode_segments = recording
    ext.extract_many(texts, [detect_language(t) for t in texts], groups=_groups(df, None))
    segments = [s for part, _ in seen for s in part]
    vectors = np.concatenate([v for _, v in seen])
    best = np.concatenate([emb.similarities(vectors[i:i + 512]).max(axis=1)
                           for i in range(0, len(vectors), 512)])
    return {"encoder": enc, "stage": emb, "segments": segments, "best": best, "encode_s": spent[0]}


def screens(full: dict, layers: list[int]) -> list[dict]:
    """The model cut after k layers as a screen: its best cosines, and what it must pass on."""
    from jobmarket.encoders.precision import autocast

    enc, emb = full["encoder"], full["stage"]
    hit = full["best"] >= emb.threshold
    per_segment = full["encode_s"] / len(full["segments"])
    cut = copy.deepcopy(enc.model)
    body = cut[0].auto_model.encoder
    every = list(body.layer)
    out = []
    for k in layers:
        body.layer = type(body.layer)(every[:k])
        with autocast(enc.precision, "cpu", cut):
            t0 = time.perf_counter()
            lab = cut.encode_document(emb.label_texts, batch_size=128, normalize_embeddings=True)
            t1 = time.perf_counter()
            seg = cut.encode_query(full["segments"], batch_size=128, normalize_embeddings=True)
            t2 = time.perf_counter()
        score = np.concatenate([(seg[i:i + 1024] @ lab.T).max(axis=1) for i in range(0, len(seg), 1024)])
        row = {"layers": k, "labels_s": t1 - t0, "segments_s": t2 - t1,
               "corr": float(np.corrcoef(score, full["best"])[0, 1])}
        for keep in (1.0, 0.99):
            cutoff = np.sort(score[hit])[int((1 - keep) * hit.sum())]
            passed = float((score >= cutoff).mean())
            row[f"pass_{keep}"] = passed
            row[f"cold_{keep}"] = (t2 - t1) + passed * len(score) * per_segment
        out.append(row)
    return out


def markdown(res: dict) -> str:
    m = res["machine"]
    lines = ["# skills: a cheap screen before the embedding stage?", "",
             f"- date {m['date']}; commit {m['commit']}; {m['cpu']}, {m['load']}; model `{res['model']}`, "
             f"precision {res['precision']}",
             f"- {res['segments']:,} distinct foreground segments of the 2,372 EURES descriptions; "
             f"{res['hits']:,} reach the stage's threshold {res['threshold']} with some skill; encoding them "
             f"all took {res['encode_s']:.1f} s", "",
             "## segments that reach the threshold, by length", "",
             "| words | segments | reaching the threshold | best cosine: median / 99th pct / max |",
             "|---|---|---|---|"]
    for r in res["lengths"]:
        span = f"{r['lo']}" if r["lo"] == r["hi"] else (f"{r['lo']}+" if r["hi"] > 10**5 else
                                                          f"{r['lo']}-{r['hi']}")
        lines.append(f"| {span} | {r['n']:,} | {r['hits']:,} | {r['q50']:.3f} / {r['q99']:.3f} / "
                     f"{r['max']:.3f} |")
    lines += ["", "## the model cut after k layers as a screen", "",
              "Pass: the share of segments the screen must hand to the full model to keep every segment "
              "with a finding (or 99% of them); cold: screen time + the passed segments at the full model's "
              f"cost per segment, against {res['encode_s']:.1f} s for all.", "",
              "| layers | screen: labels s | screen: segments s | correlation with the full best cosine "
              "| pass (100%) | cold s (100%) | pass (99%) | cold s (99%) |",
              "|---|---|---|---|---|---|---|---|"]
    for r in res["screens"]:
        lines.append(f"| {r['layers']} | {r['labels_s']:.1f} | {r['segments_s']:.1f} | {r['corr']:.2f} | "
                     f"{r['pass_1.0']:.0%} | {r['cold_1.0']:.1f} | {r['pass_0.99']:.0%} | "
                     f"{r['cold_0.99']:.1f} |")
    best = min(res["screens"], key=lambda r: r["cold_1.0"])
    lines += ["", f"The best screen keeping every finding leaves {best['cold_1.0']:.1f} s of "
              f"{res['encode_s']:.1f} s: no screen of this kind makes the stage several times faster.", ""]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None, help="a sentence-transformers model (default: the offline one)")
    ap.add_argument("--layers", type=int, nargs="*", default=[0, 1, 2, 3])
    args = ap.parse_args()
    from jobmarket.encoders.offline.install import offline_model_path

    model = args.model or str(offline_model_path())
    full = full_run(model)
    words = np.array([len(s.split()) for s in full["segments"]])
    best, threshold = full["best"], full["stage"].threshold
    lengths = []
    for lo, hi in LENGTHS:
        b = best[(words >= lo) & (words <= hi)]
        if len(b):
            lengths.append({"lo": lo, "hi": hi, "n": len(b), "hits": int((b >= threshold).sum()),
                            "q50": float(np.median(b)), "q99": float(np.quantile(b, 0.99)),
                            "max": float(b.max())})
    res = {"machine": {"date": dt.date.today().isoformat(), "commit": STARTED_ON, "cpu": cpu_model(),
                       "load": load_note()},
           "model": Path(model).name, "precision": full["encoder"].precision, "threshold": threshold,
           "segments": len(best), "hits": int((best >= threshold).sum()), "encode_s": full["encode_s"],
           "lengths": lengths, "screens": screens(full, args.layers)}
    text = markdown(res)
    print(text)
    write_results("skills_screen", res, text)


if __name__ == "__main__":
    main()
