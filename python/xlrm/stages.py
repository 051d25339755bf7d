"""The stage registry: every stage in data-flow order, and what it reads and writes.

The ``xlrm`` command, the pipeline config (one section per stage) and ``xlrm pipeline`` are all
derived from :data:`STAGES`. A stage is a config dataclass (``module:Class``) and a run function
(``module:function``) with one signature::

    run(cfg, inputs: list[str]) -> manifest dict

``inputs`` are what the stage reads: on the command line the positional arguments (files, or the
output folder of an upstream stage), in the pipeline the folders of its upstream stages. Every
config has ``out`` and ``force`` (both outside the fingerprint). Modules are imported only when
a stage runs (or its help is shown), so ``xlrm --help`` never imports torch.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass


@dataclass(frozen=True)
class Stage:
    name: str
    help: str
    config: str  # "module:Class"
    runner: str  # "module:function"
    #: Per input slot, the stages that can feed it, nearest first: the pipeline passes the first
    #: one that the run's config has.
    upstream: tuple[tuple[str, ...], ...] = ()
    #: Output roles other stages read (for errors that say which folder to pass instead).
    produces: tuple[str, ...] = ()
    inputs_help: str = ""
    min_inputs: int = 0

    @property
    def section(self) -> str:
        """The key of this stage's section in a pipeline YAML."""
        return self.name.replace("-", "_")

    def config_class(self) -> type:
        return _load(self.config)

    def run_function(self):
        return _load(self.runner)


def _load(ref: str):
    module, _, attr = ref.partition(":")
    return getattr(importlib.import_module(module), attr)


PAIR_STAGES = ("translate", "dedup", "data")

STAGES: tuple[Stage, ...] = (
    Stage(
        "data",
        "Ingest preference data into the xlrm schema: adapt, validate, tag languages",
        "xlrm.data.config:DataConfig",
        "xlrm.data.stage:run_data",
        produces=("pairs", "dropped"),
        inputs_help="files, folders or globs to ingest (added to the config's sources)",
    ),
    Stage(
        "dedup",
        "Exact and near-duplicate removal and eval decontamination (Rust)",
        "xlrm.dedup.config:DedupConfig",
        "xlrm.dedup.stage:run_dedup",
        upstream=(("data",),),
        produces=("pairs", "removed"),
        inputs_help="pair files (.parquet, .jsonl[.gz], .json) or the output folder of `data`",
        min_inputs=1,
    ),
    Stage(
        "translate",
        "Translate English preference data into target languages (cached, checked)",
        "xlrm.translate.config:TranslateConfig",
        "xlrm.translate.stage:run_translate",
        upstream=(("dedup", "data"),),
        produces=("pairs",),
        inputs_help="pairs: a pair file or the output folder of `data` or `dedup`",
        min_inputs=1,
    ),
    Stage(
        "train-rm",
        "Train Bradley-Terry reward models, one per training language",
        "xlrm.train.stage_config:TrainRMConfig",
        "xlrm.train.stage:run_train_rm",
        upstream=(PAIR_STAGES,),
        produces=("model",),
        inputs_help="pairs: pair files or the output folder of `data`, `dedup` or `translate`",
        min_inputs=1,
    ),
    Stage(
        "eval-rm",
        "Score reward models on Multilingual RewardBench: per language, category, transfer matrix",
        "xlrm.eval.config:EvalRMConfig",
        "xlrm.eval.stage:run_eval_rm",
        upstream=(("train-rm",),),
        produces=("scores",),
        inputs_help="reward models: the output folder of `train-rm`, or RM folders / hub ids (name=path)",
    ),
    Stage(
        "analyze",
        "Hidden-state analysis: spectra, collapse, norms, similarity to the base model",
        "xlrm.analysis.config:AnalyzeConfig",
        "xlrm.analysis.stage:run_analyze",
        upstream=(("train-rm",),),
        produces=("metrics",),
        inputs_help="models to analyse: the output folder of `train-rm`, or folders (name=path)",
    ),
    Stage(
        "align",
        "Label multilingual preference data with the RMs, train DPO policies, judge win rates",
        "xlrm.align.config:AlignConfig",
        "xlrm.align.stage:run_align",
        upstream=(("train-rm",),),
        produces=("policy", "win_rates"),
        inputs_help="labelling reward models: the output folder of `train-rm`",
    ),
    Stage(
        "report",
        "Tables and plots of a run, as Markdown and HTML",
        "xlrm.report.config:ReportConfig",
        "xlrm.report.stage:run_report",
        inputs_help="a run folder (one sub-folder per stage)",
    ),
)

BY_NAME: dict[str, Stage] = {s.name: s for s in STAGES}


def producers(role: str) -> tuple[str, ...]:
    return tuple(s.name for s in STAGES if role in s.produces)


def get(name: str) -> Stage:
    stage = BY_NAME.get(name) or BY_NAME.get(name.replace("_", "-"))
    if stage is None:
        from xlrm.errors import ConfigError

        raise ConfigError(f"unknown stage {name!r}; the stages are {', '.join(BY_NAME)}")
    return stage


def is_built(stage: Stage) -> bool:
    """Whether this xlrm has the stage's run function (stages land one by one)."""
    module = stage.runner.partition(":")[0]
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # its package is not there either
        return False
