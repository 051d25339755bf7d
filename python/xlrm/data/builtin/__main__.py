"""``python -m xlrm.data.builtin``: inspect or export the built-in multilingual preference set.

python -m xlrm.data.builtin --stats                   # rows per language × section, both splits
python -m xlrm.data.builtin --examples 3 --split eval # three random items per language
python -m xlrm.data.builtin --quality                 # language-detector agreement and confidence
python -m xlrm.data.builtin --rewardbench out.jsonl   # the eval split as Multilingual RewardBench JSONL
"""

from __future__ import annotations

import argparse
import sys

from xlrm.data.builtin import LANGUAGES, SECTIONS, generate, write_rewardbench_file
from xlrm.data.builtin.summary import capacity_table, counts_table, examples, language_quality, subset_table


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m xlrm.data.builtin", description=__doc__.splitlines()[0])
    p.add_argument(
        "--stats", action="store_true", help="print rows per language × section and items per subset"
    )
    p.add_argument("--examples", type=int, default=0, metavar="K", help="print K random items per language")
    p.add_argument("--quality", action="store_true", help="language-detector agreement and confidence")
    p.add_argument("--capacity", action="store_true", help="distinct items available per subset and split")
    p.add_argument(
        "--rewardbench", metavar="PATH", help="write the eval split as Multilingual RewardBench JSONL"
    )
    p.add_argument("--split", choices=("train", "eval", "both"), default="both")
    p.add_argument("--per-section", type=int, default=100, help="items per section (default 100)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--languages", default=",".join(LANGUAGES), help="comma-separated (default: all five)")
    p.add_argument("--sections", default=",".join(SECTIONS), help="comma-separated (default: all four)")
    args = p.parse_args(argv)
    languages = tuple(x for x in args.languages.split(",") if x)
    sections = tuple(x for x in args.sections.split(",") if x)
    if not (args.stats or args.examples or args.quality or args.rewardbench or args.capacity):
        args.stats = True

    if args.rewardbench:
        n = write_rewardbench_file(
            args.rewardbench,
            languages=languages,
            per_section=args.per_section,
            seed=args.seed,
            sections=sections,
        )
        print(f"wrote {n} rows to {args.rewardbench}", file=sys.stderr)

    splits = ("train", "eval") if args.split == "both" else (args.split,)
    rows = {
        s: generate(
            languages=languages, split=s, per_section=args.per_section, seed=args.seed, sections=sections
        )
        for s in splits
    }
    everything = [r for s in splits for r in rows[s]]
    if args.stats:
        print(f"per_section={args.per_section} seed={args.seed}\n")
        for s in splits:
            print(counts_table(rows[s], title=f"{s} split: rows per language × section"), end="\n\n")
        print(subset_table(everything), end="\n\n")
    if args.quality:
        print(language_quality(everything), end="\n\n")
    if args.capacity:
        print(capacity_table(), end="\n\n")
    if args.examples:
        print(examples(everything, per_language=args.examples, seed=args.seed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
