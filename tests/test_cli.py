import json
import subprocess
import sys
from pathlib import Path

import pytest

from xlrm import stages
from xlrm.cli import main

ROOT = Path(__file__).resolve().parents[1]
STAGES = ["data", "translate", "train-rm", "eval-rm", "analyze", "align", "report", "pipeline"]


def _run(code: str) -> subprocess.CompletedProcess:
    env = {"PYTHONPATH": str(ROOT / "python"), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)


def test_help_lists_every_stage_without_heavy_imports():
    code = (
        "import sys, json, contextlib, io\n"
        "from xlrm.cli import main\n"
        "buf = io.StringIO()\n"
        "with contextlib.redirect_stdout(buf): rc = main(['--help'])\n"
        "heavy = [m for m in ('torch', 'transformers', 'trl', 'datasets') if m in sys.modules]\n"
        "print(json.dumps({'rc': rc, 'help': buf.getvalue(), 'heavy': heavy}))\n"
    )
    out = _run(code)
    assert out.returncode == 0, out.stderr
    res = json.loads(out.stdout)
    assert res["rc"] == 0 and res["heavy"] == []
    for stage in STAGES:
        assert f"  {stage} " in res["help"]


def test_import_xlrm_is_light():
    out = _run(
        "import sys, xlrm, xlrm.data, xlrm.config; "
        "print([m for m in ('torch','transformers','trl') if m in sys.modules])"
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_every_registered_stage_is_built_and_has_help(capsys):
    for stage in stages.STAGES:
        assert stages.is_built(stage), stage.name
        with pytest.raises(SystemExit) as e:
            main([stage.name, "--help"])
        assert e.value.code == 0
        assert stage.help in " ".join(capsys.readouterr().out.split())  # argparse wraps lines


def test_unknown_command(capsys):
    assert main(["frobnicate"]) == 2
    assert "unknown command" in capsys.readouterr().err


def test_console_script_help_is_fast():
    # through the real entry point, as a user runs it
    out = subprocess.run(
        [sys.executable, "-m", "xlrm.cli", "--version"],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT / "python"), "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert out.returncode == 0 and out.stdout.startswith("xlrm ")
