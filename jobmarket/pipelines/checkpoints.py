"""Named step boundaries of a run, where the crash-safety tests stop a real process.

Tests set JOBMARKET_TEST_KILL_AT=<step> to SIGKILL the run there, or JOBMARKET_TEST_PAUSE_AT=<step> to
hold it (JOBMARKET_TEST_PAUSE_S seconds) while a reader tries the store; otherwise this does nothing.
"""

from __future__ import annotations

import os
import signal
import sys
import time

KILL_ENV = "JOBMARKET_TEST_KILL_AT"
PAUSE_ENV = "JOBMARKET_TEST_PAUSE_AT"


def checkpoint(step: str) -> None:
    if os.environ.get(KILL_ENV) == step:
        os.kill(os.getpid(), signal.SIGKILL)
    if os.environ.get(PAUSE_ENV) == step:
        print(f"jobmarket: paused at {step}", file=sys.stderr, flush=True)
        time.sleep(float(os.environ.get("JOBMARKET_TEST_PAUSE_S", "30")))
