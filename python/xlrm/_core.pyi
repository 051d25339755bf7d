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

class stats:
    """Streaming hidden-state statistics; public wrappers in `xlrm.stats`.

    `kind` names a chunk's element type: "f32", "f64", or "f16"/"bf16" (uint16 bit patterns).
    """

    class GramAccumulator:
        def __init__(
            self,
            dim: int,
            *,
            center: bool = True,
            exact: bool = False,
            nonfinite: str = "skip",
            block_rows: int = 0,
            small_n: bool = True,
        ) -> None: ...
        def update(self, chunk: npt.NDArray, kind: str) -> None: ...
        def merge(self, other: stats.GramAccumulator) -> None: ...
        def copy(self) -> stats.GramAccumulator: ...
        def finalize(self, center: bool | None = None) -> dict: ...
        def scatter(self, center: bool = True) -> npt.NDArray[np.float64]: ...
        def mean(self) -> npt.NDArray[np.float64]: ...
        n: int
        dim: int
        skipped: int
        center: bool
        exact: bool
        nonfinite: str
        small_n: bool
        keeps_rows: bool

    class CrossAccumulator:
        def __init__(
            self,
            dim_x: int,
            dim_y: int,
            *,
            exact: bool = False,
            nonfinite: str = "skip",
            block_rows: int = 0,
            small_n: bool = True,
        ) -> None: ...
        def update(self, x: npt.NDArray, x_kind: str, y: npt.NDArray, y_kind: str) -> None: ...
        def merge(self, other: stats.CrossAccumulator) -> None: ...
        def copy(self) -> stats.CrossAccumulator: ...
        def finalize(self) -> dict: ...
        def spectra(self, center: bool | None = None) -> tuple[dict, dict]: ...
        def spectrum(self, side: str, center: bool | None = None) -> dict: ...
        n: int
        skipped: int
        dims: tuple[int, int]
        keeps_rows: bool

    class NormAccumulator:
        def __init__(self, *, nonfinite: str = "skip") -> None: ...
        def update(
            self,
            chunk: npt.NDArray,
            kind: str,
            groups: npt.NDArray[np.uint32],
            weights: npt.NDArray[np.float64] | None = None,
        ) -> None: ...
        def add_values(
            self,
            values: npt.NDArray[np.float64],
            groups: npt.NDArray[np.uint32],
            weights: npt.NDArray[np.float64] | None = None,
        ) -> None: ...
        def merge(self, other: stats.NormAccumulator) -> None: ...
        def copy(self) -> stats.NormAccumulator: ...
        def distance(self, a: int, b: int) -> float: ...
        def group_values(self, g: int) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
        def finalize(
            self, quantiles: list[float], bins: int = 50, range: tuple[float, float] | None = None
        ) -> dict: ...
        num_groups: int

    @staticmethod
    def row_norms(chunk: npt.NDArray, kind: str) -> npt.NDArray[np.float64]: ...
    @staticmethod
    def wasserstein1(
        a: npt.NDArray[np.float64],
        b: npt.NDArray[np.float64],
        a_weights: npt.NDArray[np.float64] | None = None,
        b_weights: npt.NDArray[np.float64] | None = None,
    ) -> float: ...
    @staticmethod
    def weighted_quantiles(
        values: npt.NDArray[np.float64], q: list[float], weights: npt.NDArray[np.float64] | None = None
    ) -> npt.NDArray[np.float64]: ...

class pack:
    """Best-fit-decreasing packing (rust/xlrm-py/src/pack.rs); token arrays are int32 or int64."""

    @staticmethod
    def bfd(
        lengths: npt.NDArray[np.int64], capacity: int, *, oversize: str = "error"
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint64], int]: ...
    @staticmethod
    def balance(
        loads: npt.NDArray[np.int64], ranks: int, per_rank: int = 1, *, seed: int | None = None
    ) -> dict: ...
    @staticmethod
    def pack_sequences(
        values: npt.NDArray,
        offsets: npt.NDArray[np.int64],
        capacity: int,
        *,
        oversize: str = "error",
        ranks: int | None = None,
        per_rank: int = 1,
        seed: int | None = None,
    ) -> dict: ...
    @staticmethod
    def pack_pairs(
        chosen_values: npt.NDArray,
        chosen_offsets: npt.NDArray[np.int64],
        rejected_values: npt.NDArray,
        rejected_offsets: npt.NDArray[np.int64],
        capacity: int,
        *,
        oversize: str = "error",
        ranks: int | None = None,
        per_rank: int = 1,
        seed: int | None = None,
    ) -> dict: ...
    @staticmethod
    def truncate_pairs(
        prompt_values: npt.NDArray,
        prompt_offsets: npt.NDArray[np.int64],
        chosen_values: npt.NDArray,
        chosen_offsets: npt.NDArray[np.int64],
        rejected_values: npt.NDArray,
        rejected_offsets: npt.NDArray[np.int64],
        *,
        max_length: int,
        min_prompt: int = 0,
        keep_head: int = 0,
        truncate_responses: bool = False,
    ) -> dict: ...

# A dedup field: its chunks, each (message data uint8, message offsets int64, row offsets
# int64 (rows + 1), skip mask bool per message or None); field 0 is the prompt.
_Chunk = tuple[
    npt.NDArray[np.uint8], npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.bool_] | None
]

class dedup:
    """Exact / near-duplicate removal and decontamination; public wrappers in `xlrm.dedup`."""

    @staticmethod
    def dedup(
        fields: list[list[_Chunk]],
        *,
        eval_fields: list[_Chunk] | None = None,
        eval_set_index: npt.NDArray[np.uint32] | None = None,
        priority: npt.NDArray[np.float64] | None = None,
        exact: bool = True,
        near: bool = True,
        threshold: float = 0.8,
        num_perm: int = 128,
        bands: int = 0,
        rows: int = 0,
        seed: int = 1,
        keep: str = "first",
        word_ngram: int = 2,
        char_ngram: int = 3,
        nfkc: bool = True,
        casefold: bool = True,
        strip_punct: bool = False,
        fold_whitespace: bool = True,
        threads: int = 0,
    ) -> dict: ...
    @staticmethod
    def exact_keys(
        fields: list[list[_Chunk]],
        *,
        nfkc: bool = True,
        casefold: bool = True,
        strip_punct: bool = False,
        fold_whitespace: bool = True,
        threads: int = 0,
    ) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]: ...
    @staticmethod
    def signatures(
        fields: list[list[_Chunk]],
        *,
        num_perm: int = 128,
        seed: int = 1,
        word_ngram: int = 2,
        char_ngram: int = 3,
        nfkc: bool = True,
        casefold: bool = True,
        threads: int = 0,
    ) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.bool_]]: ...
    @staticmethod
    def shingle_hashes(
        fields: list[list[_Chunk]],
        *,
        word_ngram: int = 2,
        char_ngram: int = 3,
        nfkc: bool = True,
        casefold: bool = True,
        threads: int = 0,
    ) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]: ...
    @staticmethod
    def near_from_hashes(
        hashes: npt.NDArray[np.uint64],
        offsets: npt.NDArray[np.int64],
        *,
        threshold: float = 0.8,
        num_perm: int = 128,
        bands: int = 0,
        rows: int = 0,
        seed: int = 1,
        threads: int = 0,
    ) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64], npt.NDArray[np.float32], int, int]: ...
    @staticmethod
    def lsh_params(
        threshold: float, num_perm: int = 128, false_negative_weight: float = 0.95
    ) -> tuple[int, int]: ...
