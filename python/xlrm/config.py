"""Dataclass configs: YAML in, flags on top, validated with errors that name the key and the file.

Each stage has a ``@dataclass`` config whose fields carry ``metadata={"help": ...}``
(the TRL habit); that help text drives ``--help``. A YAML file gives the base
values, ``--flag value`` overrides them, and nested dataclasses are reached with
dotted flags (``--dedup.threshold 0.9``).
"""

from __future__ import annotations

import argparse
import dataclasses
import types
import typing
from pathlib import Path
from typing import Any, Literal, TypeVar, get_args, get_origin

import yaml

from xlrm.errors import ConfigError

T = TypeVar("T")
_MISSING = dataclasses.MISSING


def option(default: Any = _MISSING, help: str = "", *, fingerprint: bool = True, **kw) -> Any:
    """A dataclass field with help text; mutable defaults are copied per instance.

    ``fingerprint=False`` marks a field that cannot change a stage's output (where it is
    written, whether to rerun, log levels, thread counts): it is left out of the stage's
    fingerprint, so changing it never reruns anything.
    """
    meta = {"help": help, "fingerprint": fingerprint}
    if isinstance(default, list | dict):
        value = default
        return dataclasses.field(default_factory=lambda: type(value)(value), metadata=meta, **kw)
    if dataclasses.is_dataclass(default) and not isinstance(default, type):
        value = default
        return dataclasses.field(default_factory=lambda: dataclasses.replace(value), metadata=meta, **kw)
    return dataclasses.field(default=default, metadata=meta, **kw)


