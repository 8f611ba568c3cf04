"""Per-model matcher settings: fitted on titles by accuracy, saved beside the model, read by the matcher
and by normalize (where an explicit setting still wins)."""

from __future__ import annotations

import json
import shutil

import pytest

from jobmarket.matching import defaults
from jobmarket.matching.matcher import MatchConfig, Matcher
from tests.conftest import SHARED, need_shared
from tests.test_matcher import DEV, NURSE, FakeEncoder, encoder, index


def test_fit_picks_the_settings_that_get_the_titles_right(tmp_path):
    # "dev" sits a hair closer to NURSE's one (preferred) label than to DEV's three; DEV is right, so the fit
    # must choose a soft maximum (several fitting labels) over the plain maximum.
    enc = encoder({"dev": [1.0, 1.005, 0.0, 0.0], "nurse": [0.0, 1.0, 0.0, 0.0]})
    fitted = defaults.fit_defaults(index(), enc, ["dev", "nurse"], [DEV, NURSE],
                                   temperatures=(0.0, 0.01), bonuses=(0.0,))
    assert (fitted["temperature"], fitted["preferred_bonus"]) == (0.01, 0.0)
    assert fitted["acc@1"] == 1.0 and fitted["titles"] == 2
    plain = next(p for p in fitted["grid"] if p["temperature"] == 0.0)
    assert plain["acc@1"] == 0.5  # the plain maximum picks NURSE for "dev"


def test_saved_settings_are_the_models_defaults_and_explicit_ones_win(tmp_path):
    folder = tmp_path / "some-model"
    folder.mkdir()
    defaults.save_defaults(folder, {"temperature": 0.03, "preferred_bonus": 0.02}, half="tune")

    class InFolder(FakeEncoder):
        name = str(folder)

    enc = InFolder(encoder({}).vectors)
    m = Matcher(index(), enc)
    assert (m.config.temperature, m.config.preferred_bonus) == (0.03, 0.02)
    assert (m.embedding.temperature, m.embedding._bonus.max()) == (0.03, pytest.approx(0.02))
    mine = Matcher(index(), enc, MatchConfig(temperature=0.0))
    assert (mine.config.temperature, mine.config.preferred_bonus) == (0.0, 0.02)
    other = Matcher(index(), encoder({}))  # a model without the file: the constants
    assert (other.config.temperature, other.config.preferred_bonus) == (defaults.TEMPERATURE,
                                                                        defaults.PREFERRED_BONUS)


@pytest.mark.slow
def test_fit_on_the_tune_half_is_saved_and_normalize_uses_it(tiny_model, tmp_path, esco_subset, eures_sample):
    """The real path: the tune half of the JobBERT titles (cleaned as normalize cleans them) against ESCO's
    English labels, saved in a copy of the tiny model, and a normalize run records the fitted settings."""
    from jobmarket.encoders.sentence_transformer import Encoder
    from jobmarket.evaluation.data import EvalData
    from jobmarket.evaluation.tuning import fit_model_defaults
    from jobmarket.market import Market

    need_shared(SHARED / "jobbert_eval" / "titles.csv")
    model = tmp_path / "tiny-copy"
    shutil.copytree(tiny_model, model)
    enc = Encoder(str(model), precision="fp32")
    fitted = fit_model_defaults(enc, EvalData(root=SHARED, esco=[esco_subset]))
    saved = json.loads((model / defaults.FILE).read_text())
    assert saved["half"] == "tune" and saved["titles"] > 1000
    assert len(saved["grid"]) == len(defaults.GRID_TEMPERATURE) * len(defaults.GRID_BONUS)
    best = max(p["acc@1"] for p in saved["grid"])
    assert saved["acc@1"] == best == fitted["acc@1"]
    with Market.open(tmp_path / "m.duckdb", model=str(model), esco=[esco_subset], precision="fp32") as m:
        rep = m.normalize(eures_sample, progress=False).report
        params = m.sql("SELECT params FROM runs WHERE run_id = ?", [rep.run_id])["params"][0]
    match = json.loads(params)["options"]["match"]
    assert match["temperature"] == saved["temperature"]
    assert match["preferred_bonus"] == saved["preferred_bonus"]
