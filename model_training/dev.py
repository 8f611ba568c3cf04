"""Dev checks on the occupations held out from training: title → skill list, and label → label."""

from __future__ import annotations

import pandas as pd

from model_training import pairs as P
from model_training.config import TrainConfig
from model_training.datasets import TrainingData, pair_texts


def dev_evaluators(data: TrainingData, model, cfg: TrainConfig):
    """Dev checks on held-out occupations: title → skill list, and (with title sources) label → label."""
    from sentence_transformers.sentence_transformer.evaluation import SequentialEvaluator

    checks = [
        e for e in (dev_evaluator(data.dev, model, cfg), dev_title_evaluator(data.dev_titles, cfg)) if e
    ]
    if len(checks) < 2:
        return checks[0] if checks else None
    return SequentialEvaluator(checks)


def dev_title_evaluator(titles: pd.DataFrame | None, cfg: TrainConfig):
    """The dev occupations' alternative labels → their preferred labels (every language's, one document
    per occupation and language), both through the title route: a held-out proxy of normalization."""
    from sentence_transformers.sentence_transformer.evaluation import InformationRetrievalEvaluator

    if titles is None or titles.empty:
        return None
    pref = titles[titles["kind"] == "preferred"]
    corpus = {
        f"{u}|{lang}": t for u, lang, t in pref[["occupation_uri", "lang", "title"]].itertuples(index=False)
    }
    alts = titles[titles["kind"] == "alternative"].rename(columns={"occupation_uri": "group"})
    q = P.balance_languages(alts, cfg.dev_max_queries, cfg.seed)
    queries = {f"t{i}": t for i, t in enumerate(q["title"])}
    relevant = {f"t{i}": {k for k in corpus if k.startswith(g + "|")} for i, g in enumerate(q["group"])}

    class TitleToTitle(InformationRetrievalEvaluator):
        def embed_inputs(self, model, sentences, encode_fn_name=None, **kwargs):
            return super().embed_inputs(model, sentences, encode_fn_name="query", **kwargs)  # both sides

    return TitleToTitle(
        queries,
        corpus,
        relevant,
        name="dev_titles",
        map_at_k=[100],
        mrr_at_k=[10],
        accuracy_at_k=[1, 5],
        write_csv=False,
        batch_size=64,
        show_progress_bar=False,
    )


def dev_evaluator(dev: pd.DataFrame, model, cfg: TrainConfig):
    """Dev titles → the skill lists of the held-out occupations (one document per occupation)."""
    from sentence_transformers.sentence_transformer.evaluation import InformationRetrievalEvaluator

    if dev.empty:
        return None
    q = P.balance_languages(dev, cfg.dev_max_queries, cfg.seed)
    docs = dev.drop_duplicates("group")
    _, doc_texts = pair_texts(docs, model, cfg, cfg.seed + 1)
    corpus = dict(zip(docs["group"], doc_texts, strict=True))
    queries = {f"q{i}": t for i, t in enumerate(q["title"])}
    relevant = {f"q{i}": {g} for i, g in enumerate(q["group"])}
    return InformationRetrievalEvaluator(
        queries,
        corpus,
        relevant,
        name="dev",
        map_at_k=[100],
        mrr_at_k=[10],
        ndcg_at_k=[10],
        accuracy_at_k=[1, 5],
        precision_recall_at_k=[10],
        write_csv=False,
        batch_size=64,
    )
