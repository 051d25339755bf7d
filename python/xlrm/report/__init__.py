"""``xlrm report``: a run's tables and plots as Markdown and one self-contained HTML page.

``xlrm.report.run`` finds a run's stage folders through their manifests, ``xlrm.report.sections``
builds the sections from their outputs (read by role), ``xlrm.report.doc`` renders them and
``xlrm.report.plots`` draws the figures (matplotlib, imported only when a plot is drawn).
"""

from xlrm.report.config import SECTIONS, ReportConfig

__all__ = ["SECTIONS", "ReportConfig"]
