import json

import pytest

from xlrm.cli import main
from xlrm.errors import ConfigError
from xlrm.pipeline import demo_config_path, load_pipeline_config, pipeline_config_class


def test_demo_pipeline_runs_offline_and_reruns_nothing(tmp_path, capsys):
    run_dir = tmp_path / "run"
    assert main(["pipeline", "--run-dir", str(run_dir)]) == 0
    first = capsys.readouterr().out
    m = json.loads((run_dir / "data" / "manifest.json").read_text())
    assert m["counts"]["out"] > 0
    assert set(m["histograms"]["language"]) == {"en", "es", "it", "ko", "zh"}
    d = json.loads((run_dir / "dedup" / "manifest.json").read_text())
    assert d["counts"]["contamination_by_eval_set"] == {"builtin-eval": 0}
    assert d["counts"]["in"] == m["counts"]["out"]
    assert [line.split()[:2] for line in first.splitlines()[2:4]] == [["data", "ran"], ["dedup", "ran"]]
    assert (run_dir / "pipeline.log").is_file()
    assert main(["pipeline", "--run-dir", str(run_dir)]) == 0
    again = capsys.readouterr().out
    assert [line.split()[:2] for line in again.splitlines()[2:4]] == [["data", "cached"], ["dedup", "cached"]]


def test_pipeline_config_is_validated_with_file_and_key(tmp_path):
    p = tmp_path / "run.yaml"
    p.write_text("run_dir: x\ndata:\n  sources: [{builtin: train}]\ntranslate:\n  languagez: [ko]\n")
    with pytest.raises(ConfigError, match=r"run\.yaml: unknown key 'translate\.languagez'"):
        load_pipeline_config(p)
    p.write_text("run_dir: x\nfrobnicate:\n  a: 1\n")
    with pytest.raises(ConfigError, match=r"run\.yaml: unknown key 'frobnicate'.*valid keys: .*dedup"):
        load_pipeline_config(p)


def test_one_section_per_registered_stage_and_folders_under_run_dir(tmp_path):
    from xlrm import stages

    fields = set(pipeline_config_class().__dataclass_fields__)
    assert {s.section for s in stages.STAGES if stages.is_built(s)} <= fields
    p = tmp_path / "run.yaml"
    p.write_text(
        f"run_dir: {tmp_path}/r\ndata:\n  sources: [{{builtin: train}}]\ntranslate:\n  languages: [ko]\n"
    )
    cfg = load_pipeline_config(p)
    assert cfg.data.out == f"{tmp_path}/r/data" and cfg.translate.out == f"{tmp_path}/r/translate"
    assert cfg.translate.languages == ["ko"]
    assert load_pipeline_config(demo_config_path()).translate is None
