"""The model card written beside a trained model: data and sources, hyper-parameters, dev metrics, machine."""

from __future__ import annotations

import os
import platform
from pathlib import Path

import torch

from model_training.config import TrainConfig


def machine(threads: int | None = None) -> str:
    threads = threads or torch.get_num_threads()
    dev = (
        torch.cuda.get_device_name(0)
        if torch.cuda.is_available()
        else f"CPU ({os.cpu_count()} cores, {threads} torch thread(s))"
    )
    return f"{platform.node() or 'unknown'}: {dev}, torch {torch.__version__}"


def _sources_line(stats: dict, cfg: TrainConfig) -> str:
    names = {
        "skills": "title → skill list (JobBERT-V3)",
        "titles": "ESCO title ↔ title (labels of one occupation, sibling-occupation hard negatives)",
        "coded": f"coded vacancy titles → their occupation's label ({cfg.coded_titles}, "
        f"{cfg.coded_half or 'store'}; {stats.get('coded_read', 0):,} read)",
    }
    line = "; ".join(f"{names[k]}: {v:,}" for k, v in stats.get("sources", {}).items())
    if ex := stats.get("excluded"):
        dropped = ", ".join(f"{k} {v:,}" for k, v in ex["pairs_dropped"].items())
        line += (f". Pairs containing one of {ex['titles']:,} evaluation titles "
                 f"({', '.join(cfg.exclude_titles)}) dropped before sizing: {dropped}")
    return line


def write_model_card(
    out: Path, cfg: TrainConfig, base: str, stats: dict, metrics: dict, params: dict
) -> Path:
    """A plain model card: data, languages, hyper-parameters, metrics and how it was run."""
    langs = ", ".join(f"{k} {v:,}" for k, v in stats.get("languages", {}).items())
    dev = metrics.get("dev", {})
    before = metrics.get("dev_before", {})
    seen = int(metrics.get("steps") or 0) * cfg.batch_size
    rows = "\n".join(f"| {k} | {before.get(k, float('nan')):.4f} | {v:.4f} |" for k, v in dev.items())
    hp = "\n".join(f"| {k} | {v} |" for k, v in cfg.to_dict().items() if k not in ("esco", "note"))
    text = f"""---
library_name: sentence-transformers
pipeline_tag: sentence-similarity
tags: [sentence-transformers, job-titles, esco, jobbert-v3-style]
---
# JobBERT-V3-style job title encoder (jobmarket model_training)

Trained by `python -m model_training train` (jobmarket) following the JobBERT-V3 recipe: a job title
(`anchor` route) against the comma-joined, shuffled list of its occupation's skills (`positive` route),
multiple-negatives ranking loss (scale {cfg.scale}, cosine), every batch mixing languages in equal shares.

- Base model: `{base}`; mean pooling; routes `anchor` and `positive`, each
  Dense({params.get("dim")}→{cfg.head_dim}, tanh), then L2 normalisation. Head initialisation:
  {cfg.head_init}.
- Prompt: {repr(cfg.prompt)} on both routes (set as the default prompt, so
  `model.encode(texts, task="anchor")` applies it).
- Use: `SentenceTransformer(path).encode(titles, task="anchor")`, `...encode(skill_lists, task="positive")`;
  `encode_query`/`encode_document` map to the same routes.
  `jobmarket.encoders.sentence_transformer.Encoder(path)` picks the routes.
- Machine: {machine(cfg.num_threads)}.
  Wall time {metrics.get("wall_s", 0) / 60:.1f} min, {metrics.get("steps")} steps.
{cfg.note}

## Data
ESCO sources: {", ".join(cfg.esco) or "-"}; pairs file: {cfg.pairs_file or "-"}.
Pairs read {stats.get("pairs_read", 0):,}, kept {stats.get("pairs_kept", 0):,}
(titles ≥ {cfg.min_title_chars} characters, ≥ {cfg.min_skills} skills);
train {stats.get("train_pairs", 0):,} pairs of
{stats.get("occupations_train", 0):,} occupations, dev {stats.get("dev_pairs", 0):,} pairs of
{stats.get("occupations_dev", 0):,} held-out occupations (split by occupation: no leak).
Skills are English (ESCO v1.1.1 has English skill labels only); titles are in every loaded language.

Sources (pairs the run drew from each; mix {cfg.mix or "none: each at its own size"}):
{_sources_line(stats, cfg)}.

Title→skills pairs per language: {langs}. The run saw {seen:,} pairs ({metrics.get("steps")} steps ×
{cfg.batch_size}), every batch in equal shares per language (small languages recycled, large ones in part).

## Metrics (dev: held-out occupations' titles → their skill lists)
| metric | before training | after |
|---|---|---|
{rows}

Training loss (mean over the run): {metrics.get("train_loss", float("nan")):.4f}.
{_matcher_defaults(metrics.get("matcher_defaults"))}
## Hyper-parameters
| parameter | value |
|---|---|
{hp}
| trainable parameters | {params.get("trainable", 0):,} of {params.get("total", 0):,} |
"""
    path = out / "README.md"
    path.write_text(text, encoding="utf-8")
    return path


def _matcher_defaults(fitted: dict | None) -> str:
    if not fitted:
        return ""
    return (f"\nMatcher settings for this model (matcher_defaults.json, fitted on the {fitted['half']} half "
            f"of the JobBERT titles, {fitted['titles']:,} titles): soft-maximum temperature "
            f"{fitted['temperature']}, preferred-label bonus {fitted['preferred_bonus']}; embedding-stage "
            f"acc@1 {fitted['acc@1']:.3f} there.\n")
