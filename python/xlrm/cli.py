"""The ``xlrm`` command. Stages are imported only when run, so ``xlrm --help`` is instant
and never imports torch, transformers or TRL.

Each command module exposes ``HELP`` (one line), ``add_arguments(parser)`` and
``run(args) -> int``.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

# name -> (module, one-line help). module None: the stage is not built yet.
COMMANDS: dict[str, tuple[str | None, str]] = {
    "data": (
        "xlrm.data.stage",
        "Ingest preference data into the xlrm schema: adapt, validate, tag languages",
    ),
    "dedup": ("xlrm.dedup.stage", "Exact and near-duplicate removal and eval decontamination (Rust)"),
    "translate": (
        "xlrm.translate.stage",
        "Translate English preference data into target languages (cached, checked)",
    ),
    "train-rm": (None, "Train Bradley-Terry reward models, one per training language"),
    "eval-rm": (
        None,
        "Score reward models on Multilingual RewardBench: per language, category, transfer matrix",
    ),
    "analyze": (
        "xlrm.analysis.stage",
        "Hidden-state analysis: spectra, collapse, norms, similarity to the base model",
    ),
    "align": (None, "Label multilingual preference data with the RMs, train DPO policies, judge win rates"),
    "report": (None, "Tables and plots of a run, as Markdown and HTML"),
    "pipeline": ("xlrm.pipeline", "Run every stage from one YAML config (no config: the built-in CPU demo)"),
}


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
    width = max(len(n) for n in COMMANDS)
    for name, (module, text) in COMMANDS.items():
        note = "" if module else "  [not built yet]"
        lines.append(f"  {name.ljust(width)}  {text}{note}")
    lines += ["", "Run `xlrm <command> --help` for a command's options."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(_top_help())
        return 0 if argv else 2
    if argv[0] == "--version":
        print(f"xlrm {_version()}")
        return 0
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"xlrm: unknown command {name!r}; choose from {', '.join(COMMANDS)}", file=sys.stderr)
        return 2
    module_name, text = COMMANDS[name]
    if module_name is None:
        print(
            f"xlrm {name}: this stage is not built yet in xlrm {_version()}; "
            f"see the project's issues for its status.",
            file=sys.stderr,
        )
        return 2
    module = importlib.import_module(module_name)
    parser = argparse.ArgumentParser(prog=f"xlrm {name}", description=text)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    module.add_arguments(parser)
    args = parser.parse_args(rest)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
    from xlrm.errors import XlrmError

    try:
        return int(module.run(args) or 0)
    except XlrmError as e:
        print(f"xlrm {name}: error: {e}", file=sys.stderr)
        return 2
    except FileNotFoundError as e:
        print(f"xlrm {name}: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
