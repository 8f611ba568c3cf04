"""Serve the dashboard: ``streamlit run`` on the app inside the installed package, over one store."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from jobmarket.dashboard import APP_PATH
from jobmarket.errors import JobmarketError


def streamlit_command(db: str | Path, model: str, port: int = 8501, address: str = "127.0.0.1") -> list[str]:
    """The command line that serves the dashboard of ``db`` (read-only) on ``address:port``."""
    if not Path(db).exists():
        raise JobmarketError(f"store {db} does not exist: run `jobmarket normalize` first")
    try:
        import streamlit  # noqa: F401
    except ImportError:
        raise JobmarketError("the dashboard needs streamlit: pip install 'jobmarket[dashboard]'") from None
    return [sys.executable, "-m", "streamlit", "run", str(APP_PATH), "--server.port", str(port),
            "--server.address", address, "--server.headless", "true", "--browser.gatherUsageStats", "false",
            "--", "--db", str(Path(db).resolve()), "--model", model]


def serve(db: str | Path, model: str, port: int = 8501, address: str = "127.0.0.1") -> int:
    """Run the server until it stops (Ctrl+C); returns its exit code."""
    try:
        return subprocess.call(streamlit_command(db, model, port, address))
    except KeyboardInterrupt:
        return 0
