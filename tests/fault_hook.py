"""Run the ``jobmarket`` CLI with a checkpoint hook installed: the crash and concurrency tests' wrapper.

    python -m tests.fault_hook --kill-at write -- normalize FILE --db X
    python -m tests.fault_hook --pause-at match --pause-s 20 -- normalize FILE --db X

The hook lives here, in the tests, not in product code: it SIGKILLs the process at the named step, or
prints "jobmarket: paused at STEP" to stderr and sleeps there while a test reads the store.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time

from jobmarket.pipelines import checkpoints


def install(kill_at: str | None = None, pause_at: str | None = None, pause_s: float = 30.0) -> None:
    def hook(step: str) -> None:
        if step == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        if step == pause_at:
            print(f"jobmarket: paused at {step}", file=sys.stderr, flush=True)
            time.sleep(pause_s)

    checkpoints.add_hook(hook)


def main(argv: list[str]) -> int:
    if "--" not in argv:
        raise SystemExit("usage: python -m tests.fault_hook [--kill-at S] [--pause-at S] [--pause-s N] -- "
                         "ARGS")
    cut = argv.index("--")
    parser = argparse.ArgumentParser()
    parser.add_argument("--kill-at")
    parser.add_argument("--pause-at")
    parser.add_argument("--pause-s", type=float, default=30.0)
    args = parser.parse_args(argv[:cut])
    install(args.kill_at, args.pause_at, args.pause_s)
    from jobmarket.cli.app import app

    app(argv[cut + 1:], prog_name="jobmarket")  # exits with the command's status
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
