"""Side-by-side markdown table of `jobmarket evaluate --json` reports (base vs trained, ...).

    python benchmarks/compare_eval.py base.json trained.json [--names base trained]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

METRICS = {"talentclef-a": ("MAP", "MRR", "nDCG@10"),
           "esco-norm": ("acc@1", "MRR@10", "recall@5", "recall@10"),
           "skills-rank": ("MAP", "nDCG@10"), "align-uniform": ("alignment", "uniformity")}


def table(reports: list[dict], names: list[str]) -> str:
    rows = ["| task | metric | " + " | ".join(names) + " |", "|---|---|" + "---:|" * len(names)]
    by_task = [{r["task"]: r for r in rep["results"]} for rep in reports]
    tasks = list(dict.fromkeys(t for rep in by_task for t in rep))
    for task in tasks:
        for metric in METRICS.get(task.split(":")[0], ()):
            vals = [rep.get(task, {}).get(metric) for rep in by_task]
            if all(v is None for v in vals):
                err = next((rep[task].get("error") for rep in by_task if task in rep), None)
                if err and metric == METRICS[task.split(":")[0]][0]:
                    rows.append(f"| {task} | n/a | " + " | ".join(["—"] * len(names)) + " |")
                continue
            cells = " | ".join("—" if v is None else f"{v:.4f}" for v in vals)
            rows.append(f"| {task} | {metric} | {cells} |")
    avg = [rep.get("summary", {}).get("talentclef_a_map_mono_avg") for rep in reports]
    if any(a is not None for a in avg):
        rows.append("| **TalentCLEF A, MAP avg de/en/es/zh** | MAP | " + " | ".join(
            "—" if a is None else f"**{a:.4f}**" for a in avg) + " |")
    return "\n".join(rows)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("reports", nargs="+", type=Path)
    ap.add_argument("--names", nargs="*")
    a = ap.parse_args()
    reports = [json.loads(p.read_text()) for p in a.reports]
    print(table(reports, a.names or [p.stem for p in a.reports]))


if __name__ == "__main__":
    main()
