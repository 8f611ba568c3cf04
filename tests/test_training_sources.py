"""model_training's title ↔ title sources, the per-source mix, a mixed run, how a trained model is chosen."""

from __future__ import annotations

import json

import pytest

from jobmarket.errors import JobmarketError
from model_training import pairs as P
from model_training import title_pairs as T
from model_training.config import TrainConfig
from tests.conftest import SHARED, need_shared

TITLES_CSV = SHARED / "jobbert_eval" / "titles.csv"


def _labels(esco_subset):
    con = P.load_esco([esco_subset], progress=False)
    sql = P.sql_sections("training.sql")
    titles = con.execute(sql["occupation_titles"], [None, None]).df()
    isco = dict(con.execute(sql["occupation_isco"]).fetchall())
    return titles, isco


def test_esco_title_pairs_stay_within_an_occupation(esco_subset):
    titles, isco = _labels(esco_subset)
    pairs = T.esco_title_pairs(titles, isco, seed=0)
    assert len(pairs) > 0.5 * len(titles)
    labels_of = titles.groupby("occupation_uri")["title"].agg(set).to_dict()
    pref_en = titles[(titles["kind"] == "preferred") & (titles["lang"] == "en")]
    pref_en = dict(zip(pref_en["occupation_uri"], pref_en["title"], strict=True))
    for row in pairs.itertuples(index=False):
        assert row.positive in labels_of[row.group] and row.positive != row.title
        assert row.negative not in labels_of[row.group]  # another occupation's label
    # A German label learns the English preferred label (cross-lingual) or its German preferred one.
    de = pairs[pairs["lang"] == "de"]
    assert len(de) and de["positive"].isin(set(pref_en.values()) | set(titles["title"])).all()
    # Hard negatives come from the closest ISCO group (unit, else minor) that holds another occupation.
    by_label = dict(zip(titles["title"], titles["occupation_uri"], strict=False))
    occupations = set(labels_of)

    def depth(a: str, b: str) -> int:
        return next((d for d in (4, 3) if isco[a][:d] == isco[b][:d]), 0)

    closest = {u: max(depth(u, o) for o in occupations - {u}) for u in occupations}
    assert any(closest.values())  # the subset has siblings at some level
    rows = pairs.itertuples(index=False)
    assert all(depth(r.group, by_label[r.negative]) == closest[r.group] for r in rows)


def test_coded_titles_only_from_the_tune_half(tmp_path):
    need_shared(TITLES_CSV)
    with pytest.raises(JobmarketError, match="tune"):
        T.read_coded(TITLES_CSV, None)
    with pytest.raises(JobmarketError, match="tune"):
        T.read_coded(TITLES_CSV, "report")
    with pytest.raises(JobmarketError, match="do not exist"):
        T.read_coded(tmp_path / "nope.csv", "tune")
    from jobmarket.evaluation.split import split_titles

    coded = T.read_coded(TITLES_CSV, "tune")
    report_keys = set(split_titles(TITLES_CSV, "report")["key"])
    from jobmarket.evaluation.split import split_key

    assert len(coded) > 5000
    assert not {split_key(t) for t in coded["title"].head(500)} & report_keys


def test_mix_sizes_sources_and_holds_out_dev_occupations(esco_subset, tmp_path):
    need_shared(TITLES_CSV)
    from model_training.trainer import prepare_data

    cfg = TrainConfig(
        esco=[str(esco_subset)],
        title_pairs=True,
        coded_titles=str(TITLES_CSV),
        coded_half="tune",
        mix={"skills": 1, "titles": 2, "coded": 1},
        batch_size=8,
        max_steps=40,
        dev_fraction=0.25,
        seed=3,
    )
    cfg.validate()
    data = prepare_data(cfg, progress=False)
    sizes = data.stats["sources"]
    # 320 pairs shared 1:2:1, each source one batch over (so no source runs dry), sizes distinct.
    assert sizes["titles"] == 168 and abs(sizes["skills"] - 88) <= 2 and abs(sizes["coded"] - 88) <= 2
    assert len(set(sizes.values())) == 3
    dev = set(data.dev["group"])
    assert dev and not dev & set(data.titles["group"]) and not dev & set(data.coded["group"])
    assert set(data.dev_titles["occupation_uri"]) == dev
    with pytest.raises(JobmarketError, match="max_steps"):
        TrainConfig(esco=["x"], mix={"skills": 1}, max_steps=-1).validate()
    with pytest.raises(JobmarketError, match="mix"):
        TrainConfig(esco=["x"], mix={"nope": 1}, max_steps=5).validate()
    with pytest.raises(JobmarketError, match="best_on_dev needs eval_steps"):
        TrainConfig(esco=["x"], best_on_dev="dev_titles_cosine_map@100", eval_steps=30, save_steps=40
                    ).validate()


