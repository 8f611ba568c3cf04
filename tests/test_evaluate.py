"""jobmarket.evaluation: metrics on hand-checked toy cases, TalentCLEF-shaped tasks, ESCO tasks, the CLI."""

from __future__ import annotations

import json
import math
import zlib

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from jobmarket.cli.app import app
from jobmarket.evaluation.data import EvalData, read_talentclef
from jobmarket.evaluation.metrics import alignment, ir_metrics, rank, uniformity
from jobmarket.evaluation.runner import make_tasks
from jobmarket.evaluation.tasks.align_uniform import AlignUniform
from jobmarket.evaluation.tasks.esco_normalization import EscoNormalization
from jobmarket.evaluation.tasks.skill_ranking import SkillRanking
from jobmarket.evaluation.tasks.talentclef import TalentClefTaskA, cross_lingual_qrels


def test_ir_metrics_hand_checked():
    qrels = {"q1": {"d1": 1, "d3": 1}, "q2": {"d2": 1}, "q3": {"d9": 1}}
    run = {"q1": {"d1": 0.9, "d2": 0.8, "d3": 0.7}, "q2": {"d1": 0.9, "d2": 0.5, "d3": 0.1}}
    m = ir_metrics(qrels, run, ("AP", "RR", "nDCG@10", "Success@1", "R@2"))
    # q1: AP = (1/1 + 2/3)/2 = 5/6, RR 1; q2: AP = RR = 1/2; q3 never retrieved: 0 for everything.
    assert m["AP"] == pytest.approx((5 / 6 + 0.5 + 0) / 3)
    assert m["RR"] == pytest.approx((1 + 0.5 + 0) / 3)
    assert m["Success@1"] == pytest.approx(1 / 3)
    assert m["R@2"] == pytest.approx((0.5 + 1 + 0) / 3)
    idcg1 = 1 + 1 / math.log2(3)
    ndcg1 = (1 + 1 / math.log2(4)) / idcg1
    assert m["nDCG@10"] == pytest.approx((ndcg1 + 1 / math.log2(3) + 0) / 3)


def test_rank_top_k_is_cosine_order():
    q = np.array([[1.0, 0.0]])
    d = np.array([[0.0, 1.0], [1.0, 0.0], [0.6, 0.8]])
    run = rank(q, d, ["q"], ["a", "b", "c"], k=2)
    assert set(run["q"]) == {"b", "c"} and run["q"]["b"] == pytest.approx(1.0)
    assert len(rank(q, d, ["q"], ["a", "b", "c"])["q"]) == 3


def test_alignment_and_uniformity_hand_checked():
    x = np.array([[1.0, 0.0], [0.0, 1.0]])
    y = np.array([[0.0, 1.0], [0.0, 1.0]])
    # ‖x0 − y0‖² = 2, ‖x1 − y1‖² = 0.
    assert alignment(x, y) == pytest.approx(1.0)
    pts = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0]])
    # Squared distances 4, 2, 2: log(mean(e^-8, e^-4, e^-4)).
    assert uniformity(pts) == pytest.approx(math.log((math.exp(-8) + 2 * math.exp(-4)) / 3))


class HashEncoder:
    """Deterministic stand-in for a model: identical texts (case-folded) get identical random unit vectors,
    and texts sharing the token ``same`` are near each other."""

    name = model_id = "hash"
    title_route, skill_route = "anchor", "positive"

    def _vec(self, text: str) -> np.ndarray:
        rng = np.random.default_rng(zlib.crc32(text.casefold().encode()))
        v = rng.normal(size=16)
        return v / np.linalg.norm(v)

    def encode_titles(self, texts):
        return np.stack([self._vec(t) for t in texts]) if texts else np.zeros((0, 16))

    encode_skills = encode_titles


def _write_taskA(root, lang_dir: str, queries: dict, corpus: dict, qrels: list[tuple[str, str]]):
    folder = root / "talentclef2025" / "taskA" / "validation" / lang_dir
    folder.mkdir(parents=True)
    pd.DataFrame({"q_id": list(queries), "jobtitle": list(queries.values())}).to_csv(
        folder / "queries", sep="\t", index=False
    )
    pd.DataFrame({"c_id": list(corpus), "jobtitle": list(corpus.values())}).to_csv(
        folder / "corpus_elements", sep="\t", index=False
    )
    (folder / "qrels.tsv").write_text("".join(f"{q}\t0\t{c}\t1\n" for q, c in qrels))


def test_talentclef_task_a_on_a_toy_folder(tmp_path):
    # The query text equals corpus title 2 exactly, so it ranks first; the other relevant title is random.
    _write_taskA(
        tmp_path,
        "english",
        {"1": "nurse"},
        {"1": "cook", "2": "nurse", "3": "registered nurse"},
        [("1", "2"), ("1", "3")],
    )
    task = TalentClefTaskA(EvalData(tmp_path), "en")
    res = task.run(HashEncoder())
    assert res["MRR"] == 1.0 and res["queries"] == 1
    # "registered nurse" ranks 2nd or 3rd: AP is (1 + 2/2)/2 = 1 or (1 + 2/3)/2.
    assert res["MAP"] in (pytest.approx(1.0), pytest.approx(5 / 6))


