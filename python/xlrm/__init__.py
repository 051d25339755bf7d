"""xlrm: cross-lingual reward models, from preference data to aligned policies.

`import xlrm` is cheap: torch, transformers and TRL are imported only by the
stages that train or run models.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("xlrm")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0+local"

__all__ = ["__version__"]
