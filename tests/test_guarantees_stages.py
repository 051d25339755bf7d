"""The later stages read hostile files as the data stage does: a message naming the file (and
row), not a traceback, and nothing written (issue 18's error rule for eval-rm and analyze)."""

from __future__ import annotations

import gzip

import pytest

from xlrm.cli import main

pytest.importorskip("transformers")


def _hostile(tmp_path):
    good = b'{"prompt": "hi", "chosen": "a", "rejected": "b", "language": "en", "subset": "x"}\n'
    (tmp_path / "cut.jsonl.gz").write_bytes(gzip.compress(good * 50)[:40])
    (tmp_path / "latin1.jsonl").write_bytes(b'{"prompt": "caf\xe9"}\n')
    (tmp_path / "plain.jsonl.gz").write_bytes(good)
    return {
        "cut.jsonl.gz": "ends early",
        "latin1.jsonl": "UTF-8",
        "plain.jsonl.gz": "not",  # ... gzip(-compressed) data
    }


@pytest.mark.parametrize("stage", ["eval-rm", "analyze"])
def test_corrupt_inputs_are_messages_naming_the_file(tmp_path, stage, capsys):
    for name, says in _hostile(tmp_path).items():
        out = tmp_path / f"out-{stage}-{name}"
        if stage == "eval-rm":
            args = ["eval-rm", "--models", "m=xlrm:tiny-llama", "--kind", "generative", "--data"]
        else:
            args = ["analyze", "--base", "xlrm:tiny-llama", "--device", "cpu", "--probes"]
        assert main([*args, str(tmp_path / name), "--out", str(out)]) == 2, name
        err = capsys.readouterr().err
        assert "Traceback" not in err and name in err and says in err, (name, err)
        assert not out.exists()
