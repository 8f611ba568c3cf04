"""Named step boundaries of a run, where the crash-safety tests stop a real process.

Product code only calls :func:`checkpoint`; it does nothing unless a hook was installed. Only tests
install one (``tests/fault_hook.py`` wraps the CLI in a subprocess and kills or pauses it at a step), so
no environment variable of a user's shell can make a run kill itself.
"""

from __future__ import annotations

from collections.abc import Callable

_hooks: list[Callable[[str], None]] = []


def add_hook(hook: Callable[[str], None]) -> None:
    """Call ``hook(step)`` at every checkpoint of this process (tests only)."""
    _hooks.append(hook)


def clear_hooks() -> None:
    _hooks.clear()


def checkpoint(step: str) -> None:
    for hook in _hooks:
        hook(step)
