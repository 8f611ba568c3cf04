"""Encoder precision: the choice (argument, environment, hardware), bf16 agreement with fp32, and caches
that key by precision so vectors of different precision never mix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jobmarket.encoders.cache import MemoryEmbeddingStore
from jobmarket.encoders.precision import ENV_VAR, cpu_has_bf16, resolve_precision
from jobmarket.encoders.sentence_transformer import Encoder
from jobmarket.errors import JobmarketError
from jobmarket.matching.embedding import EmbeddingScorer
from jobmarket.matching.label_index import LabelIndex, _matrix_cache_path
from tests.conftest import SHARED, need_shared, skip_or_fail

JOBBERT = SHARED / "jobbert_eval" / "titles.csv"


def test_resolve_precision_order(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert resolve_precision("fp32", "cpu") == "fp32"
    assert resolve_precision("bf16", "cpu") == "bf16"
    assert resolve_precision("auto", "cpu") == "fp32"  # bf16 is opt-in on a CPU (encoders/precision.py)
    monkeypatch.setenv(ENV_VAR, "fp32")
    assert resolve_precision("auto", "cpu") == "fp32"  # the environment decides "auto"
    assert resolve_precision(None, "cpu") == "fp32"
    assert resolve_precision("bf16", "cpu") == "bf16"  # an explicit choice beats the environment
    monkeypatch.setenv(ENV_VAR, "int3")
    with pytest.raises(JobmarketError, match="JOBMARKET_PRECISION"):
        resolve_precision("auto", "cpu")
    with pytest.raises(JobmarketError, match="needs a GPU"):
        resolve_precision("fp16", "cpu")


def _labels_and_titles(n_titles: int = 300) -> tuple[list[tuple[str, str, str, str]], list[str]]:
    """600 real ESCO English occupations (preferred labels) and real JobBERT vacancy titles."""
    from tests.conftest import ESCO_EN_ZIP

    need_shared(ESCO_EN_ZIP, JOBBERT)
    import zipfile

    with zipfile.ZipFile(ESCO_EN_ZIP) as z:
        occ = pd.read_csv(z.open("occupations_en.csv"), dtype=str, keep_default_na=False)
    occ = occ.sort_values("conceptUri").head(600)
    pairs = zip(occ["conceptUri"], occ["preferredLabel"], strict=True)
    rows = [(u, "en", lab, "preferred") for u, lab in pairs]
    titles = pd.read_csv(JOBBERT, dtype=str, keep_default_na=False)["vacancyTitle"].head(n_titles).tolist()
    return rows, titles


def _top1(encoder: Encoder, rows, titles) -> np.ndarray:
    index = LabelIndex.from_rows(rows)
    index.embeddings = encoder.encode_titles(index.texts)
    index.embedded_rows = np.arange(len(index.texts))
    scores = EmbeddingScorer(index).scores(encoder.encode_titles(titles))
    return scores.argmax(axis=1)


def test_bf16_keeps_top1_and_caches_apart(tiny_model):
    """On a small model bf16 autocast ranks labels as fp32 does, and its vectors live under their own key."""
    rows, titles = _labels_and_titles()
    cache = MemoryEmbeddingStore()
    enc = Encoder(str(tiny_model), cache=cache, precision="fp32")
    fp32 = enc.encode_titles(titles)
    top_fp32 = _top1(enc, rows, titles)
    assert enc.cache_id == enc.model_id  # fp32 keeps the key older caches have
    enc.precision = "bf16"
    assert enc.cache_id == f"{enc.model_id}|bf16"
    bf16 = enc.encode_titles(titles)
    assert not np.array_equal(bf16, fp32)  # really re-encoded, not served from the fp32 cache
    assert np.linalg.norm(bf16, axis=1) == pytest.approx(1.0, abs=1e-4)
    assert float((bf16 * fp32).sum(axis=1).min()) > 0.99
    top_bf16 = _top1(enc, rows, titles)
    # A random 2-layer model's cosines crowd together, so a near tie can flip: the real model's gate is the
    # slow test below and benchmarks/speed.py (>= 99.5% on the tune half).
    assert (top_bf16 == top_fp32).mean() >= 0.97
    keys = {k[0] for k in cache._data}
    assert keys == {enc.model_id, f"{enc.model_id}|bf16"}


def test_label_matrix_cache_keys_by_precision(tiny_model, tmp_path, monkeypatch):
    monkeypatch.setenv("JOBMARKET_HOME", str(tmp_path))
    rows, _ = _labels_and_titles(1)
    rows = rows[:40]
    enc = Encoder(str(tiny_model), precision="fp32")
    texts = LabelIndex.from_rows(rows).texts
    paths = {}
    for precision in ("fp32", "bf16"):
        enc.precision = precision
        index = LabelIndex.from_rows(rows)
        index.embed(enc)
        paths[precision] = _matrix_cache_path(enc.cache_id, texts)
        assert paths[precision].exists()
    assert paths["fp32"] != paths["bf16"]
    assert len(list((tmp_path / "label_index").glob("*.npy"))) == 2


@pytest.mark.slow
def test_bf16_top1_agreement_real_model():
    """The offline multilingual-e5-small: bf16 top-1 over 600 ESCO occupations against fp32 on 300 real
    vacancy titles. Measured 98.3%: under the 99.5% a default needs, which is why ``auto`` stays fp32 on a
    CPU; this guards the opt-in ``--precision bf16`` from getting worse."""
    from jobmarket.encoders.offline.install import is_installed, offline_model_path

    if not is_installed():
        skip_or_fail("offline model not installed: run `jobmarket model install-offline`")
    if not cpu_has_bf16():
        pytest.skip("this CPU has no native bf16")
    rows, titles = _labels_and_titles()
    enc = Encoder(str(offline_model_path()), precision="fp32")
    top_fp32 = _top1(enc, rows, titles)
    enc.precision = "bf16"
    top_bf16 = _top1(enc, rows, titles)
    assert (top_bf16 == top_fp32).mean() >= 0.97
