"""The trainer's inputs: texts of each source as datasets, their router mapping and batch samplers."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from jobmarket.errors import JobmarketError
from model_training import pairs as P
from model_training.config import TrainConfig
from model_training.sampler import LanguageBalancedBatchSampler


@dataclass
class TrainingData:
    """What ``trainer.prepare_data`` builds: every source's pairs, split by occupation."""

    train: pd.DataFrame  # title → skills pairs
    dev: pd.DataFrame  # the held-out occupations' title → skills pairs
    stats: dict = field(default_factory=dict)
    titles: pd.DataFrame | None = None  # ESCO title ↔ title pairs (title_pairs.py), dev occupations left out
    coded: pd.DataFrame | None = None  # coded vacancy title → label pairs, dev occupations left out
    dev_titles: pd.DataFrame | None = None  # the dev occupations' labels (a title → title dev check)


def cut_anchors(titles: Sequence[str], model, cfg: TrainConfig) -> list[str]:
    """Titles as the anchor route sees them: a long one trimmed by words to ``anchor_max_tokens``."""
    count = P.token_counter(model.tokenizer)
    return [
        t if len(t) < 4 * cfg.anchor_max_tokens else P.cut_title(t, count, cfg.anchor_max_tokens - 2)
        for t in titles
    ]


def pair_texts(df: pd.DataFrame, model, cfg: TrainConfig, seed: int) -> tuple[list[str], list[str]]:
    """Title → skills pairs as texts: the cut titles and a shuffled skill list within the token budget."""
    count = P.token_counter(model.tokenizer)
    prompt_tokens = count([cfg.prompt])[0] if cfg.prompt else 0
    budget = cfg.positive_max_tokens - 2 - prompt_tokens  # [CLS]/[SEP] (or <s>/</s>) and the prompt
    return cut_anchors(df["title"], model, cfg), P.positives(df, count, budget, seed)


def build_datasets(data: TrainingData, model, cfg: TrainConfig):
    """The train dataset(s), the trainer's router mapping and a batch-sampler factory for them.

    Title → skills pairs send the skill list through ``positive``; title ↔ title pairs send every side
    through ``anchor``, the route ``normalize`` embeds postings' titles and ESCO labels with. Several
    sources become a DatasetDict (the trainer samples batches from each in proportion to its size).
    """
    from datasets import Dataset, DatasetDict

    anchors, positives = pair_texts(data.train, model, cfg, cfg.seed)
    parts = {"skills": (Dataset.from_dict({"anchor": anchors, "positive": positives}), data.train)}
    for name in ("titles", "coded"):
        df = getattr(data, name)
        if df is not None and not df.empty:
            cols = {c: cut_anchors(df[c], model, cfg) for c in ("title", "positive", "negative")}
            ds = Dataset.from_dict(
                {"anchor": cols["title"], "positive": cols["positive"], "negative": cols["negative"]}
            )
            parts[name] = (ds, df)
    skills_routes = {"anchor": "anchor", "positive": "positive"}
    if len(parts) == 1:
        ds, df = parts["skills"]
        sampler = functools.partial(
            LanguageBalancedBatchSampler, languages=list(df["lang"]), groups=list(df["group"])
        )
        return ds, skills_routes, sampler
    title_routes = {"anchor": "anchor", "positive": "anchor", "negative": "anchor"}
    mapping = {name: skills_routes if name == "skills" else title_routes for name in parts}
    return DatasetDict({n: ds for n, (ds, _) in parts.items()}), mapping, SamplerFactory(parts)


class SamplerFactory:
    """The trainer builds one batch sampler per dataset of a DatasetDict, passing only the dataset; the
    per-row languages and occupations are found by the dataset's size (sizes are made distinct)."""

    def __init__(self, parts: dict) -> None:
        self.meta: dict[int, tuple[list, list]] = {}
        for ds, df in parts.values():
            if len(ds) in self.meta:  # the trainer's mix keeps them distinct; without one, rarely equal
                raise JobmarketError("two training sources of the same size: set mix or change max_steps")
            self.meta[len(ds)] = (list(df["lang"]), list(df["group"]))

    def __call__(self, dataset, **kwargs) -> LanguageBalancedBatchSampler:
        languages, groups = self.meta[len(dataset)]
        return LanguageBalancedBatchSampler(dataset, languages=languages, groups=groups, **kwargs)
