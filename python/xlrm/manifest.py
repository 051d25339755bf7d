"""The stage contract: a folder per stage with a versioned ``manifest.json``, written atomically.

A stage writes into ``<out>.tmp-<pid>`` and renames it to ``<out>`` only when finished, so an
interrupted run never leaves a folder that looks complete. The manifest is the hand-off to the
next stage: it names every output file with its role (``pairs``, ``removed``, ``model``,
``scores``, ...) and row count, besides the inputs' content hashes, the config, the counts
(``in``, ``out``, ``dropped_by_reason``), versions and wall time. A later stage finds its input
through :func:`upstream_files`, never by globbing a folder.

Skipping and resuming:

- the fingerprint is the stage name, the fingerprinted config (``xlrm.config.fingerprinted``) and
  the inputs' content hashes; it is computed before any data or model is loaded, and a rerun with
  the same fingerprint is skipped;
- a stage with independent units (a language, a model) records a fingerprint per unit: when only
  some units changed, the others are hard-linked from the previous output instead of recomputed;
- the work folder of a run that was killed (its process is gone) is adopted by the next run with
  the same fingerprint, so finished units and training checkpoints inside it are kept.

A stage may only replace a folder that holds its own complete output: anything else under
``--out`` is refused, and so is an ``--out`` that is, or contains, an input or the working folder.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import platform
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from xlrm.errors import InputError

MANIFEST = "manifest.json"
MANIFEST_VERSION = 2
WORK_MARKER = ".xlrm-work.json"
UNITS_DIR = ".units"
_TRACKED_PACKAGES = ("xlrm", "numpy", "pyarrow", "torch", "transformers", "trl", "datasets", "accelerate")


class StageFolderError(InputError):
    """An ``--out`` that a stage may not write, or an input folder that is not a stage output."""


# --- content hashes -------------------------------------------------------------------------


def _hash_cache_path() -> Path:
    root = os.environ.get("XLRM_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "xlrm"
    )
    return Path(root) / "file-hashes.sqlite"


def _stat_key(st: os.stat_result) -> str:
    # ctime changes on every write and cannot be set back by the user (unlike mtime), so a
    # same-size edit with its mtime restored still misses the cache.
    return f"{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}"


def _sha256_of(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def file_sha256(path: str | Path) -> str:
    """The file's SHA-256, with a stat-keyed cache in front (large model weights hash once)."""
    p = Path(path).resolve()
    key = _stat_key(p.stat())
    db = None
    try:
        cache = _hash_cache_path()
        cache.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(cache, timeout=5)
        db.execute("CREATE TABLE IF NOT EXISTS h (path TEXT PRIMARY KEY, stat TEXT, sha TEXT)")
        row = db.execute("SELECT stat, sha FROM h WHERE path = ?", (str(p),)).fetchone()
        if row and row[0] == key:
            return row[1]
    except (OSError, sqlite3.Error):  # no writable cache: hash every time
        db = None
    sha = _sha256_of(p)
    if db is not None:
        try:
            # the stat is taken again: a file changed while hashing is not cached
            if _stat_key(p.stat()) == key:
                db.execute("INSERT OR REPLACE INTO h VALUES (?, ?, ?)", (str(p), key, sha))
                db.commit()
        except sqlite3.Error:
            pass
        finally:
            db.close()
    return sha


def describe_path(path: str | Path, role: str = "input") -> dict:
    """An input for a fingerprint: a file's hash, a folder's files' hashes, a bundled model's
    package version (``xlrm:<name>``), or a hub id as given."""
    if str(path).startswith("xlrm:"):
        from xlrm import bundled

        return {**bundled.describe(str(path)), "role": role}
    p = Path(path)
    if p.is_file():
        return {"path": str(p), "role": role, "sha256": file_sha256(p)}
    if p.is_dir():
        files = sorted(f for f in p.rglob("*") if f.is_file() and not f.name.startswith("."))
        digest = fingerprint([[str(f.relative_to(p)), file_sha256(f)] for f in files])
        return {"path": str(p), "role": role, "sha256": digest, "files": len(files)}
    return {"id": str(path), "role": role}


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


# --- what a stage returns -------------------------------------------------------------------


