"""What `jobmarket calibrate` shows: the precision–coverage table of a calibration and its plot (PNG)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from jobmarket.matching.calibration import Calibration

CONFIDENCES = (0.5, 0.7, 0.8, 0.9, 0.95)
TARGETS = (0.8, 0.9)


def precision_table(cal: Calibration, confidences=CONFIDENCES) -> pd.DataFrame:
    """Held-out coverage and realised precision at each confidence threshold."""
    rows = []
    for t in confidences:
        cov, prec = cal.coverage_at(t)
        rows.append({"confidence ≥": t, "coverage": cov, "precision": prec})
    return pd.DataFrame(rows)


def target_table(cal: Calibration, targets=TARGETS) -> pd.DataFrame:
    """The confidence threshold each target precision gives, with its held-out coverage and precision."""
    rows = []
    for p in targets:
        t = cal.min_confidence(p)
        cov, prec = cal.coverage_at(t) if t <= 1 else (0.0, float("nan"))
        rows.append(
            {
                "target precision": p,
                "confidence threshold": t if t <= 1 else None,
                "coverage": cov,
                "precision": prec,
            }
        )
    return pd.DataFrame(rows)


def plot(cal: Calibration, out: str | Path) -> Path:
    """Precision and coverage against the confidence threshold, and precision against coverage."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    out = Path(out)
    curve = pd.DataFrame(cal.curve, columns=["threshold", "coverage", "precision"]).sort_values("threshold")
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    a.plot(curve["threshold"], curve["precision"], label="precision of the covered")
    a.plot(curve["threshold"], curve["coverage"], label="coverage")
    a.plot([0, 1], [0, 1], ":", color="grey", label="calibrated: precision ≥ threshold")
    a.set_xlabel("confidence threshold")
    a.set_ylim(0, 1.02)
    a.legend(loc="lower left", fontsize=8)
    b.plot(curve["coverage"], curve["precision"])
    for p in TARGETS:
        t = cal.min_confidence(p)
        if t <= 1:
            cov, prec = cal.coverage_at(t)
            b.scatter([cov], [prec], zorder=3)
            b.annotate(
                f"target {p:g}: conf ≥ {t:.2f}",
                (cov, prec),
                fontsize=8,
                xytext=(5, 5),
                textcoords="offset points",
            )
    b.set_xlabel("coverage (share auto-coded)")
    b.set_ylabel("precision")
    b.set_ylim(0, 1.02)
    fig.suptitle(
        f"calibration {cal.calibration_id} ({cal.kind}, {cal.n_examples:,} held-out examples)\n"
        f"model {cal.model_id}",
        fontsize=9,
    )
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
