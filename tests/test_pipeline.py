import json

import pytest

from xlrm.cli import main
from xlrm.errors import ConfigError
from xlrm.pipeline import demo_config_path, load_pipeline_config


def test_demo_pipeline_runs_offline_and_reruns_nothing(tmp_path, capsys):
    run_dir = tmp_path / "run"
    assert main(["pipeline", "--run-dir", str(run_dir)]) == 0
    first = capsys.readouterr().out
    m = json.loads((run_dir / "data" / "manifest.json").read_text())
    assert m["counts"]["pairs_out"] > 0
    assert set(m["histograms"]["language"]) == {"en", "es", "it", "ko", "zh"}
    assert m["counts"]["dedup"]["contamination_by_eval_set"] == {"builtin-eval": 0}
    assert "skipped" not in first.splitlines()[0]
    assert main(["pipeline", "--run-dir", str(run_dir)]) == 0
    assert "(unchanged, skipped)" in capsys.readouterr().out


def test_pipeline_config_is_validated_with_file_and_key(tmp_path):
    p = tmp_path / "run.yaml"
    p.write_text("run_dir: x\ndata:\n  sources: [{builtin: train}]\ntranslate:\n  languagez: [ko]\n")
    with pytest.raises(ConfigError, match=r"run\.yaml: unknown key 'translate\.languagez'"):
        load_pipeline_config(p)


def test_stage_folders_default_under_run_dir(tmp_path):
    p = tmp_path / "run.yaml"
    p.write_text(
        f"run_dir: {tmp_path}/r\ndata:\n  sources: [{{builtin: train}}]\ntranslate:\n  languages: [ko]\n"
    )
    cfg = load_pipeline_config(p)
    assert cfg.data.out == f"{tmp_path}/r/data"
    assert cfg.translate.languages == ["ko"]
    assert load_pipeline_config(demo_config_path()).translate is None
