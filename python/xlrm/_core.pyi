"""Type stubs for the Rust extension `xlrm._core`. Keep in sync with rust/xlrm-py/src/."""

import numpy as np
import numpy.typing as npt

__version__: str

class XlrmError(ValueError):
    """Bad input rejected by the Rust core; the message says what, where and how to fix it."""

class text:
    @staticmethod
    def normalize_column(
        data: npt.NDArray[np.uint8],
        offsets: npt.NDArray[np.int64],
        *,
        nfkc: bool = True,
        casefold: bool = True,
        strip_punct: bool = False,
        fold_whitespace: bool = True,
    ) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64]]: ...
    @staticmethod
    def equal_normalized(
        a_data: npt.NDArray[np.uint8],
        a_offsets: npt.NDArray[np.int64],
        b_data: npt.NDArray[np.uint8],
        b_offsets: npt.NDArray[np.int64],
        *,
        nfkc: bool = False,
        casefold: bool = False,
        strip_punct: bool = False,
        fold_whitespace: bool = True,
    ) -> npt.NDArray[np.bool_]: ...
