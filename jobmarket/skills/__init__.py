"""Skill extraction from posting descriptions: segments, ESCO skill labels, swappable stages (label
matching, embeddings) behind :mod:`jobmarket.skills._base`, and the model's title -> skills ranking.
The store run that uses them is :mod:`jobmarket.pipelines.skills`."""