def fingerprinted(obj) -> Any:
    """The config as a JSON-able dict without the fields marked ``fingerprint=False``
    (recursively), i.e. exactly what decides a stage's output."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {
            f.name: fingerprinted(getattr(obj, f.name))
            for f in dataclasses.fields(obj)
            if f.metadata.get("fingerprint", True)
        }
    if isinstance(obj, list | tuple):
        return [fingerprinted(v) for v in obj]
    if isinstance(obj, dict):
        return {k: fingerprinted(v) for k, v in obj.items()}
    return obj


def _hints(cls) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _describe(tp) -> str:
    origin = get_origin(tp)
    if origin is Literal:
        return " | ".join(repr(a) for a in get_args(tp))
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(a) for a in get_args(tp))
    if origin is list:
        return f"list of {_describe(get_args(tp)[0])}"
    if origin is dict:
        return "mapping"
    if tp is type(None):
        return "null"
    return getattr(tp, "__name__", str(tp))


def _coerce(value: Any, tp, file: str, key: str) -> Any:
    """Check ``value`` against the annotation ``tp``; convert the few safe cases.
    Errors read ``<file>: key '<dotted.key[0]>': expected ..., got ...``."""
    origin = get_origin(tp)

    def fail(expected: str) -> ConfigError:
        return ConfigError(f"{file}: key '{key}': expected {expected}, got {value!r}")

    if tp is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        for arg in get_args(tp):
            try:
                return _coerce(value, arg, file, key)
            except ConfigError as e:
                if dataclasses.is_dataclass(arg) and isinstance(value, dict):
                    raise e  # the mapping was meant for the dataclass: report the inner error
        raise fail(_describe(tp))
    if tp is type(None):
        if value is None:
            return None
        raise fail("null")
    if origin is Literal:
        if value in get_args(tp):
            return value
        raise fail(f"one of {_describe(tp)}")
    if origin in (list, tuple):
        if isinstance(value, str | bytes) or not isinstance(value, list | tuple):
            raise fail(_describe(tp))
        (item_tp, *_) = get_args(tp) or (Any,)
        return [_coerce(v, item_tp, file, f"{key}[{i}]") for i, v in enumerate(value)]
    if origin is dict or tp is dict:
        if not isinstance(value, dict):
            raise fail("a mapping")
        return dict(value)
    if dataclasses.is_dataclass(tp):
        if isinstance(value, tp):
            return value
        if not isinstance(value, dict):
            raise fail(f"a mapping of {tp.__name__} fields")
        return from_dict(tp, value, file, prefix=f"{key}.")
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise fail("true or false")
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise fail("an integer")
    if tp is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        raise fail("a number")
    if tp is str:
        if isinstance(value, str):
            return value
        raise fail("a string")
    if isinstance(tp, type) and isinstance(value, tp):
        return value
    raise fail(_describe(tp))


def from_dict(cls: type[T], data: dict, where: str = "config", prefix: str = "") -> T:
    """Build a config dataclass from a mapping; unknown keys and wrong types are errors."""
    hints = _hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ConfigError(
            f"{where}: unknown key '{prefix}{unknown[0]}' for {cls.__name__} "
            f"(valid keys: {', '.join(sorted(fields))})"
        )
    kwargs = {k: _coerce(v, hints[k], where, f"{prefix}{k}") for k, v in data.items()}
    try:
        obj = cls(**kwargs)
    except TypeError as e:  # a required field left out
        raise ConfigError(f"{_place(where, cls, prefix)}: {e}") from None
    validate = getattr(obj, "validate", None)
    if validate is not None:
        try:
            validate()
        except ValueError as e:
            raise ConfigError(f"{_place(where, cls, prefix.rstrip('.'))}: {e}") from None
    return obj


def _place(where: str, cls: type, prefix: str) -> str:
    # without a file, `where` is the class name already: say it once
    inner = prefix or cls.__name__
    return inner if where == inner else f"{where}: {inner}"


def to_dict(obj) -> dict:
    return dataclasses.asdict(obj)


def read_yaml(path: str | Path) -> dict:
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"config file {p} does not exist (pass --config with a YAML path)")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise ConfigError(f"config file {p} is not valid YAML: {e}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file {p}: the top level must be a mapping of keys")
    return data


def load_config(
    cls: type[T], path: str | Path | None = None, *, section: str | None = None, overrides: dict | None = None
) -> T:
    """YAML (or one ``section`` of a pipeline YAML) + dotted ``overrides`` → a validated config."""
    data: dict = {}
    where = cls.__name__
    if path is not None:
        data = read_yaml(path)
        where = str(path)
        if section is not None:
            # A stage reads its own section of a pipeline YAML, never the whole file.
            if section not in data:
                raise ConfigError(
                    f"{path}: no `{section}:` section (sections here: {', '.join(sorted(data)) or 'none'}); "
                    f"put this stage's settings under `{section}:`"
                )
            if not isinstance(data[section], dict):
                raise ConfigError(f"{path}: key '{section}': expected a mapping of {cls.__name__} keys")
            data = dict(data[section])
            where = f"{path} [{section}]"
    for dotted, value in (overrides or {}).items():
        node = data
        *parents, leaf = dotted.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
    return from_dict(cls, data, where)


# --- argparse integration -------------------------------------------------


def _flag_type(tp):
    """The argparse converter for a scalar annotation, or None if it has no flag."""
    origin = get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        return _flag_type(args[0]) if len(args) == 1 else None
    if origin is Literal:
        return str
    if origin is list:
        (item,) = get_args(tp)
        return ("list", item) if item in (str, int, float) else None
    if tp in (str, int, float, bool):
        return tp
    return None


def _parse_bool(s: str) -> bool:
    low = s.lower()
    if low in ("1", "true", "yes", "on"):
        return True
    if low in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {s!r}")


def add_config_arguments(parser: argparse.ArgumentParser, cls, prefix: str = "") -> None:
    """One ``--flag`` per scalar field (nested dataclasses as ``--outer.inner``); default None
    so that only flags given on the command line override the YAML."""
    hints = _hints(cls)
    for f in dataclasses.fields(cls):
        tp = hints[f.name]
        name = f"{prefix}{f.name}"
        if dataclasses.is_dataclass(tp):
            add_config_arguments(parser, tp, prefix=f"{name}.")
            continue
        conv = _flag_type(tp)
        if conv is None:
            continue
        help_text = f.metadata.get("help", "")
        if f.default is not _MISSING:
            default = f.default
        elif f.default_factory is not _MISSING:
            default = f.default_factory()
        else:
            default = None
        help_text = f"{help_text} [{_describe(tp)}; default: {default!r}]"
        flag = "--" + name.replace("_", "-")
        kwargs: dict[str, Any] = {"dest": "cfg:" + name, "default": None, "help": help_text}
        if conv is bool:
            kwargs.update(type=_parse_bool, metavar="BOOL", nargs="?", const=True)
        elif isinstance(conv, tuple):
            kwargs.update(type=conv[1], nargs="+", metavar=conv[1].__name__.upper())
        else:
            kwargs.update(type=conv, metavar=conv.__name__.upper())
            if get_origin(tp) is Literal:
                kwargs["choices"] = list(get_args(tp))
        parser.add_argument(flag, **kwargs)


def mapping_fields(cls, prefix: str = "") -> set[str]:
    """Dotted names of the free-form mapping fields (``training:``), nested ones included."""
    out = set()
    hints = _hints(cls)
    for f in dataclasses.fields(cls):
        tp = hints[f.name]
        args = (
            [a for a in get_args(tp) if a is not type(None)]
            if get_origin(tp) in (typing.Union, types.UnionType)
            else [tp]
        )
        if any(a is dict or get_origin(a) is dict for a in args):
            out.add(prefix + f.name)
        elif dataclasses.is_dataclass(tp):
            out |= mapping_fields(tp, f"{prefix}{f.name}.")
    return out


def _scalar(text: str) -> Any:
    """A flag value as YAML reads it, except that ``1e-5`` is a number (YAML 1.1 wants ``1.0e-5``)."""
    for conv in (int, float):
        try:
            return conv(text)
        except ValueError:
            pass
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def mapping_overrides(cls, argv: list[str], prog: str) -> tuple[dict, list[str]]:
    """Take ``--training.learning_rate 1e-5`` style flags for mapping fields out of ``argv``
    (before argparse, which would read their values as positional inputs); values are read as
    YAML scalars (``1e-5`` a number, ``true`` a boolean). Returns the overrides and the rest."""
    fields = mapping_fields(cls)
    out: dict[str, Any] = {}
    rest: list[str] = []
    i = 0
    while i < len(argv):
        flag = argv[i]
        name, eq, value = flag[2:].partition("=") if flag.startswith("--") else ("", "", "")
        head, dot, key = name.partition(".")
        if not (dot and key and head.replace("-", "_") in fields):
            rest.append(flag)
            i += 1
            continue
        if not eq:
            if i + 1 >= len(argv):
                raise ConfigError(f"{prog}: {flag} needs a value")
            i += 1
            value = argv[i]
        out[f"{head.replace('-', '_')}.{key}"] = _scalar(value)
        i += 1
    return out, rest


def overrides_from_args(args: argparse.Namespace) -> dict:
    return {k[4:]: v for k, v in vars(args).items() if k.startswith("cfg:") and v is not None}


def config_from_args(
    cls: type[T], args: argparse.Namespace, *, section: str | None = None, extra: dict | None = None
) -> T:
    overrides = {**(extra or {}), **overrides_from_args(args)}
    return load_config(cls, getattr(args, "config", None), section=section, overrides=overrides)
