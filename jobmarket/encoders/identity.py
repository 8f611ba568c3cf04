"""A model's identity by content: the same weights and configuration give the same id wherever they lie.

Stores, the embedding cache and the label-matrix cache are keyed by this id, so a model folder copied with
``cp -r`` (new mtimes), moved to a Ray node or rebuilt to the same bytes keeps its stores and caches,
while a retrained model at the same path gets a new id.

Cheap: configuration files (small) are hashed whole; a weight file contributes its safetensors header
(tensor names, dtypes, shapes, offsets) and a SHA-256 of its bytes, computed once and kept beside the
model in ``.jobmarket-digest.json`` (reused while the file's size and mtime are unchanged; a copy with new
mtimes is hashed again once and gives the same digest). Hub models are named by their snapshot's
revision (the commit hash), so a new revision never reuses vectors cached for the old one.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
from pathlib import Path

DIGEST_FILE = ".jobmarket-digest.json"
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".h5", ".msgpack", ".gguf")
# Files that do not shape the vectors (docs, other backends' exports, training leftovers).
_SKIP_DIRS = {"onnx", "openvino", "checkpoints", ".git", "runs"}
_SKIP_SUFFIXES = (".md", ".txt.lock", ".lock", ".log", ".png", ".jpg")
_CHUNK = 1 << 20


def folder_model_id(path: str | Path) -> str:
    """``<folder name>@<12 hex digits of the content hash>`` for a sentence-transformers folder."""
    path = Path(path)
    return f"{path.name}@{content_digest(path)[:12]}"


def hub_model_id(name: str, revision: str | None) -> str:
    """``<hub id>@<revision>`` where the revision is known (a snapshot in the local cache), else the id."""
    return f"{name}@{revision[:12]}" if revision else name


def content_digest(path: Path) -> str:
    """SHA-256 over every file that shapes the model's vectors, by relative path."""
    h = hashlib.sha256()
    digests = _weight_digests(path)
    for f in _model_files(path):
        rel = f.relative_to(path).as_posix()
        h.update(rel.encode() + b"\0")
        if f.suffix in WEIGHT_SUFFIXES:
            h.update(_safetensors_header(f))
            h.update(digests[rel].encode())
        else:
            h.update(hashlib.sha256(f.read_bytes()).hexdigest().encode())
    return h.hexdigest()


def _model_files(path: Path) -> list[Path]:
    files = []
    for f in sorted(path.rglob("*")):
        rel = f.relative_to(path)
        if not f.is_file() or f.name == DIGEST_FILE or f.name.startswith("."):
            continue
        if any(part in _SKIP_DIRS or part.startswith(".") for part in rel.parts[:-1]):
            continue
        if f.name.lower().startswith("readme") or f.name.endswith(_SKIP_SUFFIXES):
            continue
        files.append(f)
    return files


def _safetensors_header(f: Path) -> bytes:
    if f.suffix != ".safetensors":
        return b""
    with f.open("rb") as fh:
        raw = fh.read(8)
        if len(raw) < 8:
            return b""
        (n,) = struct.unpack("<Q", raw)
        return fh.read(min(n, 100 << 20))


def _weight_digests(path: Path) -> dict[str, str]:
    """SHA-256 of each weight file, from the digest file beside the model while size and mtime match."""
    record = path / DIGEST_FILE
    try:
        known = json.loads(record.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = {}
    out, changed = {}, False
    for f in _model_files(path):
        if f.suffix not in WEIGHT_SUFFIXES:
            continue
        rel = f.relative_to(path).as_posix()
        st = f.stat()
        entry = known.get(rel) if isinstance(known, dict) else None
        stamp = (st.st_size, st.st_mtime_ns)
        same = isinstance(entry, dict) and (entry.get("size"), entry.get("mtime_ns")) == stamp
        if same:
            out[rel] = str(entry["sha256"])
            continue
        out[rel] = _sha256(f)
        known[rel] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": out[rel]}
        changed = True
    if changed:
        _save(record, known)
    return out


def _sha256(f: Path) -> str:
    h = hashlib.sha256()
    with f.open("rb") as fh:
        while block := fh.read(_CHUNK):
            h.update(block)
    return h.hexdigest()


def _save(record: Path, data: dict) -> None:
    # Atomic, and optional: a read-only model folder is hashed again next time instead.
    tmp = record.with_name(f"{record.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, record)
    except OSError:
        tmp.unlink(missing_ok=True)


def hub_revision(name: str) -> str | None:
    """The commit hash of the locally cached snapshot of a hub model (None when it is not cached)."""
    try:
        from huggingface_hub import try_to_load_from_cache

        hit = try_to_load_from_cache(name, "modules.json")
        if not isinstance(hit, str):
            hit = try_to_load_from_cache(name, "config.json")
    except Exception:  # noqa: BLE001 - an unreadable cache means: revision unknown
        return None
    if not isinstance(hit, str):
        return None
    parts = Path(hit).parts
    return parts[parts.index("snapshots") + 1] if "snapshots" in parts else None
