import json

import pytest

from xlrm.cli import main
from xlrm.errors import ConfigError
from xlrm.pipeline import demo_config_path, load_pipeline_config, pipeline_config_class

STAGES = ["data", "dedup", "train-rm", "eval-rm", "analyze", "align", "report"]


def _states(out: str) -> list[list[str]]:
    return [line.split()[:2] for line in out.splitlines()[2 : 2 + len(STAGES)]]


def test_quick_demo_runs_every_stage_offline_and_reruns_nothing(tmp_path, capsys):
    pytest.importorskip("trl")
    run_dir = tmp_path / "run"
    assert main(["pipeline", "--quick", "--run-dir", str(run_dir), "-q"]) == 0
    assert _states(capsys.readouterr().out) == [[s, "ran"] for s in STAGES]
    m = json.loads((run_dir / "data" / "manifest.json").read_text())
    assert set(m["histograms"]["language"]) == {"en", "es", "it", "ko", "zh"}
    d = json.loads((run_dir / "dedup" / "manifest.json").read_text())
    assert d["counts"]["contamination_by_eval_set"] == {"builtin-eval": 0}
    assert d["counts"]["in"] == m["counts"]["out"]
    rm = json.loads((run_dir / "train-rm" / "manifest.json").read_text())
    assert [o["unit"] for o in rm["outputs"] if o["role"] == "model"] == ["en", "ko", "zh"]
    ev = json.loads((run_dir / "eval-rm" / "manifest.json").read_text())
    assert {o["role"] for o in ev["outputs"]} >= {"scores"}
    html = (run_dir / "report" / "report.html").read_text(encoding="utf-8")
    assert "Transfer" in html and "data:image/png;base64," in html
    assert (run_dir / "pipeline.log").is_file()
    assert main(["pipeline", "--quick", "--run-dir", str(run_dir), "-q"]) == 0
    assert _states(capsys.readouterr().out) == [[s, "cached"] for s in STAGES]


def test_quick_and_config_do_not_mix(tmp_path, capsys):
    assert main(["pipeline", "--quick", "--config", str(demo_config_path())]) == 2
    assert "drop --config" in capsys.readouterr().err


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
    quick = load_pipeline_config(None, quick=True)
    assert quick.train_rm.model.path == "xlrm:tiny-llama" and quick.report is not None


@pytest.mark.parametrize("name", ["llama3.2-3b", "qwen2.5-3b"])
def test_paper_configs_load_and_their_training_keys_are_trls(name):
    pytest.importorskip("trl")
    from importlib import resources

    from xlrm.train.rm_train import check_training_keys

    path = resources.files("xlrm") / "configs" / "paper" / f"{name}.yaml"
    cfg = load_pipeline_config(str(path))
    rm = cfg.train_rm
    assert rm.train_languages == ["en", "es", "it", "ko", "zh"] and rm.tokenize.max_length == 2048
    t = rm.training
    assert t["per_device_train_batch_size"] * t["gradient_accumulation_steps"] * rm.num_processes == 128
    check_training_keys(t)  # TRL knows every key
