"""Build a JobBERT-V3-style model: encoder + mean pooling + a Dense(d→1024, tanh) head per route."""

from __future__ import annotations

from collections.abc import Sequence

import torch

ROUTES = ("anchor", "positive")
# Texts used to measure the pooled embeddings' scale for the identity-initialised head.
CALIBRATION_TEXTS = [
    "software developer",
    "Krankenpfleger",
    "enfermera",
    "accountant, bookkeeping",
    "manage budgets, teamwork, customer service",
    "truck driver",
    "chef de cuisine",
]


def _identity_weight(d: int, out: int, scale: float, seed: int) -> torch.Tensor:
    """``scale·I`` on the first ``d`` outputs, tiny noise elsewhere so those dimensions can still learn."""
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(out, d, generator=g) * (scale * 1e-2 / d**0.5)
    k = min(d, out)
    w[:k, :k] += torch.eye(k) * scale
    return w


def build_model(
    base: str,
    head_dim: int = 1024,
    head_init: str = "identity",
    prompt: str | None = "query: ",
    max_seq_length: int = 64,
    device: str | None = "cpu",
    seed: int = 42,
    calibration_texts: Sequence[str] = CALIBRATION_TEXTS,
):
    """Load ``base`` (a sentence-transformers folder or hub id), keep its transformer and pooling, and add
    a Router with ``anchor`` and ``positive`` Dense+tanh routes, then L2 normalisation.

    ``head_init="identity"`` scales the pooled vector into tanh's linear range and copies it, so the new
    model starts out ranking like its base (short CPU runs then only have to improve on it);
    ``"random"`` is the usual initialisation (JobBERT-V3).
    """
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.base.modules import Dense, Normalize, Router, Transformer
    from sentence_transformers.sentence_transformer.modules import Pooling

    src = SentenceTransformer(base, device=device)
    keep = [m for m in src if isinstance(m, Transformer | Pooling)]
    if len(keep) != 2:
        raise ValueError(
            f"{base}: expected a Transformer and a Pooling module, found {[type(m).__name__ for m in src]}"
        )
    transformer, pooling = keep
    transformer.max_seq_length = max_seq_length
    d = pooling.get_embedding_dimension()
    torch.manual_seed(seed)
    subs = {}
    scale = 1.0
    if head_init == "identity":
        with torch.no_grad():
            pooled = src.encode(
                list(calibration_texts),
                normalize_embeddings=False,
                convert_to_tensor=True,
                prompt=prompt or "",
            )
        # Pooled vectors before the base's Normalize: put the largest coordinate at 0.1, where tanh is
        # linear within 0.3%.
        scale = float(0.1 / pooled.abs().max().clamp(min=1e-6))
    for i, route in enumerate(ROUTES):
        if head_init == "identity":
            dense = Dense(
                d,
                head_dim,
                activation_function=torch.nn.Tanh(),
                init_weight=_identity_weight(d, head_dim, scale, seed + i),
                init_bias=torch.zeros(head_dim),
            )
        else:
            dense = Dense(d, head_dim, activation_function=torch.nn.Tanh())
        subs[route] = [dense]
    router = Router(
        sub_modules=subs,
        default_route="anchor",
        route_mappings={("query", None): "anchor", ("document", None): "positive"},
    )
    model = SentenceTransformer(modules=[transformer, pooling, router, Normalize()], device=device)
    prompts = {"query": prompt, "document": prompt} if prompt else {}
    model.prompts = prompts
    model.default_prompt_name = "query" if prompt else None
    model.similarity_fn_name = "cosine"
    return model


def freeze(model, embeddings: bool = True, layers: int = 0) -> dict[str, int]:
    """Freeze the token embeddings and the lowest ``layers`` transformer layers; return parameter counts."""
    auto = model[0].auto_model
    if embeddings:
        auto.embeddings.word_embeddings.weight.requires_grad_(False)
    if layers:
        for layer in auto.encoder.layer[:layers]:
            layer.requires_grad_(False)
        if layers >= len(auto.encoder.layer):
            auto.embeddings.requires_grad_(False)
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return {"total": total, "trainable": trainable}