@dataclass
class Output:
    """One file (or folder) a stage wrote, relative to its output folder."""

    file: str
    role: str
    rows: int | None = None
    unit: str | None = None

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class StageResult:
    """What a stage function returns besides the files it wrote. ``counts`` holds at least
    ``in``, ``out`` and ``dropped_by_reason`` (snake_case reasons)."""

    counts: dict[str, Any]
    outputs: list[Output]
    extra: dict[str, Any] = field(default_factory=dict)


# --- reading a stage folder -----------------------------------------------------------------


def read_manifest(out_dir: str | Path) -> dict | None:
    p = Path(out_dir) / MANIFEST
    if not p.is_file():
        return None
    try:
        m = json.loads(p.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, OSError):
        return None
    return m if isinstance(m, dict) else None


def stage_manifest(folder: str | Path, *, expect: str = "an xlrm stage's output folder") -> dict:
    """The manifest of a complete stage folder of this manifest version, or a clear error."""
    p = Path(folder)
    m = read_manifest(p)
    if m is None:
        what = "no readable manifest.json" if (p / MANIFEST).exists() else "no manifest.json"
        raise StageFolderError(
            f"folder {p} has {what}, so it is not the output of an xlrm stage",
            hint=f"pass {expect}, or the files themselves",
        )
    version = m.get("manifest_version", 1)
    if version != MANIFEST_VERSION:
        raise StageFolderError(
            f"folder {p} was written by the `{m.get('stage', '?')}` stage of an xlrm with manifest version "
            f"{version} (this xlrm reads version {MANIFEST_VERSION})",
            hint="rerun that stage with this xlrm (add --force) to rewrite the folder",
        )
    if not m.get("complete"):
        raise StageFolderError(f"folder {p} holds an incomplete stage output", hint="rerun that stage")
    return m


