"""Progress display for long stages: a rich status line per step, with the time each step took."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console

console = Console(stderr=True)


class progress_steps:  # noqa: N801 - used like a function: `steps = progress_steps(True)`
    """``with steps("reading"): ...`` shows a spinner while the step runs and records its duration."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        if self.enabled:
            with console.status(f"[bold]{name}…"):
                yield
            console.print(f"[green]✓[/green] {name} [dim]({time.perf_counter() - t0:.1f}s)[/dim]")
        else:
            yield
        self.seconds[name.split(" (")[0]] = round(time.perf_counter() - t0, 2)
