"""Which numeric precision the encoder runs in: fp32, or bf16/fp16 autocast where the hardware has it.

On CPUs with AVX-512 BF16 or AMX, bf16 autocast embeds ~1.8-2.3x faster than fp32 (benchmarks/results/
speed.md) at cosine >= 0.9999, but moves occupation scores by up to ~0.002: alone it picked another top-1
occupation than fp32 for 0.65% of the tune half of the JobBERT titles. The matcher therefore re-scores the
near ties in fp32 (:mod:`jobmarket.matching.refine`), after which the top-1 agrees with fp32's on 99.96% of
them (benchmarks/results/speed.md, commit 61e4bfd). So ``auto`` is bf16 on such CPUs, and on CUDA bf16
where the GPU supports it, else fp16; fp32 elsewhere.

The choice is, in order: the ``precision`` argument (``--precision``) unless it is ``auto``; the
environment variable ``JOBMARKET_PRECISION``; the hardware.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from functools import cache

from jobmarket.errors import JobmarketError

__all__ = ["PRECISIONS", "ENV_VAR", "autocast", "cpu_has_bf16", "resolve_precision"]

PRECISIONS = ("auto", "fp32", "bf16", "fp16")
ENV_VAR = "JOBMARKET_PRECISION"
# CPU flags (Linux /proc/cpuinfo names) under which oneDNN runs bf16 matrix products natively.
_BF16_FLAGS = ("avx512_bf16", "amx_bf16")


@cache
def cpu_has_bf16() -> bool:
    """True when this CPU computes bf16 natively (AVX-512 BF16 or AMX), so bf16 autocast pays off."""
    try:
        import torch

        # oneDNN's own check is the one that matters; it also says yes for plain AVX-512 (emulated bf16,
        # no faster), so the CPU's flags must confirm native support where they can be read.
        if not torch.ops.mkldnn._is_mkldnn_bf16_supported():
            return False
    except (ImportError, AttributeError, RuntimeError):
        return False
    flags = _cpu_flags()
    return flags is None or any(f in flags for f in _BF16_FLAGS)


def _cpu_flags() -> set[str] | None:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return None  # not Linux: trust oneDNN


def resolve_precision(requested: str | None, device_type: str) -> str:
    """The concrete precision (``fp32``, ``bf16`` or ``fp16``) for ``requested`` on ``device_type``."""
    choice = (requested or "auto").strip().lower()
    if choice == "auto":
        choice = (os.environ.get(ENV_VAR) or "auto").strip().lower()
    if choice not in PRECISIONS:
        raise JobmarketError(f"precision {choice!r} is not one of {', '.join(PRECISIONS)} "
                             f"(--precision or {ENV_VAR})")
    if choice != "auto":
        if choice == "fp16" and device_type == "cpu":
            raise JobmarketError("precision fp16 needs a GPU; on a CPU use bf16 or fp32")
        return choice
    if device_type == "cuda":
        import torch

        return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    return "bf16" if device_type == "cpu" and cpu_has_bf16() else "fp32"


@contextlib.contextmanager
def autocast(precision: str, device_type: str, model: object | None = None) -> Iterator[None]:
    """Run the forward passes inside in ``precision`` (fp32: unchanged).

    With ``model``, its Linear layers hold low-precision copies of their weights for the duration: autocast
    would cast each weight to the same values on every call (its cache does not apply under
    sentence-transformers' inference mode), which measured ~25% more CPU time for identical vectors.
    """
    if precision == "fp32":
        yield
        return
    import torch

    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    swapped = _swap_linear_weights(model, dtype) if model is not None else []
    try:
        with torch.autocast(device_type=device_type, dtype=dtype):
            yield
    finally:
        for param, master in swapped:  # back to fp32, so an fp32 encode of the same model still works
            param.data = master


def _swap_linear_weights(model: object, dtype) -> list:
    import torch

    swapped = []
    for module in model.modules():  # type: ignore[attr-defined]
        if not isinstance(module, torch.nn.Linear):
            continue
        cache = module.__dict__.setdefault("_jobmarket_lowp", {})
        for name in ("weight", "bias"):
            param = getattr(module, name)
            if param is None or param.dtype != torch.float32:
                continue
            master = param.data
            stamp = (master.data_ptr(), master._version)  # a training step changes the fp32 weights in place
            low = cache.get((name, dtype))
            if low is None or low[0] != stamp:
                low = cache[(name, dtype)] = (stamp, master.to(dtype))
            swapped.append((param, master))
            param.data = low[1]
    return swapped
