"""The interface of evaluation tasks: a ``name`` and ``run(encoder) -> dict`` of metrics.

Tasks are interchangeable; :mod:`jobmarket.evaluation.runner` registers them by name and runs them.
"""

from __future__ import annotations


class Task:
    name: str = "task"

    def run(self, encoder) -> dict[str, float]:  # pragma: no cover - interface
        raise NotImplementedError
