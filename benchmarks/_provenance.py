"""What every results table states about its run: the commit (and whether the tree had changes), the load."""

from __future__ import annotations

import os
import re
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
            fields = dict(ln.split(":", 1) for ln in f.read().split("\n\n", 1)[0].splitlines() if ":" in ln)
    except OSError:
        return platform.processor() or "unknown CPU"
    fields = {k.strip(): v.strip() for k, v in fields.items()}
    name = fields.get("model name") or platform.processor() or "unknown CPU"
    # Virtual machines often name only the vendor line ("AMD EPYC"): family and model tell its generations
    # apart (AMD family 25 model 1 is Zen 3, model 17 Zen 4), whose rates differ severalfold.
    if "cpu family" in fields and "model" in fields:
        name += f" (family {fields['cpu family']}, model {fields['model']})"
    return name


def same_cpu(recorded: str, current: str) -> bool:
    """Whether a results file's rows came from this kind of CPU, so runs in parts never mix machines.
    Files written before :func:`cpu_model` named the family compare by the model name alone."""
    if "(family" not in recorded:
        current = re.sub(r" \(family [^)]*\)", "", current)
    return recorded == current


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
