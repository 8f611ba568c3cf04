"""The matcher with a coding index (tiny model, real ESCO subset, real EURES titles): exact coded titles,
the learned combination, calibrated confidence, target precision, and today's results without codes."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from jobmarket.coding.fit import fit_coded, fit_esco_labels
from jobmarket.encoders.sentence_transformer import Encoder
from jobmarket.matching._base import MatchConfig
from jobmarket.matching.calibration import Calibration, precision_curve
from jobmarket.matching.coded import CodedIndex
from jobmarket.matching.combine import RERANK_FEATURES
from jobmarket.matching.label_index import LabelIndex
from jobmarket.matching.matcher import Matcher
from jobmarket.store import connection as store


@pytest.fixture(scope="module")
def esco_con(esco_subset):
    from jobmarket.esco.load import import_esco

    con = store.connect(":memory:")
    import_esco(con, [esco_subset], progress=False)
    yield con
    con.close()


@pytest.fixture(scope="module")
def encoder(tiny_model):
    return Encoder(str(tiny_model), precision="fp32")


def _coded_rows(con) -> list[tuple[str, str, str, str]]:
    """Coded titles made of the subset's own English labels: each occupation's alternative labels, coded
    as that occupation (real ESCO text, a known answer)."""
    from jobmarket.text.keys import normalize_label

    df = con.execute(
        "SELECT concept_uri, label FROM esco_labels WHERE lang = 'en' AND kind = 'alternative' "
        "AND concept_type = 'occupation' ORDER BY concept_uri, label"
    ).fetch_df()
    return [(t, normalize_label(t), "en", u) for u, t in zip(df["concept_uri"], df["label"], strict=True)]


def test_no_coded_titles_ranks_exactly_as_before(esco_con, encoder, eures_sample):
    from jobmarket.text.clean import clean_title

    titles = [clean_title(t).title for t in pd.read_csv(eures_sample)["job_title"].head(60)]
    index = LabelIndex.from_store(esco_con, ["en", "de", "es"])
    plain = Matcher(index, encoder, MatchConfig(threshold=0.97))  # the matcher without any calibration
    cal = fit_esco_labels(index, encoder, MatchConfig(), "tiny")
    calibrated = Matcher(index, encoder, MatchConfig(threshold=0.97), cal)
    langs = ["en"] * len(titles)
    a, b = plain.match(titles, langs), calibrated.match(titles, langs)
    assert [(m.occupation_uri, m.status, m.method, m.candidates) for m in a] == [
        (m.occupation_uri, m.status, m.method, m.candidates) for m in b
    ]
    assert all(m.confidence is None for m in a)
    conf = np.array([m.confidence for m in b])
    assert ((conf >= 0) & (conf <= 1)).all()
    assert all(len(m.candidate_confidence) == len(m.candidates) for m in b)
    assert cal.kind == "esco-labels" and cal.n_examples > 10 and cal.provenance["recipe"].startswith("esco")


def test_coded_titles_decide_and_are_learned_by_cross_validation(esco_con, encoder):
    rows = _coded_rows(esco_con)
    coded = CodedIndex.from_rows(rows + [("Chef de partie", "chef de partie", "en", rows[0][3])])
    index = LabelIndex.from_store(esco_con, ["en"])
    cal = fit_coded(index, encoder, coded, MatchConfig(), "tiny", "v1", folds=3)
    assert cal.kind == "coded-kfold" and cal.n_examples == len(coded)
    assert cal.provenance["chosen"] in cal.provenance["grid"] and 0 <= cal.provenance["oof_acc@1"] <= 1
    assert cal.scorer.features[:3] == ["label", "label_gap", "label_rank"]
    assert len(cal.scorer.coef) == len(RERANK_FEATURES)
    m = Matcher(index, encoder, MatchConfig(top_k=3), cal, coded)
    (hit, other) = m.match(["chef de partie", "sous chef"], ["en", "en"])
    # An exact coded title: the coders' answer, whatever the labels say.
    assert (hit.occupation_uri, hit.method, hit.method_score) == (rows[0][3], "coded", 1.0)
    assert 0 < hit.confidence <= 1 and len(hit.candidates) == 3 and hit.candidates[0][0] == rows[0][3]
    assert other.method in ("embedding", "knn", "exact", "fuzzy") and other.confidence is not None
    # In another language the coded title is not an exact match.
    (de,) = m.match(["chef de partie"], ["de"])
    assert de.method != "coded"
    # Stored and read back: the same decisions.
    again = Calibration.from_row(
        cal.calibration_id,
        cal.kind,
        cal.model_id,
        cal.index_version,
        "en",
        cal.n_examples,
        cal.params_json(),
        json.dumps(cal.curve),
        json.dumps(cal.provenance),
    )
    m2 = Matcher(index, encoder, MatchConfig(top_k=3), again, coded)
    assert m2.match(["sous chef"], ["en"])[0].confidence == pytest.approx(other.confidence, abs=1e-5)


def test_target_precision_sets_the_abstention_threshold(esco_con, encoder):
    index = LabelIndex.from_store(esco_con, ["en"])
    cal = fit_esco_labels(index, encoder, MatchConfig(), "tiny")
    m = Matcher(index, encoder, MatchConfig(target_precision=0.5), cal)
    assert m.min_confidence == cal.min_confidence(0.5)
    for res in m.match(["welder", "data scientist", "zzzz qqq"], [None, None, None]):
        if res.status == "abstained":
            assert res.confidence < m.min_confidence and "target precision 0.5" in res.reason
        else:
            assert res.confidence >= m.min_confidence
    with pytest.raises(ValueError, match="needs a calibration"):
        Matcher(index, encoder, MatchConfig(target_precision=0.9))


def test_precision_curve():
    curve = precision_curve(np.array([0.9, 0.9, 0.5, 0.1]), np.array([1, 0, 1, 0]))
    assert curve == [(0.9, 0.5, 0.5), (0.5, 0.75, round(2 / 3, 6)), (0.1, 1.0, 0.5)]


def test_normalize_uses_the_coding_index(writable_market, eures_sample):
    m = writable_market
    first = m.normalize(eures_sample, progress=False)
    assert first.report.calibration_kind == "esco-labels"
    row = m.sql(
        "SELECT p.title_clean, p.language, a.occupation_uri, a.confidence, a.similarity, a.score "
        "FROM postings p JOIN assignments a USING (posting_id) WHERE p.run_id = ? AND a.status = 'matched' "
        "ORDER BY p.source_row LIMIT 1",
        [first.run_id],
    ).iloc[0]
    assert 0 <= row["confidence"] <= 1 and row["similarity"] == row["score"]
    # Code that posting's title as another occupation: the next run follows the coder.
    other = m.sql(
        "SELECT occupation_uri FROM esco_occupations WHERE occupation_uri <> ? ORDER BY 1 LIMIT 1",
        [row["occupation_uri"]],
    )["occupation_uri"][0]
    m.add_codes(
        pd.DataFrame(
            {"title": [row["title_clean"]], "occupation_uri": [other], "language": [row["language"]]}
        ),
        source="coder",
    )
    second = m.normalize(eures_sample, progress=False, target_precision=0.8)
    # One coded title is too few to learn a combination from: calibrated on ESCO's labels, keyed by the index.
    assert second.run_id != first.run_id and second.report.calibration_kind == "esco-labels"
    assert second.report.calibration != first.report.calibration
    # (the tiny random model may reach no 0.8 at all: then the threshold is above 1 and all abstain)
    assert second.report.min_confidence > 0 and second.report.target_precision == 0.8
    coded = m.sql(
        "SELECT a.occupation_uri, a.method, a.method_score, a.confidence FROM postings p "
        "JOIN assignments a USING (posting_id) WHERE p.run_id = ? AND p.title_clean = ? "
        "AND p.language IS NOT DISTINCT FROM ?",
        [second.run_id, row["title_clean"], row["language"]],
    )
    assert (coded["method"] == "coded").all() and len(coded)
    params = json.loads(m.sql("SELECT params FROM runs WHERE run_id = ?", [second.run_id])["params"][0])
    assert params["calibration"] == second.report.calibration and params["min_confidence"] > 0
    stored = m.sql(
        "SELECT kind, index_version, provenance FROM calibrations WHERE calibration_id = ?",
        [second.report.calibration],
    )
    assert stored["index_version"][0] == second.report.coding_index != "empty"
    assert "too few" in json.loads(stored["provenance"][0])["note"]
    cands = m.sql(
        "SELECT count(*) AS n, count(confidence) AS c FROM assignment_candidates WHERE run_id = ?",
        [second.run_id],
    ).iloc[0]
    assert cands["n"] == cands["c"] > 0


def test_calibrate_prints_the_table_and_writes_the_plot(small_store, tiny_model, tmp_path):
    import shutil

    from typer.testing import CliRunner

    from jobmarket.cli.app import app

    db = tmp_path / "cal.duckdb"
    shutil.copy(small_store, db)
    png = tmp_path / "cal.png"
    res = CliRunner().invoke(
        app, ["calibrate", "--db", str(db), "--model", str(tiny_model), "--plot", str(png)]
    )
    assert res.exit_code == 0, res.output
    assert "held-out precision by confidence" in res.output and "target-precision" in res.output
    assert png.read_bytes()[:4] == b"\x89PNG"
    again = CliRunner().invoke(
        app, ["calibrate", "--db", str(db), "--model", str(tiny_model), "--plot", str(png)]
    )
    assert again.exit_code == 0 and again.output.split("\n")[0] == res.output.split("\n")[0]  # stored, reused


def test_listwise_ranker_learns_which_candidate_wins():
    """The conditional logit learns the deciding feature, and agrees with a logistic regression where
    the two are the same model."""
    from jobmarket.coding import fit as F
    from jobmarket.matching.combine import RERANK_FEATURES, Candidates

    rng = np.random.default_rng(0)
    n_feat = len(RERANK_FEATURES)
    rows, truth = [], []
    for t in range(300):
        n = int(rng.integers(2, 8))
        x = rng.normal(size=(n, n_feat))
        right = int(np.argmax(x[:, 3] + 0.3 * x[:, 0]))  # the vote decides, the label score helps
        uris = [f"u{t}-{j}" for j in range(n)]
        rows.append(Candidates(uris, x[:, 0], x, x[:, 3]))
        truth.append(uris[right])
    rows.append(Candidates(["other"], np.zeros(1), rng.normal(size=(1, n_feat)), np.zeros(1)))
    truth.append("not a candidate")  # left out of the objective, not an error
    model = F._fit_softmax(rows, truth, RERANK_FEATURES)
    assert model.kind == "softmax"
    coef = np.asarray(model.coef)
    assert coef[3] > 2 * abs(coef).max() / 3 and coef[3] > coef[0] > 0
    p = model(rows[0].features)
    assert p.shape == (len(rows[0].uris),) and abs(p.sum() - 1) < 1e-9
    picks = [c.uris[int(np.argmax(model(c.features)))] for c in rows[:-1]]
    acc = np.mean([p == t for p, t in zip(picks, truth[:-1], strict=True)])
    assert acc > 0.9
    # A stored calibration round-trips the kind (older ones, without it, load as pointwise).
    from jobmarket.matching.calibration import Linear

    assert Linear(**{k: v for k, v in model.__dict__.items() if k != "kind"}).kind == "pointwise"

    # With two candidates per title the conditional logit is a logistic regression on the candidates'
    # feature differences (no intercept; the same L2 as scikit-learn's C=1): the fit must agree with it.
    from sklearn.linear_model import LogisticRegression

    pairs, pair_truth = [], []
    for t in range(200):
        x = rng.normal(size=(2, n_feat))
        win = int(x[0, 3] + 0.5 * rng.normal() < x[1, 3])
        pairs.append(Candidates([f"a{t}", f"b{t}"], x[:, 0], x, x[:, 3]))
        pair_truth.append(f"{'ab'[win]}{t}")
    ours = F._fit_softmax(pairs, pair_truth, RERANK_FEATURES)
    scale = np.asarray(ours.scale)
    d, y = [], []
    for c, t in zip(pairs, pair_truth, strict=True):
        r = c.uris.index(t)
        diff = (c.features[r] - c.features[1 - r]) / scale
        flip = len(d) % 2  # both classes for scikit-learn; (d, 1) and (-d, 0) are the same example
        d.append(-diff if flip else diff)
        y.append(0 if flip else 1)
    ref = LogisticRegression(C=1.0, fit_intercept=False, max_iter=5000, tol=1e-10).fit(np.array(d), y)
    assert np.allclose(ours.coef, ref.coef_[0], atol=2e-3)


def test_lexical_neighbours_find_a_misspelt_or_inflected_coded_title(esco_con):
    rows = _coded_rows(esco_con)
    coded = CodedIndex.from_rows(rows)
    queries = [coded.texts[7][:-1], coded.texts[40].upper(), coded.texts[100] + "in"]  # cut, case, suffix
    idx, sims = coded.lexical_neighbours(queries, 3)
    assert idx.shape == sims.shape == (3, 3)
    assert list(idx[:, 0]) == [7, 40, 100]
    assert (np.diff(sims, axis=1) <= 1e-6).all() and (sims[:, 0] > 0.7).all()
