"""Optional second stage after Deniz et al.: title-title pairs from the ESCO/ISCO hierarchy.

Positives are another title of the same occupation (any language), or of an occupation in the same ISCO
unit group; hard negatives are titles of occupations in another minor group of the same sub-major group
(else the same major group, else anywhere). All three columns go through the ``anchor`` route, with a
multiple-negatives loss, so titles of one occupation pull together across languages.
"""

from __future__ import annotations

import random
from collections import defaultdict

import pandas as pd


def hierarchy_triplets(df: pd.DataFrame, isco: dict[str, str], max_pairs: int,
                      seed: int = 42) -> pd.DataFrame:
    """Triplets (anchor, positive, negative) from pairs ``df`` (title, lang, group) and group → ISCO code."""
    rng = random.Random(seed)
    titles = df[df["group"].isin(isco)].groupby("group")["title"].agg(list).to_dict()
    by_level: list[dict[str, list[str]]] = [defaultdict(list) for _ in range(4)]
    for g in titles:
        code = isco[g]
        for level in range(1, 5):
            by_level[level - 1][code[:level]].append(g)
    groups = sorted(titles)
    rows = []
    for _ in range(max_pairs * 3):
        if len(rows) >= max_pairs:
            break
        g = rng.choice(groups)
        code = isco[g]
        own = titles[g]
        if len(own) >= 2:
            anchor, positive = rng.sample(own, 2)
        else:
            unit = [o for o in by_level[3][code[:4]] if o != g]
            if not unit:
                continue
            anchor, positive = own[0], rng.choice(titles[rng.choice(unit)])
        negative = None
        for level in (2, 1, 0):  # sub-major, major, any: outside the anchor's minor group
            pool = by_level[level - 1][code[:level]] if level else groups
            pool = [o for o in pool if isco[o][:3] != code[:3]]
            if pool:
                negative = rng.choice(titles[rng.choice(pool)])
                break
        if negative:
            rows.append((anchor, positive, negative))
    return pd.DataFrame(rows, columns=["anchor", "positive", "negative"])


def train_hierarchy(model, data, cfg, console) -> dict:
    """Run the second stage on ``model`` in place; return its loss and size."""
    from datasets import Dataset
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
    from sentence_transformers.sentence_transformer.trainer import SentenceTransformerTrainer
    from sentence_transformers.sentence_transformer.training_args import SentenceTransformerTrainingArguments

    isco = data.stats.get("_isco") or {}
    triplets = hierarchy_triplets(data.train, isco, cfg.hierarchy_max_pairs, cfg.seed)
    if triplets.empty:
        console.print("hierarchy stage skipped: no ISCO codes for the training occupations")
        return {"skipped": True}
    console.print(f"hierarchy stage: {len(triplets):,} triplets, {cfg.hierarchy_steps} steps")
    prompts = {c: cfg.prompt for c in triplets.columns} if cfg.prompt else None
    args = SentenceTransformerTrainingArguments(
        output_dir=str(cfg.output_path / "checkpoints-hierarchy"),
        per_device_train_batch_size=cfg.batch_size,
        learning_rate=cfg.learning_rate / 2,
        max_steps=cfg.hierarchy_steps,
        seed=cfg.seed,
        use_cpu=not _cuda(),
        fp16=cfg.fp16 and _cuda(),
        router_mapping={c: "anchor" for c in triplets.columns},
        prompts=prompts,
        batch_sampler="no_duplicates",
        logging_steps=cfg.logging_steps,
        save_strategy="no",
        report_to="none",
    )
    trainer = SentenceTransformerTrainer(
        model=model, args=args, train_dataset=Dataset.from_pandas(triplets, preserve_index=False),
        loss=MultipleNegativesRankingLoss(model, scale=cfg.scale),
    )
    result = trainer.train()
    return {"triplets": len(triplets), "steps": result.global_step, "train_loss": result.training_loss}


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()
