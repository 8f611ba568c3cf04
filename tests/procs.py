"""Helpers for tests that run `python -m jobmarket` in real subprocesses (kills, concurrent readers)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd

from jobmarket.market import Market

ROOT = Path(__file__).resolve().parents[1]


def cli_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false", OMP_NUM_THREADS="1",
               PYTHONPATH=str(ROOT), **extra)
    return env


def normalize_cmd(src: Path, db: Path, model: Path, *args: str, kill_at: str | None = None,
                  pause_at: str | None = None, pause_s: float = 30.0) -> list[str]:
    """The CLI's normalize; with ``kill_at``/``pause_at`` run through tests/fault_hook.py, which installs
    the checkpoint hook (product code reads no test switches)."""
    cli = ["normalize", str(src), "--db", str(db), "--model", str(model), "--no-progress", *args]
    if kill_at is None and pause_at is None:
        return [sys.executable, "-m", "jobmarket", *cli]
    hook = [*(["--kill-at", kill_at] if kill_at else []), *(["--pause-at", pause_at] if pause_at else []),
            "--pause-s", str(pause_s)]
    return [sys.executable, "-m", "tests.fault_hook", *hook, "--", *cli]


def run_normalize(src: Path, db: Path, model: Path, *args: str, timeout: float = 300,
                  kill_at: str | None = None, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(normalize_cmd(src, db, model, *args, kill_at=kill_at), env=cli_env(**env),
                          cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def start_normalize(src: Path, db: Path, model: Path, *args: str, pause_at: str | None = None,
                    pause_s: float = 30.0, **env: str) -> subprocess.Popen:
    return subprocess.Popen(normalize_cmd(src, db, model, *args, pause_at=pause_at, pause_s=pause_s),
                            env=cli_env(**env), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def esco_store(db: Path, esco: Path, model: Path) -> Path:
    """A store with the ESCO subset imported (no run yet)."""
    Market.open(db, model=str(model), esco=[esco]).close()
    return db


def postings_file(path: Path, n: int, seed: int = 0) -> Path:
    """``n`` postings over a few dozen titles in three languages (duplicates on purpose)."""
    titles = ["Software Developer (m/w/d)", "Softwareentwickler", "Accountant", "Senior Accountant",
              "Elektriker (m/w/d)", "Koch", "cocinero", "Welder - Full-time", "Data Scientist",
              "Lehrer Grundschule", "Plumber", "Verkäufer", "camarero/a", "Civil Engineer", "xq zzv plokk"]
    countries = ["DE", "ES", "IE"]
    rows = [{"id": f"p{i}", "title": f"{titles[(i * 7 + seed) % len(titles)]} {i % 11 if i % 3 else ''}",
             "country": countries[i % 3]} for i in range(n)]
    pd.DataFrame(rows).to_csv(path, index=False)
    return path
