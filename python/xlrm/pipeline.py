"""`xlrm pipeline`: every stage from one YAML config, in data-flow order.

Each stage reads only what the stage before it wrote, into its own folder of the
run directory, and is skipped when its inputs and config are unchanged. With no
config, the embedded demo (``xlrm/configs/demo.yaml``) runs on a CPU.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from xlrm.config import from_dict, option, read_yaml
from xlrm.data.config import DataConfig
from xlrm.errors import ConfigError
from xlrm.translate.config import TranslateConfig

HELP = "Run every stage from one YAML config (no config: the built-in CPU demo)"
log = logging.getLogger(__name__)

DEMO_CONFIG = "demo.yaml"


@dataclass
class PipelineConfig:
    run_dir: str = option("xlrm-runs/demo", help="Folder that receives one sub-folder per stage")
    seed: int = option(0, help="Seed shared by every stage")
    data: DataConfig = field(default_factory=DataConfig, metadata={"help": "The `data` stage"})
    translate: TranslateConfig | None = field(
        default=None,
        metadata={"help": "The `translate` stage (English pairs of the data stage into target languages)"},
    )


def demo_config_path() -> Path:
    return Path(str(resources.files("xlrm") / "configs" / DEMO_CONFIG))


def load_pipeline_config(path: str | Path | None, run_dir: str | None = None) -> PipelineConfig:
    where = str(path) if path else f"embedded {DEMO_CONFIG}"
    raw = read_yaml(path if path else demo_config_path())
    if run_dir is not None:
        raw["run_dir"] = run_dir
    root = Path(raw.get("run_dir", PipelineConfig.run_dir))
    data = raw.setdefault("data", {})
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: key 'data': expected a mapping")
    data.setdefault("out", str(root / "data"))
    return from_dict(PipelineConfig, raw, where)


def run_pipeline(cfg: PipelineConfig, force: bool = False) -> list[dict]:
    from xlrm.data.stage import run_data

    manifests = []
    started = time.time()
    cfg.data.force = cfg.data.force or force
    m = run_data(cfg.data)
    c = m["counts"]
    print(
        f"[data] {c['pairs_out']} pairs ({c['dropped']} dropped) -> {cfg.data.out}"
        + (" (unchanged, skipped)" if m.get("skipped") else "")
    )
    manifests.append(m)
    ran = {"data", "pipeline"}
    if cfg.data.dedup is not None:
        ran.add("dedup")
    if cfg.translate is not None:
        from xlrm.translate.stage import translate

        out = Path(cfg.run_dir) / "translate"
        m = translate(Path(cfg.data.out) / "pairs.parquet", out, cfg.translate, force=force)
        print(
            f"[translate] {', '.join(cfg.translate.languages)} -> {out}"
            + (" (unchanged, skipped)" if m.get("skipped") else "")
        )
        manifests.append(m)
        ran.add("translate")
    from xlrm.cli import COMMANDS

    pending = [name for name, (module, _) in COMMANDS.items() if module is None or name not in ran]
    if pending:
        print(f"[pipeline] not in this config or not built yet, skipped: {', '.join(pending)}")
    print(f"[pipeline] done in {time.time() - started:.1f}s; run folder: {cfg.run_dir}")
    return manifests


def add_arguments(parser) -> None:
    parser.add_argument("--config", help="pipeline YAML (default: the embedded CPU demo)")
    parser.add_argument("--run-dir", help="override run_dir from the config")
    parser.add_argument("--force", action="store_true", help="rerun stages even if unchanged")


def run(args) -> int:
    cfg = load_pipeline_config(args.config, args.run_dir)
    run_pipeline(cfg, force=args.force)
    return 0
