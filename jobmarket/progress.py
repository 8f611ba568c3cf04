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
        self._status = None
        self._name = ""

    def note(self, detail: str) -> None:
        """Add a detail (e.g. "12,288/150,000 labels") to the running step's status line."""
        if self._status is not None:
            self._status.update(f"[bold]{self._name}…[/bold] {detail}")

    def say(self, text: str) -> None:
        """Print a line between steps (e.g. which label languages a run indexes), when enabled."""
        if self.enabled:
            console.print(f"  {text}", highlight=False)

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        if self.enabled:
            with console.status(f"[bold]{name}…") as status:
                self._status, self._name = status, name
                try:
                    yield
                finally:
                    self._status = None
            console.print(f"[green]✓[/green] {name} [dim]({time.perf_counter() - t0:.1f}s)[/dim]")
        else:
            yield
        self.seconds[name.split(" (")[0]] = round(time.perf_counter() - t0, 2)


@contextmanager
def chunk_progress(enabled: bool, name: str, total: int) -> Iterator:
    """A rich progress bar over ``total`` items processed in chunks; yields ``advance(n)``."""
    if not enabled or total <= 0:
        yield lambda n: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn(f"[bold]{name}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(name, total=total)
        yield lambda n: bar.advance(task, n)
