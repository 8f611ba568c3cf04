"""A batch sampler that mixes languages in equal shares in every batch (for SentenceTransformerTrainer).

The trainer calls ``batch_sampler(dataset, batch_size=..., drop_last=..., valid_label_columns=...,
generator=..., seed=...)`` when ``args.batch_sampler`` is a callable, so the per-row languages and
occupations are bound beforehand with ``functools.partial``.
"""

from __future__ import annotations

import random
from collections import defaultdict, deque
from collections.abc import Iterator, Sequence

from sentence_transformers.base.sampler import DefaultBatchSampler


class LanguageBalancedBatchSampler(DefaultBatchSampler):
    """Each batch takes languages in turn (a fresh random order per round), so language counts in a batch
    differ by at most one and no language dominates. A batch avoids two rows of the same ``group``
    (occupation), whose skill lists would be false in-batch negatives for each other; balance comes first,
    so a language whose every candidate clashes still gives a row.

    Small languages are recycled (reshuffled) when exhausted; an epoch has ``len(dataset) // batch_size``
    batches, so large languages are seen in part and small ones more than once.
    """

    def __init__(
        self,
        dataset,
        batch_size: int,
        drop_last: bool = True,
        valid_label_columns=None,
        generator=None,
        seed: int = 0,
        *,
        languages: Sequence[str],
        groups: Sequence[str] | None = None,
    ) -> None:
        super().__init__(
            dataset,
            batch_size=batch_size,
            drop_last=drop_last,
            valid_label_columns=valid_label_columns,
            generator=generator,
            seed=seed,
        )
        if len(languages) != len(dataset):
            raise ValueError(f"{len(languages)} languages for {len(dataset)} rows")
        self.languages = list(languages)
        self.groups = list(groups) if groups is not None else list(range(len(dataset)))
        self.by_lang: dict[str, list[int]] = defaultdict(list)
        for i, lang in enumerate(self.languages):
            self.by_lang[lang].append(i)
        self.n_batches = len(dataset) // batch_size if drop_last else -(-len(dataset) // batch_size)
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.n_batches

    def __iter__(self) -> Iterator[list[int]]:
        rng = random.Random(self.seed * 1_000_003 + self.epoch)
        queues: dict[str, deque[int]] = {}

        def refill(lang: str) -> None:
            rows = list(self.by_lang[lang])
            rng.shuffle(rows)
            queues[lang] = deque(rows)

        for lang in self.by_lang:
            refill(lang)
        langs = sorted(self.by_lang)
        for _ in range(self.n_batches):
            batch: list[int] = []
            seen: set = set()
            while len(batch) < self.batch_size:
                order = langs[:]
                rng.shuffle(order)
                for lang in order:
                    if len(batch) >= self.batch_size:
                        break
                    row = self._take(queues, lang, seen, refill)
                    batch.append(row)
                    seen.add(self.groups[row])
            rng.shuffle(batch)
            yield batch

    def _take(self, queues, lang, seen, refill, tries: int = 64) -> int:
        """The next row of ``lang`` whose group is not in the batch yet, or after ``tries`` clashes the first
        clashing one; skipped rows go back to the front of the queue for the next batches."""
        skipped: list[int] = []
        row = None
        for _ in range(tries):
            if not queues[lang]:
                refill(lang)
            candidate = queues[lang].popleft()
            if self.groups[candidate] not in seen:
                row = candidate
                break
            skipped.append(candidate)
        if row is None:
            row = skipped.pop(0)
        queues[lang].extendleft(reversed(skipped))
        return row
