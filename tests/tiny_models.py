"""Tiny, randomly initialised sentence-transformers models that the tests build themselves.

A WordPiece vocabulary is trained on a few hundred real ESCO-like titles, then a 2-layer BertModel
with mean pooling (and optionally a JobBERT-V3-like Router head) is saved as a standard folder.
"""

from __future__ import annotations

from pathlib import Path

import torch
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
from transformers import BertConfig, BertModel, BertTokenizerFast

CORPUS = [
    "software developer",
    "Softwareentwickler",
    "desarrollador de software",
    "programista",
    "nurse",
    "Krankenpfleger",
    "enfermero",
    "pielęgniarka",
    "accountant",
    "Buchhalter",
    "contable",
    "księgowy",
    "chef",
    "Koch",
    "cocinero",
    "kucharz",
    "truck driver",
    "Lkw-Fahrer",
    "camionero",
    "kierowca ciężarówki",
    "electrician",
    "Elektriker",
    "electricista",
    "elektryk",
    "teacher",
    "Lehrer",
    "profesor",
    "nauczyciel",
    "sales manager",
    "Vertriebsleiter",
    "gerente de ventas",
    "civil engineer",
    "Bauingenieur",
    "ingeniero civil",
    "inżynier budownictwa",
    "welder",
    "Schweißer",
    "soldador",
    "spawacz",
    "Python programming",
    "manage budgets",
    "teamwork",
    "customer service",
    "Инженер проектант",
    "Счетоводител",
    "inženýr",
    "inženier",
    "mérnök",
    "inginer",
    "inžinierius",
]


def build_tokenizer(out: Path) -> BertTokenizerFast:
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    trainer = trainers.WordPieceTrainer(
        vocab_size=600, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    )
    tok.train_from_iterator(CORPUS * 3, trainer=trainer)
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B [SEP]",
        special_tokens=[("[CLS]", tok.token_to_id("[CLS]")), ("[SEP]", tok.token_to_id("[SEP]"))],
    )
    tok.decoder = decoders.WordPiece()
    fast = BertTokenizerFast(
        tokenizer_object=tok,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=64,
    )
    fast.save_pretrained(out)
    return fast


def build_tiny_model(out: Path, router: bool = False, dim: int = 32, seed: int = 0) -> Path:
    """Save a tiny model folder at ``out``; with ``router``, anchor/positive Dense routes like JobBERT-V3."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Dense, Pooling, Router, Transformer

    torch.manual_seed(seed)
    hf = out / "hf"
    tok = build_tokenizer(hf)
    config = BertConfig(
        vocab_size=len(tok),
        hidden_size=dim,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=2 * dim,
        max_position_embeddings=64,
    )
    BertModel(config).save_pretrained(hf)
    modules = [Transformer(str(hf), max_seq_length=64), Pooling(dim, pooling_mode="mean")]
    if router:
        # JobBERT-V3's route names: titles are "anchor", skill lists "positive".
        modules.append(
            Router(
                sub_modules={
                    "anchor": [Dense(dim, 48, activation_function=torch.nn.Tanh())],
                    "positive": [Dense(dim, 48, activation_function=torch.nn.Tanh())],
                },
                default_route="anchor",
            )
        )
    model = SentenceTransformer(modules=modules, device="cpu")
    model.save(str(out / "model"))
    return out / "model"
