"""The staged matcher on a hand-made label index with vectors chosen so each stage's outcome is known."""

from __future__ import annotations

import numpy as np

from jobmarket.matching.label_index import LabelIndex, expand_label
from jobmarket.matching.matcher import MatchConfig, Matcher

DEV, NURSE, TAILOR, SAILOR = "occ:dev", "occ:nurse", "occ:tailor", "occ:sailor"
# Each occupation has a direction; a text's vector is its occupation's direction (or the given mix).
AXES = {DEV: 0, NURSE: 1, TAILOR: 2, SAILOR: 3}


class FakeEncoder:
    """Encodes a text as the unit vector of the occupation named in VECTORS (by exact text)."""

    name = "fake"
    model_id = "fake"
    dim = 4

    def __init__(self, vectors: dict[str, list[float]]) -> None:
        self.vectors = vectors

    def encode_titles(self, texts):
        out = np.array([self.vectors.get(t, [0.5, 0.5, 0.5, 0.5]) for t in texts], dtype=np.float32)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def unit(occ: str, noise: float = 0.0) -> list[float]:
    v = [noise] * 4
    v[AXES[occ]] = 1.0
    return v


def index() -> LabelIndex:
    rows = [
        (DEV, "en", "software developer", "preferred"),
        (DEV, "de", "Softwareentwickler/Softwareentwicklerin", "preferred"),
        (NURSE, "en", "nurse", "preferred"),
        (TAILOR, "en", "tailor", "preferred"),
        (SAILOR, "en", "sailor", "preferred"),
    ]
    return LabelIndex.from_rows(sorted(rows))


def encoder(extra: dict[str, list[float]]) -> FakeEncoder:
    vectors = {
        "software developer": unit(DEV), "Softwareentwickler/Softwareentwicklerin": unit(DEV),
        "Softwareentwickler": unit(DEV), "Softwareentwicklerin": unit(DEV), "nurse": unit(NURSE),
        "tailor": unit(TAILOR), "sailor": unit(SAILOR),
    }
    vectors.update(extra)
    return FakeEncoder(vectors)


def test_gendered_labels_are_expanded():
    assert expand_label("Softwareentwickler/Softwareentwicklerin") == [
        "Softwareentwickler/Softwareentwicklerin", "Softwareentwickler", "Softwareentwicklerin"]
    assert expand_label("sales/marketing manager") == ["sales/marketing manager"]


def test_exact_any_language():
    m = Matcher(index(), encoder({}), MatchConfig(top_k=3))
    (res,) = m.match(["softwareentwicklerin"], ["de"])
    # The method's own score is apart from the similarity (the embedding's score of the occupation).
    assert (res.occupation_uri, res.method, res.method_score) == (DEV, "exact", 1.0)
    assert res.candidates[0] == (DEV, res.similarity) and len(res.candidates) == 3
    assert res.similarity == res.score


def test_fuzzy_needs_the_embedding_to_agree():
    # "sofware developer" is a typo of a DEV label and its vector points at DEV: fuzzy match.
    m = Matcher(index(), encoder({"sofware developer": unit(DEV, 0.1)}), MatchConfig(fuzzy_agree_k=1))
    (res,) = m.match(["sofware developer"], ["en"])
    assert (res.occupation_uri, res.method) == (DEV, "fuzzy") and 0.95 <= res.method_score < 1.0
    # "tailer" is one letter from "tailor" (and from "sailor"'s neighbour); the model says SAILOR:
    # the string match is not trusted and the embedding decides.
    m = Matcher(index(), encoder({"tailer": unit(SAILOR, 0.1)}),
                MatchConfig(fuzzy_cutoff=80, fuzzy_agree_k=1))
    (res,) = m.match(["tailer"], ["en"])
    assert (res.occupation_uri, res.method) == (SAILOR, "embedding")


def test_embedding_scores_margin_and_abstention():
    mix = [0.9, 0.3, 0.0, 0.0]  # mostly DEV, a bit NURSE
    m = Matcher(index(), encoder({"coder": mix, "???": [0.5, 0.5, 0.5, 0.5]}),
                MatchConfig(threshold=0.8, temperature=0.0, preferred_bonus=0.0))
    coder, unsure = m.match(["coder", "???"], [None, None])
    expected = 0.9 / np.linalg.norm(mix)
    assert coder.status == "matched" and coder.occupation_uri == DEV
    assert abs(coder.score - expected) < 1e-5
    assert abs(coder.margin - (expected - 0.3 / np.linalg.norm(mix))) < 1e-5
    assert unsure.status == "abstained" and unsure.occupation_uri is None
    assert "below threshold 0.800" in unsure.reason and len(unsure.candidates) == 4


def test_soft_maximum_prefers_occupations_with_several_fitting_labels():
    # DEV has three labels that all fit "dev" equally, NURSE one label that fits slightly better.
    m = Matcher(index(), encoder({"dev": [1.0, 1.005, 0.0, 0.0]}),
                MatchConfig(temperature=0.01, preferred_bonus=0.0))
    (res,) = m.match(["dev"], [None])
    assert res.occupation_uri == DEV
    hard = Matcher(index(), encoder({"dev": [1.0, 1.005, 0.0, 0.0]}),
                   MatchConfig(temperature=0.0, preferred_bonus=0.0))
    assert hard.match(["dev"], [None])[0].occupation_uri == NURSE


def test_label_matrices_are_cached_per_language(tmp_path, monkeypatch):
    """A run with other label languages loads the languages already embedded instead of encoding again,
    and every row of the assembled matrix is its own label's vector."""
    monkeypatch.setenv("JOBMARKET_HOME", str(tmp_path))
    encoded: list[str] = []

    class Counting(FakeEncoder):
        model_id = "fake-per-language"

        def encode_titles(self, texts):
            encoded.extend(texts)
            return super().encode_titles(texts)

    enc = Counting(encoder({}).vectors)
    both = index()
    both.embed(enc)
    assert sorted(encoded) == sorted(both.texts)
    for row, i in enumerate(both.embedded_rows):
        assert np.allclose(both.embeddings[row], FakeEncoder(enc.vectors).encode_titles([both.texts[i]])[0])
    encoded.clear()
    english = LabelIndex.from_rows([r for r in zip(both.uris, both.langs, both.texts, both.kinds, strict=True)
                                    if r[1] == "en"])
    english.embed(enc)
    assert encoded == []  # English came from its own cached matrix
    assert np.array_equal(english.embeddings, both.embeddings[[lang == "en" for lang in both.langs]])
    assert len(list((tmp_path / "label_index").glob("*.npy"))) == 2  # one file per language
