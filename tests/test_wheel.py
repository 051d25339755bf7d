"""What users `pip install` is what is tested: build the abi3 wheel, install it into a
fresh virtual environment, import the extension from there."""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    if shutil.which("cargo") is None:
        pytest.skip("no Rust toolchain to build the wheel")
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "maturin", "build", "--release", "-o", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=1800,
    )
    (whl,) = out.glob("xlrm-*.whl")
    return whl


def test_wheel_is_abi3_and_complete(wheel):
    assert "-abi3-" in wheel.name and "cp310" in wheel.name
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.startswith("xlrm/_core") and n.endswith((".so", ".pyd")) for n in names)
    for needed in (
        "xlrm/__init__.py",
        "xlrm/py.typed",
        "xlrm/_core.pyi",
        "xlrm/cli.py",
        "xlrm/configs/demo.yaml",
    ):
        assert needed in names, needed
    meta = next(n for n in names if n.endswith("METADATA"))
    assert "Requires-Python: >=3.10" in zipfile.ZipFile(wheel).read(meta).decode()


def test_wheel_installs_into_a_fresh_venv(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    py = venv / "bin" / "python"
    # numpy is the only package the extension itself needs at call time
    subprocess.run(
        [py, "-m", "pip", "install", "-q", "--no-deps", str(wheel), "numpy"], check=True, timeout=600
    )
    code = (
        "import numpy as np, xlrm._core as c\n"
        "print(c.__file__)\n"
        "d = np.frombuffer('  A  B 한국 '.encode(), dtype=np.uint8)\n"
        "data, off = c.text.normalize_column(d, np.array([0, len(d)], dtype=np.int64))\n"
        "print(bytes(data).decode())\n"
        "try:\n    c.text.normalize_column(d, np.array([0, 999], dtype=np.int64))\n"
        "except c.XlrmError as e:\n    print('error:', e)\n"
    )
    out = subprocess.run([py, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith(str(venv))  # imported from the installed wheel, not the source tree
    assert lines[1] == "a b 한국"
    assert lines[2].startswith("error: invalid column buffers")