def test_mixed_run_trains_title_routes_and_saves_held_out(tmp_path, tiny_model, esco_subset):
    """A DatasetDict run: skills pairs through anchor/positive, title pairs through anchor only."""
    need_shared(TITLES_CSV)
    from model_training.trainer import train

    cfg = TrainConfig(
        base_model=str(tiny_model),
        output_dir=str(tmp_path / "out"),
        esco=[str(esco_subset)],
        title_pairs=True,
        coded_titles=str(TITLES_CSV),
        coded_half="tune",
        mix={"skills": 0.3, "titles": 0.4, "coded": 0.3},
        head_dim=16,
        prompt=None,
        batch_size=8,
        loss="mnrl",
        max_steps=6,
        logging_steps=2,
        eval_steps=3,
        save_steps=3,
        best_on_dev="dev_titles_cosine_map@100",
        dev_fraction=0.2,
        dev_max_queries=20,
        num_threads=1,
        max_minutes=10,
    )
    out = train(cfg, progress=False)
    metrics = json.loads((out / "training_metrics.json").read_text())
    assert metrics["metrics"]["steps"] == 6
    assert "dev_titles_cosine_map@100" in metrics["metrics"]["dev"]
    # The saved model is the checkpoint with the best dev score, which the final dev check reproduces.
    assert metrics["metrics"]["best_checkpoint"] in ("checkpoint-3", "checkpoint-6")
    assert metrics["metrics"]["dev"]["dev_titles_cosine_map@100"] == pytest.approx(
        metrics["metrics"]["best_dev"], abs=1e-6)
    held = json.loads((out / "dev_occupations.json").read_text())
    assert held and all(u.startswith("http://data.europa.eu/esco/occupation/") for u in held)

    from jobmarket.evaluation.runner import held_out_occupations

    assert held_out_occupations(str(out)) == set(held)


def test_model_names_resolve_trained_offline_and_cache(tmp_path, monkeypatch):
    from jobmarket.encoders import sentence_transformer as st

    monkeypatch.setenv("JOBMARKET_HOME", str(tmp_path))
    monkeypatch.delenv("JOBMARKET_MODEL", raising=False)
    monkeypatch.delenv("JOBMARKET_PREFER_TRAINED", raising=False)
    monkeypatch.setattr(st, "_hub_cached", lambda repo: False)
    models = tmp_path / "models"
    with pytest.raises(JobmarketError, match="no trained model"):
        st.resolve_model("trained")
    old, new = models / "run-a", models / "run-b"
    for folder in (old, new):
        folder.mkdir(parents=True)
        (folder / "modules.json").write_text("[]")
        (folder / "training_metrics.json").write_text("{}")
    import os

    os.utime(old / "training_metrics.json", (1, 1))
    assert st.resolve_model("trained") == str(new)  # the newest
    assert st.resolve_model("auto") == str(new)  # auto prefers a trained model over the base
    assert st.resolve_model("run-a") == str(old)  # a name in the model cache
    assert st.resolve_model("some/hub-id") == "some/hub-id"
    monkeypatch.setenv("JOBMARKET_MODEL", "run-a")
    assert st.resolve_model("auto") == str(old)  # pinned
    monkeypatch.delenv("JOBMARKET_MODEL")
    monkeypatch.setenv("JOBMARKET_PREFER_TRAINED", "0")
    from jobmarket.encoders.offline import install

    monkeypatch.setattr(install, "is_installed", lambda path=None: True)
    assert st.resolve_model("auto") == str(install.offline_model_path())  # trained models skipped

    # `jobmarket model list` shows them, and which one `auto` is.
    from typer.testing import CliRunner

    from jobmarket.cli.app import app

    monkeypatch.delenv("JOBMARKET_PREFER_TRAINED", raising=False)
    res = CliRunner().invoke(app, ["model", "list"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    lines = {line.split()[1]: line for line in res.output.splitlines() if "run-" in line}
    assert "trained" in lines["run-a"] and "yes" in lines["run-b"] and "yes" not in lines["run-a"]


def test_evaluation_titles_never_become_training_pairs(esco_subset, tmp_path):
    """exclude_titles: no pair of any source keeps a TalentCLEF validation title (or a listed one)."""
    folder = SHARED / "talentclef2025" / "taskA" / "validation"
    need_shared(folder, TITLES_CSV)
    from model_training.exclude import read_excluded, title_key
    from model_training.trainer import prepare_data

    keys = read_excluded([str(folder)])
    assert len(keys) > 10_000 and title_key("Nanny") in keys  # 4 languages' queries and corpora
    titles, _ = _labels(esco_subset)
    extra = tmp_path / "more.txt"
    extra.write_text(f"{titles['title'].iloc[0].upper()}\n\n", encoding="utf-8")  # case aside, same title
    cfg = TrainConfig(esco=[str(esco_subset)], title_pairs=True, coded_titles=str(TITLES_CSV),
                      coded_half="tune", dev_fraction=0.25, seed=3)
    before = prepare_data(cfg, progress=False)
    cfg.exclude_titles = [str(folder), str(extra)]
    after = prepare_data(cfg, progress=False)
    keys.add(title_key(titles["title"].iloc[0]))
    dropped = after.stats["excluded"]["pairs_dropped"]
    for name, src in (("skills", "train"), ("titles", "titles"), ("coded", "coded")):
        df, old = getattr(after, src), getattr(before, src)
        cols = [c for c in ("title", "positive", "negative") if c in df.columns]
        assert not any(df[c].map(title_key).isin(keys).any() for c in cols)
        assert len(df) == len(old) - dropped[name]
    assert dropped["skills"] > 0 and dropped["titles"] > 0  # the subset's labels overlap TalentCLEF's
    with pytest.raises(JobmarketError, match="does not exist"):
        read_excluded([str(tmp_path / "missing")])
    with pytest.raises(JobmarketError, match="no TalentCLEF folder"):
        read_excluded([str(tmp_path)])
