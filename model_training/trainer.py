"""Train a JobBERT-V3-style encoder: data → model → SentenceTransformerTrainer → a model folder."""

from __future__ import annotations

import json
import logging
import random
import resource
import time
from pathlib import Path

import pandas as pd
import torch

from jobmarket.errors import JobmarketError
from model_training import pairs as P
from model_training.card import write_model_card
from model_training.config import TrainConfig
from model_training.datasets import TrainingData, build_datasets
from model_training.dev import dev_evaluators
from model_training.head import build_model, freeze

log = logging.getLogger(__name__)


def resolve_base(name: str) -> str:
    if name in ("auto", "offline", None):
        from jobmarket.encoders.offline.install import install_offline_model

        return str(install_offline_model())
    return name


def prepare_data(cfg: TrainConfig, progress: bool = True) -> TrainingData:
    """Build, filter, split (by occupation) and balance the pairs of every configured source."""
    frames = []
    con = None
    if cfg.esco:
        con = P.load_esco(cfg.esco, progress=progress)
        frames.append(P.esco_pairs(con, cfg.languages, cfg.relations).assign(source="esco"))
    if cfg.pairs_file:
        frames.append(P.file_pairs(cfg.pairs_file).assign(source=Path(cfg.pairs_file).name))
    raw = pd.concat(frames, ignore_index=True)
    kept = P.filter_pairs(raw, cfg.min_title_chars, cfg.min_skills)
    if kept.empty:
        raise JobmarketError("no training pairs left after filtering (titles >= 3 chars, >= 5 skills)")
    train, dev = P.split_by_group(kept, cfg.dev_fraction, cfg.seed)
    data = TrainingData(train, dev)
    if con is not None:
        data.stats["esco_sources"] = (
            con.execute("SELECT version, lang, kind, n_rows FROM esco_sources ORDER BY version, lang, kind")
            .df()
            .to_dict("records")
        )
        sql = P.sql_sections("training.sql")
        isco_df = con.execute(sql["occupation_isco"]).df()
        isco = dict(zip(isco_df["occupation_uri"], isco_df["isco_code"], strict=True))
        if cfg.hierarchy_stage:
            data.stats["_isco"] = isco
        if cfg.title_pairs or cfg.coded_titles:
            _title_sources(data, cfg, con.execute(sql["occupation_titles"], [None, None]).df(), isco)
        con.close()
    elif cfg.title_pairs or cfg.coded_titles:
        raise JobmarketError("title pairs and coded titles need ESCO packages (--esco) for the labels")
    if cfg.exclude_titles:
        _exclude(data, cfg.exclude_titles)
    _mix(data, cfg)
    data.stats.update(
        {
            "pairs_read": len(raw),
            "pairs_kept": len(kept),
            "train_pairs": len(data.train),
            "dev_pairs": len(dev),
            "occupations_train": int(data.train["group"].nunique()),
            "occupations_dev": int(dev["group"].nunique()),
            "languages": {k: int(v) for k, v in data.train["lang"].value_counts().sort_index().items()},
            "sources": {
                name: len(df)
                for name, df in (("skills", data.train), ("titles", data.titles), ("coded", data.coded))
                if df is not None
            },
        }
    )
    return data


def _title_sources(data: TrainingData, cfg: TrainConfig, titles: pd.DataFrame, isco: dict[str, str]) -> None:
    """The title ↔ title sources, with the dev occupations (held out from the skills pairs) left out."""
    from model_training import title_pairs as T

    dev_groups = set(data.dev["group"])
    held = titles["occupation_uri"].isin(dev_groups)
    data.dev_titles = titles[held].reset_index(drop=True)
    if cfg.title_pairs:
        pairs = T.esco_title_pairs(titles[~held], isco, cfg.seed)
        if cfg.languages:
            pairs = pairs[pairs["lang"].isin(cfg.languages)]
        data.titles = pairs.reset_index(drop=True)
    if cfg.coded_titles:
        coded = T.read_coded(cfg.coded_titles, cfg.coded_half)
        data.stats["coded_read"] = len(coded)
        coded = coded[~coded["occupation_uri"].isin(dev_groups)]
        data.coded = T.coded_title_pairs(coded, titles, isco, cfg.seed)


def _exclude(data: TrainingData, paths: list[str]) -> None:
    """Every source without the pairs that contain an evaluation title (counted in the model card)."""
    from model_training.exclude import drop_excluded, read_excluded

    keys = read_excluded(paths)
    dropped = {}
    for name in ("train", "titles", "coded"):
        df = getattr(data, name)
        if df is not None:
            kept, dropped["skills" if name == "train" else name] = drop_excluded(df, keys)
            setattr(data, name, kept)
    if data.train.empty:
        raise JobmarketError("exclude_titles: no title → skills pair left")
    data.stats["excluded"] = {"titles": len(keys), "pairs_dropped": dropped}