def upstream_files(path: str | Path, role: str, *, producers: Iterable[str] = ()) -> list[Path]:
    """The files of ``role`` that ``path`` stands for: a stage folder's outputs of that role (in
    manifest order), or the file itself. ``producers`` names the stages that write ``role``, for
    the error that a folder of the wrong kind gets."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"input {p} does not exist", hint="give a stage's output folder or a file")
    if p.is_file():
        return [p]
    m = stage_manifest(p, expect=_expect(role, producers))
    files = [p / o["file"] for o in m.get("outputs", []) if o.get("role") == role]
    if not files:
        raise StageFolderError(
            f"folder {p} is the output of `{m.get('stage')}`, which has no `{role}` output",
            hint=f"pass {_expect(role, producers)}",
        )
    return files


def _expect(role: str, producers: Iterable[str]) -> str:
    names = [f"`{s}`" for s in producers]
    if not names:
        return f"a stage folder with `{role}` outputs"
    return f"the output folder of {', '.join(names[:-1]) + ' or ' if len(names) > 1 else ''}{names[-1]}"


# --- the folder rule ------------------------------------------------------------------------


def _within(a: Path, b: Path) -> bool:
    """``a`` is ``b`` or inside it."""
    try:
        a.relative_to(b)
        return True
    except ValueError:
        return False


def check_out_folder(stage: str, out: Path, input_paths: Iterable[str | Path] = ()) -> None:
    """Refuse an ``--out`` that this stage may not replace (see the module docstring)."""
    target = out.resolve()
    cwd = Path.cwd().resolve()
    if _within(cwd, target):
        raise StageFolderError(
            f"--out {out} is the working folder or one of its parents; a stage replaces its --out folder",
            hint="give a new sub-folder, e.g. runs/" + stage,
        )
    for ip in input_paths:
        q = Path(ip)
        if not q.exists():
            continue
        q = q.resolve()
        if _within(q, target) or _within(target, q):
            raise StageFolderError(
                f"--out {out} contains or lies inside the input {ip}",
                hint="write the output to a folder of its own, beside the input",
            )
    if not out.exists() and not out.is_symlink():
        return
    if not out.is_dir():
        raise StageFolderError(f"--out {out} exists and is not a folder", hint="choose another --out")
    if not any(out.iterdir()):
        return
    m = read_manifest(out)
    if m is None or m.get("stage") != stage:
        owner = f"the output of `{m.get('stage')}`" if m else "files that no xlrm stage wrote"
        raise StageFolderError(
            f"--out {out} holds {owner}; `{stage}` only replaces a folder holding its own output",
            hint="choose an empty or new folder for --out (nothing was changed)",
        )


def _writing_error(out: Path, tmp: Path, e: OSError) -> StageFolderError | None:
    """An OSError from writing ``--out`` (a full disk, a read-only folder, a file in the way) as
    a message naming the folder; None for an error about another path (an input), which passes."""
    name = getattr(e, "filename", None)
    if e.errno in (errno.ENOSPC, errno.EDQUOT) or "No space left" in str(e):
        return StageFolderError(
            f"no space left on the disk while writing --out {out}" + (f" ({name})" if name else ""),
            hint="free some space or choose an --out on another disk; no earlier output was changed",
        )
    if name is None:  # pyarrow's errors carry the path in the message only
        if str(tmp) not in str(e) and str(out) not in str(e):
            return None
    else:
        p = Path(os.fsdecode(name)).absolute()
        targets = (out.absolute(), tmp.absolute())
        if not any(_within(p, t) for t in targets) and not _within(targets[0], p):
            return None
    why = e.strerror or str(e)
    if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        hint = "choose a folder you may write for --out; no earlier output was changed"
    elif e.errno in (errno.ENOTDIR, errno.EEXIST):
        hint = "a file is in the way of the folder; choose another --out"
    else:
        hint = "choose another --out; no earlier output was changed"
    return StageFolderError(f"cannot write --out {out}: {why} ({name or e})", hint=hint)


# --- work folders ---------------------------------------------------------------------------


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # a live process of another user
        return True
    return True


def _work_folders(out: Path) -> list[tuple[Path, int]]:
    found = []
    for tmp in out.parent.glob(f"{out.name}.tmp-*"):
        try:
            found.append((tmp, int(tmp.name.rsplit("-", 1)[1])))
        except ValueError:
            continue
    return found


def remove_stale_tmp(out: Path) -> None:
    """Work folders ``<out>.tmp-<pid>`` left by a killed run (their process is gone) are removed."""
    for tmp, pid in _work_folders(out):
        if pid != os.getpid() and not _pid_alive(pid):
            shutil.rmtree(tmp, ignore_errors=True)


def _adopt_or_create(out: Path, stage: str, fp: str) -> tuple[Path, bool]:
    """Our work folder: a dead run's folder with the same fingerprint, renamed, or a new one."""
    tmp = out.with_name(f"{out.name}.tmp-{os.getpid()}")
    adopted = False
    for folder, pid in sorted(_work_folders(out), key=lambda t: t[0].stat().st_mtime, reverse=True):
        if pid == os.getpid() or _pid_alive(pid):
            continue
        marker = _read_json(folder / WORK_MARKER)
        if not adopted and marker == {"stage": stage, "fingerprint": fp}:
            os.replace(folder, tmp)
            adopted = True
        else:
            shutil.rmtree(folder, ignore_errors=True)
    if not adopted:
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir(parents=True)
        (tmp / WORK_MARKER).write_text(json.dumps({"stage": stage, "fingerprint": fp}), encoding="utf-8")
    return tmp, adopted


def _read_json(p: Path) -> Any:
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError):
        return None


def _link_tree(src: Path, dst: Path) -> None:
    """Hard links where the file system allows them (same folder tree), copies otherwise."""
    if src.is_dir():
        shutil.copytree(src, dst, copy_function=_link_or_copy, dirs_exist_ok=True)
    else:
        dst.parent.mkdir(parents=True, exist_ok=True)
        _link_or_copy(src, dst)


def _link_or_copy(src, dst) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


