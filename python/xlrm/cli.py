"""The ``xlrm`` command, derived from the stage registry (:mod:`xlrm.stages`).

Every stage command has the same shape::

    xlrm <stage> [INPUT ...] [--out DIR] [--config run.yaml] [--force] [--<config key> VALUE ...]

``--config`` reads the stage's section of a pipeline YAML; flags override it (dotted for nested
keys). Stage modules are imported only when run, so ``xlrm --help`` is instant and never
imports torch, transformers or TRL.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from xlrm import stages

PIPELINE_HELP = "Run every stage from one YAML config (no config: the built-in CPU demo)"


def _version() -> str:
    from xlrm import __version__

    return __version__


def _top_help() -> str:
    lines = [
        "usage: xlrm [--version] <command> [options]",
        "",
        "Cross-lingual reward models: preference data, RM training, Multilingual RewardBench,",
        "representation analysis and RM-labelled DPO, from one YAML config.",
        "",
        "commands:",
    ]
    entries = [(s.name, s.help, stages.is_built(s)) for s in stages.STAGES] + [
        ("pipeline", PIPELINE_HELP, True)
    ]
    width = max(len(n) for n, _, _ in entries)
    for name, text, built in entries:
        lines.append(f"  {name.ljust(width)}  {text}{'' if built else '  [not built yet]'}")
    lines += ["", "Run `xlrm <command> --help` for a command's options."]
    return "\n".join(lines)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time (so a replaced stderr is followed)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value):
        pass


def _logging(verbose: bool, quiet: bool) -> None:
    # The root logger passes INFO on (the pipeline's log file wants it); --quiet raises only the
    # console's threshold.
    root = logging.getLogger()
    for h in [h for h in root.handlers if isinstance(h, _StderrHandler)]:
        root.removeHandler(h)
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S"))
    handler.setLevel(logging.WARNING if quiet else logging.NOTSET)
    root.addHandler(handler)
    if quiet:  # the Hugging Face libraries' own progress bars (weights, dataset maps) go too
        for var in ("HF_DATASETS_DISABLE_PROGRESS_BARS", "HF_HUB_DISABLE_PROGRESS_BARS"):
            os.environ.setdefault(var, "1")
    root.setLevel(logging.DEBUG if verbose else logging.INFO)


def stage_parser(stage: stages.Stage) -> argparse.ArgumentParser:
    from xlrm.config import add_config_arguments, mapping_fields

    parser = argparse.ArgumentParser(prog=f"xlrm {stage.name}", description=stage.help)
    parser.add_argument("inputs", nargs="*", metavar="INPUT", help=stage.inputs_help or "inputs of the stage")
    parser.add_argument("--config", help=f"pipeline YAML; this stage reads its `{stage.section}:` section")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.add_argument("-q", "--quiet", action="store_true", help="warnings and errors only")
    add_config_arguments(parser, stage.config_class())
    mappings = sorted(mapping_fields(stage.config_class()))
    if mappings:
        parser.epilog = (
            "mapping fields (" + ", ".join(mappings) + ") take one key per flag: --FIELD.KEY VALUE"
        )
    return parser


def run_stage_command(stage: stages.Stage, argv: list[str]) -> int:
    from xlrm.config import config_from_args, mapping_overrides
    from xlrm.errors import ConfigError

    mapped, argv = mapping_overrides(stage.config_class(), argv, f"xlrm {stage.name}")
    args = stage_parser(stage).parse_args(argv)
    _logging(args.verbose, args.quiet)
    cfg = config_from_args(
        stage.config_class(), args, section=stage.section if args.config else None, extra=mapped
    )
    if len(args.inputs) < stage.min_inputs:
        raise ConfigError(f"xlrm {stage.name} needs an INPUT: {stage.inputs_help}")
    manifest = stage.run_function()(cfg, list(args.inputs))
    print(summary_line(stage.name, manifest, cfg.out))
    for reason, n in manifest["counts"].get("dropped_by_reason", {}).items():
        print(f"  dropped {n:8d}  {reason}")
    return 0


def summary_line(name: str, manifest: dict, out) -> str:
    c = manifest["counts"]
    dropped = sum(c.get("dropped_by_reason", {}).values())
    state = "unchanged, skipped" if manifest.get("skipped") else f"{manifest.get('wall_time_s', 0):.1f}s"
    return f"{name}: {c['in']} in, {c['out']} out, {dropped} dropped ({state}) -> {out}"


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(_top_help())
        return 0 if argv else 2
    if argv[0] == "--version":
        print(f"xlrm {_version()}")
        return 0
    name, rest = argv[0], argv[1:]
    from xlrm.errors import XlrmError

    try:
        if name == "pipeline":
            from xlrm import pipeline

            return pipeline.main(rest)
        if name not in stages.BY_NAME:
            print(
                f"xlrm: unknown command {name!r}; choose from {', '.join([*stages.BY_NAME, 'pipeline'])}",
                file=sys.stderr,
            )
            return 2
        stage = stages.BY_NAME[name]
        if not stages.is_built(stage):
            print(
                f"xlrm {name}: this stage is not built yet in xlrm {_version()}; "
                "see the project's issues for its status.",
                file=sys.stderr,
            )
            return 2
        return run_stage_command(stage, rest)
    except (XlrmError, FileNotFoundError) as e:
        print(f"xlrm {name}: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