def _mix(data: TrainingData, cfg: TrainConfig) -> None:
    """Each source sized to its share of the run's pairs (``mix``); without one, the skills pairs balanced."""
    from model_training.title_pairs import resize

    if not cfg.mix:
        data.train = P.balance_languages(data.train, cfg.max_pairs, cfg.seed)
        return
    total = cfg.max_steps * cfg.batch_size
    weight = sum(cfg.mix.values())
    sizes: set[int] = set()
    for name in ("skills", "titles", "coded"):
        df = data.train if name == "skills" else getattr(data, name)
        share = cfg.mix.get(name, 0) / weight
        n = int(round(total * share))
        if df is None or df.empty or n == 0:
            if name == "skills":
                raise JobmarketError("mix: the skills share must be above 0 (it is the recipe's core)")
            setattr(data, name, None)
            continue
        # +1 batch so the proportional sampler never runs a source dry before max_steps; sizes kept
        # distinct because the trainer's per-dataset sampler is found by its dataset's size.
        n += cfg.batch_size
        while n in sizes:
            n += 1
        sizes.add(n)
        df = resize(df, n, cfg.seed)
        if name == "skills":
            data.train = df
        else:
            setattr(data, name, df)


class _LogCallback:
    """Print loss/dev metrics as they come and keep them in train_log.jsonl."""

    def __init__(self, path: Path, console, max_minutes: float | None = None) -> None:
        self.path = path
        self.console = console
        self.started = time.time()
        self.max_minutes = max_minutes

    def __call__(self):
        from transformers import TrainerCallback

        outer = self

        class CB(TrainerCallback):
            def on_step_end(self, args, state, control, **kwargs):
                # A wall-clock budget: a preset promises its time on any machine, so stop (and save) there.
                if outer.max_minutes and time.time() - outer.started > 60 * outer.max_minutes:
                    if not control.should_training_stop:
                        outer.console.print(f"time budget of {outer.max_minutes} min reached: stopping")
                    control.should_training_stop = True
                return control

            def on_log(self, args, state, control, logs=None, **kwargs):
                if not state.is_world_process_zero or not logs:
                    return
                rec = {"step": state.global_step, "elapsed_s": round(time.time() - outer.started, 1), **logs}
                with outer.path.open("a", encoding="utf-8") as f:
                    f.write(json.dumps(rec) + "\n")
                shown = ", ".join(
                    f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}"
                    for k, v in logs.items()
                    if "loss" in k or "map" in k or "mrr" in k or k in ("learning_rate", "epoch")
                )
                outer.console.print(
                    f"step {state.global_step}/{state.max_steps} [{rec['elapsed_s']:.0f}s] {shown}",
                    highlight=False,
                )

        return CB()


def _loss(model, cfg: TrainConfig):
    from sentence_transformers.sentence_transformer.losses import (
        CachedMultipleNegativesRankingLoss,
        MultipleNegativesRankingLoss,
    )
    from sentence_transformers.util import cos_sim

    if cfg.loss == "cached_mnrl":
        return CachedMultipleNegativesRankingLoss(
            model, scale=cfg.scale, similarity_fct=cos_sim, mini_batch_size=cfg.mini_batch_size
        )
    return MultipleNegativesRankingLoss(model, scale=cfg.scale, similarity_fct=cos_sim)


def _latest_checkpoint(folder: Path) -> str | None:
    ckpts = sorted(folder.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[-1]))
    return str(ckpts[-1]) if ckpts else None


def _fit_matcher_defaults(out: Path, cfg: TrainConfig, console) -> dict:
    """The new model's temperature and bonus, fitted on the tune half and saved in its folder."""
    from jobmarket.encoders.sentence_transformer import Encoder
    from jobmarket.evaluation.data import EvalData
    from jobmarket.evaluation.tuning import fit_model_defaults

    root = Path(cfg.matcher_defaults_data).expanduser()
    esco = [Path(p).expanduser() for p in cfg.esco]
    with console.status("fitting the matcher's temperature and bonus on the tune half"):
        fitted = fit_model_defaults(Encoder(str(out)), EvalData(root=root, esco=esco))
    console.print(f"matcher defaults: temperature {fitted['temperature']}, bonus {fitted['preferred_bonus']} "
                  f"(tune-half acc@1 {fitted['acc@1']:.3f})")
    return {k: fitted[k] for k in ("temperature", "preferred_bonus", "acc@1", "MRR@10", "titles", "half")}