class Workspace:
    """The folder a stage writes into, with per-unit reuse.

    ``ws.path`` is the work folder. For a stage with units, ``ws.reuse(unit, fp)`` returns True
    when the unit's files are already there (an adopted work folder) or were linked from the
    previous output with the same unit fingerprint; otherwise the stage computes the unit and
    calls ``ws.finish(unit, fp, files, info)``.
    """

    def __init__(self, path: Path, previous: dict | None, previous_dir: Path, adopted: bool):
        self.path, self.adopted = path, adopted
        self._previous = (previous or {}).get("units", {}) if previous else {}
        self._previous_dir = previous_dir
        self.units: dict[str, dict] = {}
        self.reused: list[str] = []

    def _marker(self, unit: str) -> Path:
        safe = hashlib.sha256(unit.encode()).hexdigest()[:16]
        return self.path / UNITS_DIR / f"{safe}.json"

    def reuse(self, unit: str, fp: str) -> bool:
        done = _read_json(self._marker(unit))
        if isinstance(done, dict) and done.get("fingerprint") == fp:
            self.units[unit] = done
            self.reused.append(unit)
            return True
        old = self._previous.get(unit)
        if (
            old
            and old.get("fingerprint") == fp
            and all((self._previous_dir / f).exists() for f in old["files"])
        ):
            for f in old["files"]:
                if not (self.path / f).exists():
                    _link_tree(self._previous_dir / f, self.path / f)
            self._record(unit, old)
            self.reused.append(unit)
            return True
        return False

    def finish(self, unit: str, fp: str, files: list[str], info: dict | None = None) -> None:
        self._record(unit, {"fingerprint": fp, "files": list(files), "info": info or {}})

    def unit_info(self, unit: str) -> dict:
        return self.units[unit].get("info", {})

    def _record(self, unit: str, entry: dict) -> None:
        entry = {**entry, "unit": unit}
        self.units[unit] = entry
        marker = self._marker(unit)
        marker.parent.mkdir(exist_ok=True)
        tmp = marker.with_suffix(".part")
        tmp.write_text(json.dumps(entry, default=str), encoding="utf-8")
        os.replace(tmp, marker)


def run_stage(
    stage: str,
    out_dir: str | Path,
    *,
    config: dict,
    inputs: Iterable[dict],
    work: Callable[[Workspace], StageResult],
    force: bool = False,
    input_paths: Iterable[str | Path] = (),
) -> dict:
    """Run ``work(workspace)`` unless ``out_dir`` already holds the same fingerprint.

    ``inputs`` describes what the stage reads (:func:`describe_path` entries); together with the
    fingerprinted ``config`` it makes the fingerprint. ``input_paths`` are the paths the folder
    rule checks ``out_dir`` against. Returns the manifest, with ``skipped`` set.
    """
    out = Path(out_dir)
    inputs = list(inputs)
    check_out_folder(stage, out, input_paths)
    fp = fingerprint({"stage": stage, "config": config, "inputs": inputs})
    previous = read_manifest(out)
    if (
        not force
        and previous
        and previous.get("complete")
        and previous.get("fingerprint") == fp
        and previous.get("manifest_version") == MANIFEST_VERSION
        and all((out / o["file"]).exists() for o in previous.get("outputs", []))
    ):
        previous["skipped"] = True
        return previous
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp, adopted = _adopt_or_create(out, stage, fp)
    except OSError as e:
        err = _writing_error(out, out.with_name(f"{out.name}.tmp-{os.getpid()}"), e)
        if err is None:
            raise
        raise err from None
    usable = (
        previous if previous and previous.get("manifest_version") == MANIFEST_VERSION and not force else None
    )
    ws = Workspace(tmp, usable, out, adopted)
    started = time.time()
    try:
        result = work(ws)
        missing = [k for k in ("in", "out", "dropped_by_reason") if k not in result.counts]
        if missing:  # a developer error: every stage reports the same counts
            raise RuntimeError(f"stage {stage} returned counts without {missing}")
        manifest = {
            "manifest_version": MANIFEST_VERSION,
            "stage": stage,
            "complete": True,
            "fingerprint": fp,
            "config": config,
            "inputs": inputs,
            "outputs": [o.as_dict() for o in result.outputs],
            "counts": result.counts,
            **({"units": ws.units, "units_reused": ws.reused} if ws.units else {}),
            **result.extra,
            "versions": versions(),
            "wall_time_s": round(time.time() - started, 3),
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        shutil.rmtree(tmp / UNITS_DIR, ignore_errors=True)
        (tmp / WORK_MARKER).unlink(missing_ok=True)
        (tmp / MANIFEST).write_text(
            json.dumps(manifest, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
        )
        if out.exists():
            # the old output goes aside first, so a crash between the two renames loses nothing
            old = out.with_name(f"{out.name}.old-{os.getpid()}")
            os.replace(out, old)
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except KeyboardInterrupt:
        raise  # the work folder stays: the next run with the same fingerprint adopts it
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        err = _writing_error(out, tmp, e)
        if err is None:
            raise
        raise err from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    manifest["skipped"] = False
    return manifest
