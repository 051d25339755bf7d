import numpy as np
import pyarrow as pa
import pytest

from xlrm import _core, text
from xlrm._buffers import to_buffers


def test_normalize_folds_case_width_and_space():
    out = text.normalize(["  Hello \t WORLD ", "ＡＢＣ", "안녕   하세요", "你好，世界"]).to_pylist()
    assert out == ["hello world", "abc", "안녕 하세요", "你好,世界"]


def test_normalize_strip_punct_keeps_cjk_letters():
    out = text.normalize(["¡Hola, mundo!", "你好，世界。"], strip_punct=True).to_pylist()
    assert out == ["hola mundo", "你好世界"]


def test_equal_normalized_is_whitespace_only_by_default():
    eq = text.equal_normalized(["a  b\n", "Case", "x"], ["a b", "case", "y"])
    assert eq.tolist() == [True, False, False]


def test_buffers_handle_sliced_arrays():
    arr = pa.array(["zero", "one", "two", "three"], type=pa.large_string()).slice(1, 2)
    assert text.normalize(arr).to_pylist() == ["one", "two"]


def test_invalid_utf8_is_a_python_error_with_the_row():
    data = np.frombuffer(b"ok\xff", dtype=np.uint8)
    with pytest.raises(_core.XlrmError, match="row 1: text is not valid UTF-8"):
        _core.text.normalize_column(data, np.array([0, 2, 3], dtype=np.int64))


def test_bad_offsets_are_errors_not_crashes():
    data, _ = to_buffers(["abc"])
    with pytest.raises(ValueError, match="past the end"):
        _core.text.normalize_column(data, np.array([0, 10], dtype=np.int64))
    with pytest.raises(ValueError, match="decrease"):
        _core.text.normalize_column(data, np.array([0, 2, 1], dtype=np.int64))
    with pytest.raises(ValueError, match="differ in length"):
        text.equal_normalized(["a"], ["a", "b"])