def train(cfg: TrainConfig, progress: bool = True) -> Path:
    """Run the recipe end to end; return the saved model folder."""
    from rich.console import Console
    from sentence_transformers.sentence_transformer.trainer import SentenceTransformerTrainer
    from sentence_transformers.sentence_transformer.training_args import SentenceTransformerTrainingArguments

    cfg.validate()
    console = Console(stderr=True, highlight=False, quiet=not progress)
    if cfg.num_threads:
        torch.set_num_threads(cfg.num_threads)
    random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    out = cfg.output_path
    started = time.time()

    data = prepare_data(cfg, progress=progress)
    out.mkdir(parents=True, exist_ok=True)
    cfg.save(out / "training_config.json")
    console.print(
        f"pairs: {data.stats['train_pairs']:,} title→skills "
        f"({data.stats['occupations_train']:,} occupations, "
        f"{len(data.stats['languages'])} languages), {data.stats['dev_pairs']:,} dev "
        f"({data.stats['occupations_dev']:,} held out); sources {data.stats['sources']}"
    )
    base = resolve_base(cfg.base_model)
    cuda = torch.cuda.is_available()
    model = build_model(
        base,
        cfg.head_dim,
        cfg.head_init,
        cfg.prompt,
        cfg.positive_max_tokens,
        device="cuda" if cuda else "cpu",
        seed=cfg.seed,
    )
    params = freeze(model, cfg.freeze_embeddings, cfg.freeze_layers)
    params["dim"] = model[1].get_embedding_dimension()
    console.print(
        f"model: {base} + anchor/positive Dense({model[1].get_embedding_dimension()}→"
        f"{cfg.head_dim}, tanh); trainable {params['trainable']:,} of {params['total']:,} parameters"
    )

    train_ds, router_mapping, sampler = build_datasets(data, model, cfg)
    evaluator = dev_evaluators(data, model, cfg)
    args = SentenceTransformerTrainingArguments(
        output_dir=str(out / "checkpoints"),
        per_device_train_batch_size=cfg.batch_size,
        learning_rate=cfg.learning_rate,
        warmup_steps=cfg.warmup_ratio,  # a float below 1 is a ratio in transformers v5
        num_train_epochs=cfg.epochs,
        max_steps=cfg.max_steps,
        fp16=cfg.fp16 and cuda and not cfg.bf16,
        bf16=cfg.bf16,
        use_cpu=not cuda,
        seed=cfg.seed,
        batch_sampler=sampler,
        router_mapping=router_mapping,
        prompts=cfg.prompt or None,  # one prompt on every column of every source: both routes had it
        dataloader_drop_last=True,
        logging_steps=cfg.logging_steps,
        eval_strategy="steps" if cfg.eval_steps and evaluator else "no",
        eval_steps=cfg.eval_steps or None,
        load_best_model_at_end=bool(cfg.best_on_dev and cfg.eval_steps and evaluator),
        metric_for_best_model=f"eval_{cfg.best_on_dev}" if cfg.best_on_dev else None,
        greater_is_better=True,
        save_strategy="steps",
        save_steps=cfg.save_steps,
        save_total_limit=cfg.save_total_limit,
        report_to="none",
        disable_tqdm=not progress,
    )
    trainer = SentenceTransformerTrainer(
        model=model,
        args=args,
        train_dataset=train_ds,
        loss=_loss(model, cfg),
        evaluator=evaluator,
        callbacks=[_LogCallback(out / "train_log.jsonl", console, cfg.max_minutes)()],
    )
    resume = _latest_checkpoint(out / "checkpoints") if cfg.resume else None
    if resume:
        console.print(f"resuming from {resume}")
    base_dev = evaluator(model) if evaluator and not resume and trainer.is_world_process_zero() else None
    result = trainer.train(resume_from_checkpoint=resume)
    metrics: dict = {
        "train_loss": result.training_loss,
        "steps": result.global_step,
        "train_runtime_s": result.metrics.get("train_runtime"),
    }
    if args.load_best_model_at_end:  # the model now is that checkpoint's, not the last step's
        metrics["best_checkpoint"] = Path(trainer.state.best_model_checkpoint or "").name or None
        metrics["best_dev"] = trainer.state.best_metric
    if cfg.hierarchy_stage:
        from model_training.hierarchy import train_hierarchy

        metrics["hierarchy"] = train_hierarchy(model, data, cfg, console)
    if trainer.is_world_process_zero():
        if evaluator:
            metrics["dev"] = {k: float(v) for k, v in evaluator(model).items()}
            if base_dev:
                metrics["dev_before"] = {k: float(v) for k, v in base_dev.items()}
        metrics["wall_s"] = round(time.time() - started, 1)
        runtime = result.metrics.get("train_runtime") or 0.0
        metrics["steps_per_s"] = round(result.global_step / runtime, 4) if runtime else None
        rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
        metrics["peak_rss_mb"] = round(rss_kib / 1024)
        model.save(str(out))
        # The held-out occupations, so `jobmarket evaluate` scores this model only on what it never saw.
        (out / "dev_occupations.json").write_text(json.dumps(sorted(set(data.dev["group"]))) + "\n")
        stats = {k: v for k, v in data.stats.items() if not k.startswith("_")}
        (out / "training_metrics.json").write_text(
            json.dumps({"data": stats, "metrics": metrics, "params": params}, indent=2) + "\n"
        )
        if cfg.matcher_defaults_data:
            metrics["matcher_defaults"] = _fit_matcher_defaults(out, cfg, console)
            (out / "training_metrics.json").write_text(
                json.dumps({"data": stats, "metrics": metrics, "params": params}, indent=2) + "\n"
            )
        write_model_card(out, cfg, base, stats, metrics, params)
        console.print(f"model saved to {out}")
    return out
