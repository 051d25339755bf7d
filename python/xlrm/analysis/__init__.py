"""Representation analysis (``xlrm analyze``): hidden-state spectra and collapse, norms per
language, and similarity of each reward model to its base model.

Heavy libraries (torch, transformers, matplotlib) are imported by the functions that need them.
"""

from xlrm.analysis.config import AnalyzeConfig, parse_model_spec

__all__ = ["AnalyzeConfig", "parse_model_spec"]
