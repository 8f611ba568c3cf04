"""The Encoder's batches: texts of a call grouped by token count (little padding), each vector that of the
text encoded on its own, in the caller's order."""

from __future__ import annotations

import numpy as np

from jobmarket.encoders.cache import MemoryEmbeddingStore
from jobmarket.encoders.sentence_transformer import Encoder

TEXTS = [
    "Cook", "Senior software engineer for cloud infrastructure and platform reliability", "Nurse",
    "Lagerarbeiter", "Kierowca kategorii C+E w transporcie międzynarodowym", "Electrician", "Baker",
    "Assistente amministrativo", "Chef de partie", "Mechanical engineer", "Data analyst", "Welder",
    "Specialist in occupational health and safety management systems", "Truck driver", "Cashier",
] * 3 + [f"Sales assistant {i}" for i in range(20)]


def test_batches_group_texts_by_token_count(tiny_model, monkeypatch):
    enc = Encoder(str(tiny_model), cache=MemoryEmbeddingStore(), precision="fp32", batch_size=8)
    lengths = dict(zip(TEXTS, enc._token_lengths(TEXTS), strict=True))
    assert lengths["Cook"] < lengths[TEXTS[1]]
    calls = []
    real = enc.model.encode_query

    def spy(texts, **kwargs):
        calls.append(list(texts))
        return real(texts, **kwargs)

    monkeypatch.setattr(enc.model, "encode_query", spy)
    unique = list(dict.fromkeys(TEXTS))
    vecs = enc.encode_titles(TEXTS)
    # One call per batch of at most 8, in rising token count: a batch spans as few lengths as it can.
    assert all(len(c) <= 8 for c in calls) and sum(map(len, calls)) == len(unique)
    spans = [[lengths[t] for t in c] for c in calls]
    assert [s[0] for s in spans] == sorted(s[0] for s in spans)
    assert all(max(a) <= min(b) for a, b in zip(spans, spans[1:], strict=False))
    # Each vector is the text's own, in the caller's order (duplicates included).
    alone = np.stack([real([t], normalize_embeddings=True, convert_to_numpy=True)[0] for t in TEXTS])
    assert vecs.shape == (len(TEXTS), enc.dim)
    assert np.allclose(vecs, alone, atol=1e-5)


def test_token_lengths_fall_back_to_characters(tiny_model):
    enc = Encoder(str(tiny_model), cache=MemoryEmbeddingStore(), precision="fp32")

    class NoTokenizer:
        tokenizer = None

    model, enc.model = enc.model, NoTokenizer()
    try:
        assert enc._token_lengths(["ab", "abcd"]) == [2, 4]
    finally:
        enc.model = model
