"""``python -m model_training``: train a JobBERT-V3-style encoder, or inspect the pairs it would use."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from jobmarket.errors import JobmarketError
from model_training.config import PRESETS, TrainConfig

app = typer.Typer(
    help="Train a JobBERT-V3-style title encoder on ESCO and/or your own title→skills pairs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)


def make_config(
    config: Path | None = None,
    esco: list[Path] | None = None,
    pairs: Path | None = None,
    output: Path | None = None,
    base: str | None = None,
    preset: str | None = None,
    overrides: dict | None = None,
) -> TrainConfig:
    """A config from a file or a preset, then the command-line values on top (None = not given)."""
    if preset is not None and preset not in PRESETS:
        raise JobmarketError(f"--preset must be one of {', '.join(PRESETS)}, not {preset!r}")
    cfg = TrainConfig.load(config) if config else (PRESETS[preset]() if preset else TrainConfig())
    given = {
        "esco": [str(p) for p in esco] if esco else None,
        "pairs_file": str(pairs) if pairs else None,
        "output_dir": str(output) if output else None,
        "base_model": base,
        **(overrides or {}),
    }
    for key, value in given.items():
        if value is not None:
            setattr(cfg, key, value)
    return cfg


Esco = Annotated[list[Path] | None, typer.Option("--esco", help="ESCO packages (zips, folders, files).")]
Pairs = Annotated[Path | None, typer.Option("--pairs", help="Title→skills pairs: CSV/TSV/JSONL/Parquet.")]
Config = Annotated[Path | None, typer.Option("--config", help="TrainConfig as JSON or YAML.")]


@app.command()
def train(
    config: Config = None,
    esco: Esco = None,
    pairs: Pairs = None,
    output: Annotated[
        Path | None, typer.Option("--out", help="Model folder (never inside the repo).")
    ] = None,
    base: Annotated[
        str | None, typer.Option(help="Base model: hub id, folder, or 'auto' (offline e5).")
    ] = None,
    preset: Annotated[
        str | None,
        typer.Option(help="cpu: <= 90 min on 2 cores (bf16, frozen lower layers); gpu: batch 2,048."),
    ] = None,
    coded: Annotated[
        Path | None,
        typer.Option(help="Hand-coded titles to learn from: a store (.duckdb) or a labelled titles file."),
    ] = None,
    coded_half: Annotated[
        str | None, typer.Option(help="For a labelled JobBERT titles file: tune (never the report half).")
    ] = None,
    title_pairs: Annotated[
        bool | None, typer.Option(help="ESCO title ↔ title pairs (labels of one occupation).")
    ] = None,
    exclude: Annotated[
        list[Path] | None,
        typer.Option(help="Evaluation titles never to train on: a TalentCLEF folder or one title a line."),
    ] = None,
    bf16: Annotated[bool | None, typer.Option(help="bf16 autocast (CPU with AVX-512 BF16, or GPU).")] = None,
    max_minutes: Annotated[float | None, typer.Option(help="Wall-clock budget of the train loop.")] = None,
    max_steps: Annotated[int | None, typer.Option(help="Stop after this many steps.")] = None,
    batch_size: Annotated[int | None, typer.Option(help="Pairs per batch (per process).")] = None,
    learning_rate: Annotated[float | None, typer.Option("--lr")] = None,
    freeze_layers: Annotated[int | None, typer.Option(help="Lowest transformer layers kept frozen.")] = None,
    max_pairs: Annotated[
        int | None, typer.Option(help="Subsample the training pairs, balanced by language.")
    ] = None,
    languages: Annotated[
        list[str] | None, typer.Option("--lang", help="Title languages (default: all).")
    ] = None,
    hierarchy: Annotated[bool | None, typer.Option(help="Add the ESCO-hierarchy second stage.")] = None,
    threads: Annotated[int | None, typer.Option(help="torch CPU threads.")] = None,
    save_config: Annotated[
        Path | None, typer.Option(help="Only write the resolved config here and stop.")
    ] = None,
) -> None:
    """Train (or resume) and save a sentence-transformers folder with a model card."""
    try:
        cfg = make_config(
            config,
            esco,
            pairs,
            output,
            base,
            preset,
            {
                "coded_titles": str(coded) if coded else None,
                "coded_half": coded_half,
                "title_pairs": title_pairs,
                "exclude_titles": [str(p) for p in exclude] if exclude else None,
                "bf16": bf16,
                "max_minutes": max_minutes,
                "max_steps": max_steps,
                "batch_size": batch_size,
                "learning_rate": learning_rate,
                "freeze_layers": freeze_layers,
                "max_pairs": max_pairs,
                "languages": languages or None,
                "hierarchy_stage": hierarchy,
                "num_threads": threads,
            },
        )
        if save_config:
            out.print(f"config written to {cfg.save(save_config)}")
            return
        from model_training.trainer import train as run

        path = run(cfg)
        out.print(f"trained model at {path}")
    except JobmarketError as exc:
        err.print(f"[bold red]error:[/bold red] {exc}", highlight=False)
        if os.environ.get("JOBMARKET_DEBUG"):
            raise
        raise typer.Exit(2) from None


@app.command("pairs")
def show_pairs(
    esco: Esco = None,
    pairs: Pairs = None,
    config: Config = None,
    export: Annotated[Path | None, typer.Option(help="Write the filtered pairs to .parquet/.csv.")] = None,
) -> None:
    """Build and filter the pairs, and show how many each language gets (no model needed)."""
    try:
        from model_training.trainer import prepare_data

        cfg = make_config(config, esco, pairs)
        cfg.validate()
        data = prepare_data(cfg)
    except JobmarketError as exc:
        err.print(f"[bold red]error:[/bold red] {exc}", highlight=False)
        raise typer.Exit(2) from None
    t = Table(title="training pairs by language")
    for c in ("language", "train", "dev"):
        t.add_column(c, justify="right")
    dev = data.dev["lang"].value_counts()
    for lang, n in data.stats["languages"].items():
        t.add_row(lang, f"{n:,}", f"{int(dev.get(lang, 0)):,}")
    out.print(t)
    out.print(
        {
            k: v
            for k, v in data.stats.items()
            if k in ("pairs_read", "pairs_kept", "occupations_train", "occupations_dev")
        }
    )
    if export:
        df = data.train.assign(split="train")._append(data.dev.assign(split="dev"))
        df.to_parquet(export) if export.suffix == ".parquet" else df.to_csv(export, index=False)
        out.print(f"pairs written to {export}")
