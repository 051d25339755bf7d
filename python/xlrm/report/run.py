"""A run folder as the report sees it: its stage folders, found by their manifests.

A stage folder is a direct sub-folder of the run folder whose ``manifest.json`` (of this manifest
version, complete) names the stage; the pipeline writes ``RUN_DIR/<stage>``, but a folder of any
name counts, so a stage run by hand into the run folder is found too. Outputs are read by role
through the manifest, never by file name. Only manifests are read here: the files the report will
read are listed first (:meth:`Run.files`), so the stage can fingerprint them before rendering.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xlrm import stages
from xlrm.errors import ConfigError, InputError
from xlrm.manifest import MANIFEST, MANIFEST_VERSION, read_manifest

log = logging.getLogger(__name__)

LOG_FILE = "pipeline.log"  # written by xlrm.pipeline; named here so the report never imports it
#: Stages whose folders the report reads, in data-flow order (the report itself is left out).
REPORTED = tuple(s.name for s in stages.STAGES if s.name != "report")
#: The output roles each stage's section reads (beyond the manifest), and with which file ending.
ROLES_READ: dict[str, tuple[tuple[str, str], ...]] = {
    "train-rm": (("train_log", ".json"), ("metrics", ".json"), ("plot", ".png")),
    "eval-rm": (("transfer", ".parquet"), ("gap", ".parquet")),
    "analyze": (("table", ".parquet"), ("spectra", ".parquet"), ("plot", ".png")),
    "align": (("win_rates", ".parquet"), ("plot", ".png")),
}


class ReportInputError(InputError):
    """A stage folder whose outputs the report cannot read; the section says so and goes on."""


@dataclass
class StageFolder:
    name: str
    path: Path
    manifest: dict

    def outputs(self, role: str, suffix: str | None = None) -> list[dict]:
        """The manifest's outputs of ``role`` (those whose file ends with ``suffix``), in order."""
        return [
            o
            for o in self.manifest.get("outputs", [])
            if o.get("role") == role and (suffix is None or str(o.get("file", "")).endswith(suffix))
        ]

    def file(self, role: str, suffix: str) -> Path:
        """The one output file of ``role`` ending with ``suffix``, or an error naming the folder."""
        found = self.outputs(role, suffix)
        if not found:
            raise ReportInputError(
                f"{self.path / MANIFEST} lists no output of role {role!r} ending in {suffix}; "
                f"rerun `xlrm {self.name}` into {self.path} to write it"
            )
        path = self.path / found[0]["file"]
        if not path.is_file():
            raise ReportInputError(
                f"{self.path / MANIFEST} lists {found[0]['file']} (role {role}) but {path} is missing; "
                f"rerun `xlrm {self.name}` with --force to write it again"
            )
        return path

    def config(self) -> dict:
        c = self.manifest.get("config")
        return c if isinstance(c, dict) else {}

    def counts(self) -> dict:
        c = self.manifest.get("counts")
        return c if isinstance(c, dict) else {}


@dataclass
class Run:
    path: Path
    stages: dict[str, StageFolder]
    #: Other folders of an already found stage, and folders that look like stage folders but are not
    #: usable (an older manifest version, an unfinished manifest): one line each for the Run section.
    notes: list[str] = field(default_factory=list)

    def get(self, name: str) -> StageFolder | None:
        return self.stages.get(name)

    @property
    def missing(self) -> list[str]:
        return [s for s in REPORTED if s not in self.stages]

    def log_file(self) -> Path | None:
        p = self.path / LOG_FILE
        return p if p.is_file() else None

    def files(self) -> list[tuple[str, str, Path]]:
        """(stage, role, path) of every existing file a section will read or embed."""
        out = []
        for name, folder in self.stages.items():
            for role, suffix in ROLES_READ.get(name, ()):
                for o in folder.outputs(role, suffix):
                    p = folder.path / o["file"]
                    if p.is_file():
                        out.append((name, role, p))
        return out


def _created(m: dict) -> str:
    return str(m.get("created") or "")


def load_run(run_dir: str | Path, *, exclude: Path | None = None) -> Run:
    """The stage folders of ``run_dir`` (``exclude``: the report's own output folder)."""
    root = Path(run_dir)
    if not root.is_dir():
        what = "a file" if root.exists() else "missing"
        raise ConfigError(
            f"xlrm report: the run folder {root} is {what}; pass the run_dir of an xlrm pipeline "
            "(the folder with one sub-folder per stage)"
        )
    found: dict[str, list[StageFolder]] = {}
    notes: list[str] = []
    skip = exclude.resolve() if exclude is not None else None
    for sub in sorted(p for p in root.iterdir() if p.is_dir()):
        # work folders of a stage in progress or killed (`<out>.tmp-<pid>`, `<out>.old-<pid>`)
        # may already hold a manifest; they are not finished output
        if ".tmp-" in sub.name or ".old-" in sub.name or (skip is not None and sub.resolve() == skip):
            continue
        if not (sub / MANIFEST).is_file():
            continue
        m = read_manifest(sub)
        if m is None:
            notes.append(f"{sub.name}/: its {MANIFEST} is not readable JSON; left out")
            continue
        name = m.get("stage")
        if name == "report" or name not in REPORTED:
            if name != "report":
                notes.append(f"{sub.name}/: manifest of an unknown stage {name!r}; left out")
            continue
        if m.get("manifest_version") != MANIFEST_VERSION or not m.get("complete"):
            notes.append(
                f"{sub.name}/: `{name}` output with manifest version {m.get('manifest_version')} "
                f"(this xlrm reads version {MANIFEST_VERSION}) or unfinished; rerun `xlrm {name}` to update it"
            )
            continue
        found.setdefault(name, []).append(StageFolder(name, sub, m))
    chosen: dict[str, StageFolder] = {}
    for name in REPORTED:
        candidates = found.get(name)
        if not candidates:
            continue
        # the pipeline's own folder name first, then the newest
        candidates.sort(key=lambda f: (f.path.name == name, _created(f.manifest)), reverse=True)
        chosen[name] = candidates[0]
        for other in candidates[1:]:
            notes.append(
                f"{other.path.name}/: another `{name}` output; the report shows {candidates[0].path.name}/"
            )
    if not chosen:
        raise ConfigError(
            f"xlrm report: {root} holds no stage folder (no sub-folder with an xlrm {MANIFEST}); pass "
            "the run_dir of an xlrm pipeline, or run a stage with --out inside it first"
        )
    return Run(root, chosen, notes)


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ReportInputError(f"{path} is not readable JSON ({e}); rerun the stage that wrote it") from None


def read_parquet_rows(path: Path) -> list[dict]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return pq.read_table(path).to_pylist()
    except (OSError, pa.ArrowException) as e:
        raise ReportInputError(
            f"{path} is not a readable Parquet file ({e}); rerun the stage that wrote it"
        ) from None


def tail(path: Path, lines: int) -> list[str]:
    """The last ``lines`` lines of a text file (read from the end: a long log is not loaded)."""
    if lines <= 0:
        return []
    with open(path, "rb") as f:
        f.seek(0, 2)
        size = f.tell()
        block, data = 8192, b""
        while size > 0 and data.count(b"\n") <= lines:
            step = min(block, size)
            size -= step
            f.seek(size)
            data = f.read(step) + data
    return data.decode("utf-8", errors="replace").splitlines()[-lines:]