def test_real_talentclef_readers_and_cross_lingual_qrels():
    from tests.conftest import SHARED, need_shared

    root = SHARED / "talentclef2025" / "taskA" / "validation"
    need_shared(root / "english", root / "german")
    q, c, r = read_talentclef(root / "english")
    assert len(q) == 105 and len(c) == 2619 and all(set(d) <= set(c) for d in r.values())

    class Fixed(EvalData):
        def exact_index(self, langs):  # a tiny ESCO: "nanny" ↔ "Kindermädchen"
            return {"en": {"nanny": {"occ:nanny"}}, "de": {"kindermädchen": {"occ:nanny"}}}[langs[0]]

    queries, corpus, qrels = {"1": "nanny"}, {"10": "nanny", "11": "au pair"}, {"1": {"10": 1, "11": 1}}
    target = (
        {"5": "kindermädchen"},
        {"7": "Kindermädchen", "8": "Koch", "9": "Kinderbetreuerin"},
        {"5": {"7": 1, "9": 1}},
    )
    qs, tc, judged, info = cross_lingual_qrels(Fixed(), "en", "de", queries, corpus, qrels, target)
    # "Kinderbetreuerin" is not an ESCO label but belongs to the German nanny cluster, so it is relevant too.
    assert judged == {"1": {"7": 1, "9": 1}} and info["queries_judged_share"] == 1.0
    assert info["corpus_mapped_share"] == pytest.approx(2 / 3)


def test_cross_lingual_into_chinese_is_reported_not_judged(tmp_path):
    for d in ("english", "chinese"):
        _write_taskA(tmp_path, d, {"1": "a"}, {"1": "a"}, [("1", "1")])
    with pytest.raises(Exception, match="Chinese"):
        TalentClefTaskA(EvalData(tmp_path), "en", "zh").run(HashEncoder())


def test_esco_tasks_on_the_real_subset(tmp_path, esco_subset, tiny_router_model):
    from jobmarket.encoders.sentence_transformer import Encoder

    titles = tmp_path / "jobbert_eval"
    titles.mkdir()
    con = EvalData(esco=[esco_subset]).con()
    occ = con.execute(
        "SELECT concept_uri, label FROM esco_labels WHERE concept_type = 'occupation' "
        "AND lang = 'en' AND kind = 'preferred' ORDER BY 1"
    ).df()
    # Vacancy titles that are exact ESCO labels: a text-identity encoder must get every one right.
    pd.DataFrame({"vacancyTitle": occ["label"], "conceptUri": occ["concept_uri"]}).to_csv(
        titles / "titles.csv"
    )
    data = EvalData(tmp_path, [esco_subset])
    res = EscoNormalization(data).run(HashEncoder())
    assert res["acc@1"] == 1.0 and res["MRR@10"] == 1.0 and res["queries"] == len(occ)

    enc = Encoder(str(tiny_router_model))
    skills = SkillRanking(data, n_occupations=5).run(enc)
    assert 0 < skills["MAP"] <= 1 and skills["queries"] == 5
    au = AlignUniform(data, langs=("de", "es"), n_pairs=20).run(enc)
    assert au["pairs"] == 20 and 0 <= au["alignment"] <= 4 and au["uniformity"] <= 0


def test_make_tasks_and_unknown_task(tmp_path):
    names = [t.name for t in make_tasks(["talentclef-a"], EvalData(tmp_path))]
    assert names == [
        "talentclef-a:de",
        "talentclef-a:en",
        "talentclef-a:es",
        "talentclef-a:zh",
        "talentclef-a:en-de",
        "talentclef-a:en-es",
        "talentclef-a:en-zh",
    ]
    assert [t.name for t in make_tasks(["esco-norm:max"], EvalData(tmp_path))] == ["esco-norm:max"]
    with pytest.raises(Exception, match="unknown task"):
        make_tasks(["nope"], EvalData(tmp_path))


def test_cli_evaluate_writes_json(tmp_path, tiny_router_model):
    _write_taskA(
        tmp_path,
        "english",
        {"1": "nurse", "2": "cook"},
        {"1": "cook", "2": "nurse", "3": "chef"},
        [("1", "2"), ("2", "1"), ("2", "3")],
    )
    out = tmp_path / "r.json"
    res = CliRunner().invoke(
        app,
        [
            "evaluate",
            str(tiny_router_model),
            "--task",
            "talentclef-a:en",
            "--data",
            str(tmp_path),
            "--json",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    report = json.loads(out.read_text())
    assert report["title_route"] == "anchor"
    row = report["results"][0]
    assert row["task"] == "talentclef-a:en" and 0 < row["MAP"] <= 1
    assert report["summary"]["talentclef_a_map_mono_avg"] == row["MAP"]
