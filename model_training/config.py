"""Training configuration: one dataclass, serializable to JSON or YAML (WorkRB style)."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jobmarket.errors import JobmarketError

SOURCES = ("skills", "titles", "coded")


@dataclass
class TrainConfig:
    """Everything a training run depends on; saved beside the model so a run can be repeated.

    The defaults follow the JobBERT-V3 recipe (GPU scale); ``cpu_preset()`` shapes a run for a small CPU.
    """

    base_model: str = "auto"  # hub id or folder; "auto": the offline multilingual-e5-small
    output_dir: str = "~/.cache/jobmarket/models/jobbert-style-e5-small"
    # Data: ESCO packages (zips/folders/files) and/or a user file of title→skills pairs.
    esco: list[str] = field(default_factory=list)
    pairs_file: str | None = None
    languages: list[str] | None = None  # None: every language loaded
    relations: list[str] = field(default_factory=lambda: ["essential", "optional"])
    min_title_chars: int = 3
    min_skills: int = 5
    max_pairs: int | None = None  # subsample (balanced over languages) to bound the data set
    # Title ↔ title sources (model_training/title_pairs.py): what teaches normalization.
    title_pairs: bool = False  # ESCO labels of one occupation, in and across languages, hard negatives
    coded_titles: str | None = None  # a store (.duckdb) with a coding index, or a labelled titles file
    coded_half: str | None = None  # for a labelled titles file: "tune" (the only half that may train)
    # Evaluation titles no training pair may contain (model_training/exclude.py): TalentCLEF Task A folders
    # or files of one title a line, so a benchmark run on them measures texts the model never saw.
    exclude_titles: list[str] | None = None
    # A data folder (jobbert_eval/, esco/): after training, fit the matcher's temperature and preferred-label
    # bonus for the new model on its JobBERT tune half (jobmarket.evaluation.tuning), saved beside it.
    matcher_defaults_data: str | None = None
    # Share of each source (skills / titles / coded) in the max_steps × batch_size pairs a run sees;
    # None: every source at its own size.
    mix: dict[str, float] | None = None
    dev_fraction: float = 0.05  # of occupations, held out whole
    dev_max_queries: int = 300
    # Model.
    head_dim: int = 1024
    head_init: str = "identity"  # identity: start as the base model (short runs); random: as JobBERT-V3
    prompt: str | None = "query: "  # e5 was trained with it; keep it on both routes so inputs look familiar
    anchor_max_tokens: int = 32
    positive_max_tokens: int = 64
    freeze_embeddings: bool = True
    freeze_layers: int = 0  # lowest transformer layers kept frozen
    # Optimisation.
    loss: str = "cached_mnrl"  # cached_mnrl (GradCache) | mnrl (same gradients, no second pass)
    scale: float = 20.0
    batch_size: int = 2048
    mini_batch_size: int = 64
    learning_rate: float = 5e-5
    warmup_ratio: float = 0.05
    epochs: float = 1.0
    max_steps: int = -1
    fp16: bool = True  # only applied on a GPU
    bf16: bool = False  # bf16 autocast (CPUs with AVX-512 BF16, recent GPUs); wins over fp16
    num_threads: int | None = None  # torch threads on CPU; None leaves torch's default
    seed: int = 42
    # Bookkeeping.
    logging_steps: int = 10
    eval_steps: int = 0  # 0: evaluate at the end only
    # With eval_steps: keep the checkpoint with the best dev score (held-out occupations), not the last.
    # Longer runs can drift from what the first few hundred steps taught (see benchmarks/training.md).
    best_on_dev: str | None = None  # a dev metric, e.g. "dev_titles_cosine_map@100"
    save_steps: int = 200
    save_total_limit: int = 2
    resume: bool = True  # continue from the newest checkpoint in output_dir/checkpoints
    # Optional stage 2 (Deniz et al.): ESCO hierarchy pairs with hard negatives.
    hierarchy_stage: bool = False
    hierarchy_max_pairs: int = 20000
    hierarchy_steps: int = 100
    max_minutes: float | None = None  # a wall-clock budget for the train loop (stops and saves there)
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix in (".yaml", ".yml"):
            import yaml

            path.write_text(
                yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True), encoding="utf-8"
            )
        else:
            path.write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return path

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise JobmarketError(f"unknown training config keys: {', '.join(unknown)}")
        return cls(**data)

    @classmethod
    def load(cls, path: str | Path) -> TrainConfig:
        path = Path(path)
        if not path.exists():
            raise JobmarketError(f"config file {path} does not exist")
        text = path.read_text(encoding="utf-8")
        if path.suffix in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text) or {}
        else:
            data = json.loads(text)
        return cls.from_dict(data)

    @property
    def output_path(self) -> Path:
        return Path(self.output_dir).expanduser()

    def validate(self) -> None:
        if not self.esco and not self.pairs_file:
            raise JobmarketError(
                "no training data: give ESCO packages (--esco) and/or a pairs file (--pairs)"
            )
        if self.loss not in ("cached_mnrl", "mnrl"):
            raise JobmarketError(f"loss must be cached_mnrl or mnrl, not {self.loss}")
        if self.head_init not in ("identity", "random"):
            raise JobmarketError(f"head_init must be identity or random, not {self.head_init}")
        if self.mix is not None:
            unknown = sorted(set(self.mix) - set(SOURCES))
            if unknown or any(v < 0 for v in self.mix.values()) or not sum(self.mix.values()):
                raise JobmarketError(f"mix takes non-negative shares of {', '.join(SOURCES)}")
            if self.max_steps <= 0:
                raise JobmarketError("mix needs max_steps (the shares are of max_steps × batch_size pairs)")
        if self.best_on_dev and (not self.eval_steps or self.save_steps % self.eval_steps):
            raise JobmarketError("best_on_dev needs eval_steps, and save_steps a multiple of it")
        if not 0 <= self.dev_fraction < 1:
            raise JobmarketError("dev_fraction must be in [0, 1)")


def cpu_preset(**overrides: Any) -> TrainConfig:
    """``--preset cpu``: under 90 minutes on 2 cores (configs/cpu_e5_small.yaml is this plus the data).

    bf16 autocast (~2.8x fp32 on CPUs with AVX-512 BF16); token embeddings and the lowest 6 layers frozen
    (see benchmarks/training.md for the freezing choices measured); batches of 64 with plain MNRL (at this
    size the cached loss computes the same gradients with a second forward pass); title sources mixed in,
    since title ↔ title pairs are what teach normalization; a wall-clock budget.
    """
    base = dict(
        batch_size=64,
        mini_batch_size=64,
        loss="mnrl",
        learning_rate=5e-5,
        max_steps=1200,
        max_minutes=85,
        freeze_layers=6,
        num_threads=None,
        fp16=False,
        bf16=True,
        title_pairs=True,
        mix={"skills": 0.3, "titles": 0.4, "coded": 0.3},
        logging_steps=20,
        save_steps=200,
        eval_steps=0,
        dev_max_queries=300,
    )
    base.update(overrides)
    return TrainConfig(**base)


def gpu_preset(**overrides: Any) -> TrainConfig:
    """``--preset gpu``: the JobBERT-V3 recipe on one GPU: batches of 2,048 through CachedMNRL (GradCache),
    every layer trainable, bf16, one epoch of the mixed sources. Several GPUs: launch the same command with
    ``torchrun --nproc_per_node N -m model_training train --preset gpu`` (or ``accelerate launch``)."""
    base = dict(
        batch_size=2048,
        mini_batch_size=128,
        loss="cached_mnrl",
        learning_rate=1e-4,
        max_steps=-1,
        epochs=1.0,
        freeze_embeddings=False,
        freeze_layers=0,
        fp16=False,
        bf16=True,
        title_pairs=True,
        mix=None,
        head_init="identity",
        logging_steps=10,
        save_steps=200,
        eval_steps=0,
    )
    base.update(overrides)
    return TrainConfig(**base)


PRESETS = {"cpu": cpu_preset, "gpu": gpu_preset}
