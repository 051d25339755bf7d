"""Stage outputs: a folder per stage with a ``manifest.json``, written atomically.

A stage writes into ``<out>.tmp-<pid>`` and renames it to ``<out>`` only when
finished, so an interrupted run never leaves a folder that looks complete. The
manifest records the fingerprint of the stage's inputs and config; a rerun with
the same fingerprint is skipped.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"
_TRACKED_PACKAGES = ("xlrm", "numpy", "pyarrow", "torch", "transformers", "trl", "datasets", "accelerate")


def file_sha256(path: str | Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def fingerprint(obj: Any) -> str:
    """Stable hash of a JSON-able object (config + input hashes)."""
    blob = json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str).encode()
    return hashlib.sha256(blob).hexdigest()


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in _TRACKED_PACKAGES:
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            continue
    return out


@dataclass
class StageResult:
    """What a stage function returns besides the files it wrote."""

    counts: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


def read_manifest(out_dir: str | Path) -> dict | None:
    p = Path(out_dir) / MANIFEST
    if not p.is_file():
        return None
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return None


def is_current(out_dir: str | Path, fp: str) -> bool:
    m = read_manifest(out_dir)
    return bool(m and m.get("complete") and m.get("fingerprint") == fp)


def remove_stale_tmp(out: Path) -> None:
    """Folders ``<out>.tmp-<pid>`` left by a killed run (their process is gone) are removed."""
    for tmp in out.parent.glob(f"{out.name}.tmp-*"):
        try:
            pid = int(tmp.name.rsplit("-", 1)[1])
        except ValueError:
            continue
        if pid == os.getpid():
            continue
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(tmp, ignore_errors=True)
        except PermissionError:  # a live process of another user: not ours to remove
            continue


def run_stage(
    stage: str,
    out_dir: str | Path,
    *,
    config: dict,
    inputs: Iterable[dict],
    work: Callable[[Path], StageResult],
    force: bool = False,
) -> dict:
    """Run ``work(tmp_dir)`` unless ``out_dir`` already holds the same fingerprint.

    ``inputs`` lists what the stage read (``{"path": ..., "sha256": ...}`` or any
    JSON-able description); together with ``config`` it makes the fingerprint.
    Returns the manifest.
    """
    out = Path(out_dir)
    inputs = list(inputs)
    fp = fingerprint({"stage": stage, "config": config, "inputs": inputs})
    if not force and is_current(out, fp):
        manifest = read_manifest(out)
        manifest["skipped"] = True
        return manifest
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_tmp(out)
    tmp = out.with_name(f"{out.name}.tmp-{os.getpid()}")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    started = time.time()
    try:
        result = work(tmp)
        manifest = {
            "stage": stage,
            "complete": True,
            "fingerprint": fp,
            "config": config,
            "inputs": inputs,
            "counts": result.counts,
            **result.extra,
            "versions": versions(),
            "wall_time_s": round(time.time() - started, 3),
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        (tmp / MANIFEST).write_text(
            json.dumps(manifest, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
        )
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    manifest["skipped"] = False
    return manifest
