"""What every results table states about its run: the commit (and whether the tree had changes), the load."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def commit_label() -> str:
    """``abc1234``, or ``abc1234 (+ uncommitted changes)`` when the tree differs from that commit. The
    results tables themselves do not count: a benchmark run in parts rewrites them between its parts."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], capture_output=True, text=True, cwd=ROOT).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD")
    dirty = git("status", "--porcelain", "--", ".", ":(exclude)benchmarks/results")
    return commit + (" (+ uncommitted changes)" if dirty else "")


def cpu_model() -> str:
    """The CPU's model name (Linux), so a table says which machine class its rates belong to."""
    import platform

    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            return next(ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or "unknown CPU"


def load_note() -> str:
    """The 1-minute load average now, so a reader can tell an idle machine from a shared one."""
    return f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"


def write_results(name: str, data: dict, markdown: str) -> None:
    """``results/NAME.json`` and ``results/NAME.md``, and a line saying so."""
    import json

    results = ROOT / "benchmarks" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / f"{name}.json").write_text(json.dumps(data, indent=1) + "\n")
    (results / f"{name}.md").write_text(markdown)
    print(f"wrote benchmarks/results/{name}.md and .json")
