"""The coding index as the matcher searches it: exact lookup of a coded title, and kNN over coded titles.

Coded titles are grouped by lookup key: one entry per key, with the occupations its rows were coded as
(several coders, or one title in several languages, may disagree) and one text to embed (its most
frequent cleaned spelling). Entries are embedded through the titles route, like postings' titles, and
the matrix is cached in a file beside ESCO's label matrices.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from jobmarket.matching.label_index import cached_title_matrix

BLOCK = 256  # queries per similarity block: a dense block of 256 × entries floats
# Character n-grams found in more than this share of the index's titles are left out of the spelling
# vectors: they weigh little (low idf) yet make every title a neighbour of every other, so the sparse
# product, and the search, grow with the index squared.
LEXICAL_MAX_DF = 0.05


@dataclass(frozen=True)
class CodedHit:
    """A title's exact match in the coding index: the majority occupation and how the rows agree."""

    uri: str
    share: float  # rows coded as ``uri`` / rows with this key (and language)
    n: int  # rows with this key (and language)
    votes: dict[str, int]


@dataclass
class CodedIndex:
    """Entries (unique lookup keys) of coded titles: ``keys[i]``, ``texts[i]`` and ``counts[i]``
    (occupation → rows); ``langs[i]`` counts rows per (language, occupation) for the exact lookup."""

    keys: list[str]
    texts: list[str]
    counts: list[dict[str, int]]
    langs: list[dict[tuple[str | None, str], int]]
    embeddings: np.ndarray | None = None
    position: dict[str, int] = field(init=False)
    _lexical: tuple | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.position = {k: i for i, k in enumerate(self.keys)}

    def __len__(self) -> int:
        return len(self.keys)

    @classmethod
    def from_rows(cls, rows: Sequence[tuple[str, str, str | None, str]]) -> CodedIndex:
        """(title_clean, title_key, language, occupation_uri) rows, as ``coded_titles`` holds them."""
        spellings: dict[str, Counter] = defaultdict(Counter)
        counts: dict[str, Counter] = defaultdict(Counter)
        langs: dict[str, Counter] = defaultdict(Counter)
        for text, key, lang, uri in rows:
            spellings[key][text] += 1
            counts[key][uri] += 1
            langs[key][(lang, uri)] += 1
        keys = sorted(spellings)
        # The most frequent spelling (ties: the first in sort order) is the one embedded.
        texts = [min(spellings[k].items(), key=lambda kv: (-kv[1], kv[0]))[0] for k in keys]
        return cls(keys, texts, [dict(counts[k]) for k in keys], [dict(langs[k]) for k in keys])

    def subset(self, rows: np.ndarray) -> CodedIndex:
        """The entries at ``rows`` (cross-validation folds), embeddings included."""
        rows = np.asarray(rows)
        out = CodedIndex(
            [self.keys[i] for i in rows],
            [self.texts[i] for i in rows],
            [self.counts[i] for i in rows],
            [self.langs[i] for i in rows],
        )
        out.embeddings = None if self.embeddings is None else self.embeddings[rows]
        return out

    def embed(self, encoder) -> None:
        self.embeddings = cached_title_matrix(encoder, self.texts)

    def majority(self, i: int) -> str:
        """The occupation most rows of entry ``i`` were coded as (ties: the first URI in sort order)."""
        return min(self.counts[i].items(), key=lambda kv: (-kv[1], kv[0]))[0]

    def exact(self, key: str, lang: str | None) -> CodedHit | None:
        """The coded rows with this key in ``lang`` (rows of unknown language count for every language;
        a title of unknown language takes all rows)."""
        i = self.position.get(key)
        if i is None:
            return None
        votes: Counter = Counter()
        for (row_lang, uri), n in self.langs[i].items():
            if lang is None or row_lang is None or row_lang == lang:
                votes[uri] += n
        if not votes:
            return None
        uri, top = min(votes.items(), key=lambda kv: (-kv[1], kv[0]))
        total = sum(votes.values())
        return CodedHit(uri, top / total, total, dict(votes))

    def neighbours(self, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` most similar entries per title vector: (indices, cosines), best first. Queries go in
        blocks, so the similarity matrix in memory is a block × entries, not titles × entries."""
        if self.embeddings is None:
            raise ValueError("embed the coding index before searching it")
        k = min(k, len(self))
        idx = np.zeros((len(q), k), dtype=np.int64)
        sims = np.zeros((len(q), k), dtype=np.float32)
        for s in range(0, len(q), BLOCK):
            idx[s : s + BLOCK], sims[s : s + BLOCK] = _top_k(q[s : s + BLOCK] @ self.embeddings.T, k)
        return idx, sims

    def lexical_neighbours(self, texts: Sequence[str], k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` entries most similar in spelling per text: cosines of character n-gram TF-IDF
        vectors (best first). It catches what the embedding blurs: typos, inflections and compounds of a
        coded title, in any script; the vectorizer is fitted on this index's own texts."""
        if self._lexical is None:
            from sklearn.feature_extraction.text import TfidfVectorizer

            # A small index is searched with every n-gram: the cut only buys speed on large ones.
            for max_df in (LEXICAL_MAX_DF if len(self) >= 1_000 else 1.0, 1.0):
                vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True,
                                      dtype=np.float32, max_df=max_df)
                try:
                    self._lexical = (vec, vec.fit_transform(self.texts).T.tocsr())
                    break
                except ValueError:  # every n-gram too common (near-identical titles): keep them all
                    continue
        vec, entries_t = self._lexical
        k = min(k, len(self))
        idx = np.zeros((len(texts), k), dtype=np.int64)
        sims = np.zeros((len(texts), k), dtype=np.float32)
        q = vec.transform(list(texts))
        for s in range(0, len(texts), BLOCK):
            idx[s : s + BLOCK], sims[s : s + BLOCK] = _top_k((q[s : s + BLOCK] @ entries_t).toarray(), k)
        return idx, sims


def _top_k(block: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the ``k`` largest values' columns and values, largest first. torch's topk: numpy's
    argpartition is several times slower on rows of 100k entries, worst on the zeros of sparse rows."""
    import torch

    values, columns = torch.topk(torch.from_numpy(np.ascontiguousarray(block)), k, dim=1)
    return columns.numpy().astype(np.int64), values.numpy()
