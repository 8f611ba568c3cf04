"""CI quality gate: the real offline model on the fixed 300-title sample of the REPORT half, zero-shot and
with the TUNE half as coding index. acc@1 and realised precision at target 0.9 must stay within a small
margin of the committed benchmark figures (benchmarks/results/coding.json, written by
benchmarks/coding.py), so a change to the cleaner or the matcher that costs accuracy fails CI."""

from __future__ import annotations

import json

import pytest

from tests.conftest import ROOT, SHARED, need_shared, skip_or_fail

TITLES = SHARED / "jobbert_eval" / "titles.csv"
FIGURES = ROOT / "benchmarks" / "results" / "coding.json"
ACC_MARGIN = 0.03  # 9 titles of 300
PRECISION_MARGIN = (
    0.08  # the covered set is small (tens of titles zero-shot): precision moves in coarse steps
)


@pytest.mark.slow
def test_quality_gate():
    from jobmarket.encoders.offline import install as offline
    from jobmarket.encoders.sentence_transformer import Encoder
    from jobmarket.evaluation.coding import evaluate_coding
    from jobmarket.evaluation.data import EvalData
    from jobmarket.evaluation.split import gate_sample, split_titles

    need_shared(TITLES)
    if not offline.is_installed():
        skip_or_fail("offline model not installed: run `jobmarket model install-offline`")
    if not FIGURES.exists() or "gate" not in json.loads(FIGURES.read_text()):
        skip_or_fail(f"no committed gate figures in {FIGURES}: run benchmarks/coding.py")
    committed = json.loads(FIGURES.read_text())["gate"]
    encoder = Encoder(str(offline.offline_model_path()))
    con = EvalData(SHARED).con()
    sample = gate_sample(split_titles(TITLES, "report"))
    assert len(sample) == committed["size"] == 300
    tune = split_titles(TITLES, "tune")
    for name, codes in (("zero-shot", None), ("tune-all", tune)):
        got = evaluate_coding(con, encoder, sample, codes)
        want = committed[name]
        assert got["acc@1"] >= want["acc@1"] - ACC_MARGIN, (name, got["acc@1"], want["acc@1"])
        if got["coverage@p0.9"] > 0 and want["coverage@p0.9"] > 0:
            assert abs(got["precision@p0.9"] - want["precision@p0.9"]) <= PRECISION_MARGIN, (
                name,
                got["precision@p0.9"],
                want["precision@p0.9"],
            )
        assert got["coverage@p0.9"] >= want["coverage@p0.9"] - 0.05, (name, got["coverage@p0.9"])
