import argparse
from dataclasses import dataclass
from typing import Literal

import pytest

from xlrm.config import add_config_arguments, config_from_args, from_dict, load_config, option
from xlrm.data.config import DataConfig
from xlrm.errors import ConfigError


@dataclass
class Inner:
    threshold: float = option(0.8, help="similarity")


@dataclass
class Outer:
    name: str = option("x", help="a name")
    steps: int = option(10, help="steps")
    mode: Literal["a", "b"] = option("a", help="mode")
    flag: bool = option(False, help="flag")
    inner: Inner = option(Inner(), help="nested")
    langs: list[str] = option(["en"], help="langs")


def test_yaml_then_flags(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("outer:\n  steps: 3\n  inner: {threshold: 0.5}\n")
    parser = argparse.ArgumentParser()
    parser.add_argument("--config")
    add_config_arguments(parser, Outer)
    args = parser.parse_args(["--config", str(p), "--mode", "b", "--inner.threshold", "0.9", "--flag"])
    cfg = config_from_args(Outer, args, section="outer")
    assert (cfg.steps, cfg.mode, cfg.flag, cfg.inner.threshold, cfg.langs) == (3, "b", True, 0.9, ["en"])


def test_unknown_key_names_key_and_file(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("steps: 3\nstepz: 4\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml.*unknown key 'stepz'.*valid keys"):
        load_config(Outer, p)


def test_wrong_type_names_key_and_file(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("steps: three\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml: key 'steps': expected an integer, got 'three'"):
        load_config(Outer, p)
    with pytest.raises(ConfigError, match=r"key 'mode': expected one of 'a' \| 'b'"):
        from_dict(Outer, {"mode": "c"})
    with pytest.raises(ConfigError, match=r"key 'inner.threshold': expected a number"):
        from_dict(Outer, {"inner": {"threshold": "high"}})


def test_missing_config_file():
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(Outer, "/nonexistent/x.yaml")


def test_data_config_source_validation():
    with pytest.raises(ConfigError, match="exactly one of path, hub, builtin"):
        from_dict(DataConfig, {"sources": [{"path": "a.jsonl", "hub": "b"}]})
    with pytest.raises(ConfigError, match=r"unknown key 'sources\[0\].file'"):
        from_dict(DataConfig, {"sources": [{"file": "a.jsonl"}]})
