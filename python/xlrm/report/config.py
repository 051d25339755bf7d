"""``xlrm report`` settings (YAML section ``report:``; every scalar is also a flag)."""

from __future__ import annotations

from dataclasses import dataclass

from xlrm.config import option

#: The report's sections in order, each with the stage whose folder it needs (None: always there).
SECTIONS: dict[str, str | None] = {
    "run": None,
    "data": None,
    "reward_models": "train-rm",
    "transfer": "eval-rm",
    "representations": "analyze",
    "alignment": "align",
    "findings": None,
}


@dataclass
class ReportConfig:
    title: str = option("xlrm run report", help="Title of the report (first heading, HTML title)")
    sections: list[str] = option(
        list(SECTIONS),
        help="Sections to render, of: " + ", ".join(SECTIONS) + " (the order is always the report's own)",
    )
    dpi: int = option(100, help="Resolution of the plots the report draws (dots per inch)")
    log_lines: int = option(
        20, help="Last lines of the run's pipeline.log shown in the Run section (0 = none)"
    )
    layer: int = option(
        -1,
        help="Hidden-state layer of the representation tables (as in analyze's `layers`; -1 = last); "
        "when analyze did not keep it, the first layer it has is shown and the report says so",
    )
    english: str | None = option(
        None,
        help="Label of the English RM (default: eval-rm's `english`, else 'en'); the other RMs are the "
        "target-language RMs of the findings",
    )
    out: str | None = option(None, help="Output folder (default: RUN_DIR/report)", fingerprint=False)
    force: bool = option(
        False, help="Rerun even if the run's outputs and the config are unchanged", fingerprint=False
    )

    def validate(self) -> None:
        unknown = [s for s in self.sections if s not in SECTIONS]
        if unknown:
            raise ValueError(
                f"unknown section {unknown[0]!r} in sections; the sections are {', '.join(SECTIONS)}"
            )
        if not 20 <= self.dpi <= 600:
            raise ValueError(f"dpi must lie in [20, 600], got {self.dpi}")
        if self.log_lines < 0:
            raise ValueError("log_lines must be >= 0")
