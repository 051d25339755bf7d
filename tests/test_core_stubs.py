"""``python/xlrm/_core.pyi`` against the built extension ``xlrm._core``.

The stub is what editors and type checkers see, and it is written by hand; this test catches
it drifting from the Rust bindings. Every public submodule, class, function, method and
attribute of the extension must be in the stub and the other way round, and where the
extension exposes a ``__text_signature__`` (PyO3 writes one for every function and
constructor) the stub's parameters must match it: names, order, kind (positional or
keyword-only) and defaults.

A ``.pyi`` cannot declare submodules inline, so the stub writes each submodule
(``xlrm._core.text``) as a class whose functions are static methods; the test reads it that way.
"""

from __future__ import annotations

import ast
import inspect
import types
from pathlib import Path

import pytest

from xlrm import _core

STUB = Path(__file__).resolve().parents[1] / "python" / "xlrm" / "_core.pyi"
_NO_DEFAULT = inspect.Parameter.empty
# stub ast argument groups → inspect's kinds
_KINDS = (
    ("posonlyargs", inspect.Parameter.POSITIONAL_ONLY),
    ("args", inspect.Parameter.POSITIONAL_OR_KEYWORD),
    ("kwonlyargs", inspect.Parameter.KEYWORD_ONLY),
)


def _public(names) -> set[str]:
    return {n for n in names if not n.startswith("_")}


def _stub_members(body: list[ast.stmt]) -> dict[str, ast.AST]:
    """Name → node for the definitions of a module or class body (type aliases such as
    ``_Chunk`` are private and left out by the callers)."""
    out: dict[str, ast.AST] = {}
    for node in body:
        if isinstance(node, ast.ClassDef | ast.FunctionDef):
            out[node.name] = node
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            out[node.target.id] = node
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    out[target.id] = node
    return out


def _default(node: ast.expr | None):
    if node is None:
        return _NO_DEFAULT
    if isinstance(node, ast.Constant) and node.value is Ellipsis:
        return Ellipsis  # "some default": nothing to compare
    return ast.literal_eval(node)


def _stub_params(fn: ast.FunctionDef, drop_first: bool) -> list[tuple[str, str, object]]:
    a = fn.args
    positional = [*a.posonlyargs, *a.args]
    defaults = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
    out = []
    i = 0
    for group, kind in _KINDS:
        for arg in getattr(a, group):
            default = defaults[i] if group != "kwonlyargs" else a.kw_defaults[a.kwonlyargs.index(arg)]
            if group != "kwonlyargs":
                i += 1
            out.append((arg.arg, kind.name, _default(default)))
    if a.vararg:
        out.insert(len(positional), (a.vararg.arg, "VAR_POSITIONAL", _NO_DEFAULT))
    if a.kwarg:
        out.append((a.kwarg.arg, "VAR_KEYWORD", _NO_DEFAULT))
    return out[1:] if drop_first else out


def _ext_params(obj, drop_first: bool) -> list[tuple[str, str, object]] | None:
    if not getattr(obj, "__text_signature__", None):
        return None
    params = [(p.name, p.kind.name, p.default) for p in inspect.signature(obj).parameters.values()]
    return params[1:] if drop_first else params


def _same_default(a, b) -> bool:
    # 0 == False in Python; a stub that says `= False` where Rust takes `= 0` is still wrong
    return a is Ellipsis or b is Ellipsis or (type(a) is type(b) and a == b)


def _compare_params(where: str, ext, stub, problems: list[str]) -> int:
    """Appends any difference; returns 1 when a signature was compared, else 0."""
    if ext is None:
        return 0
    if [(n, k) for n, k, _ in ext] != [(n, k) for n, k, _ in stub]:
        problems.append(f"{where}: parameters {_show(stub)} in the stub, {_show(ext)} in the extension")
        return 1
    for (name, _, want), (_, _, got) in zip(ext, stub, strict=True):
        if not _same_default(want, got):
            problems.append(f"{where}: default of {name!r} is {got!r} in the stub, {want!r} in the extension")
    return 1


def _show(params) -> str:
    out: list[str] = []
    for i, (name, kind, default) in enumerate(params):
        if kind == "KEYWORD_ONLY" and (i == 0 or params[i - 1][1] not in ("KEYWORD_ONLY", "VAR_POSITIONAL")):
            out.append("*")
        prefix = {"VAR_POSITIONAL": "*", "VAR_KEYWORD": "**"}.get(kind, "")
        out.append(prefix + name + ("" if default is _NO_DEFAULT else f"={default!r}"))
        if kind == "POSITIONAL_ONLY" and (i + 1 == len(params) or params[i + 1][1] != "POSITIONAL_ONLY"):
            out.append("/")
    return "(" + ", ".join(out) + ")"


def _is_static(fn: ast.FunctionDef) -> bool:
    return any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in fn.decorator_list)


def _compare_class(where: str, cls: type, node: ast.ClassDef, problems: list[str]) -> int:
    members = _stub_members(node.body)
    compared = 0
    if "__init__" in members:
        init = members["__init__"]
        compared += _compare_params(f"{where}()", _ext_params(cls, False), _stub_params(init, True), problems)
    elif getattr(cls, "__text_signature__", None):
        problems.append(f"{where}: constructor {cls.__text_signature__} has no __init__ in the stub")
    ext_names = _public(vars(cls))
    for name in sorted(ext_names - _public(members)):
        problems.append(f"{where}.{name}: in the extension, not in the stub")
    for name in sorted(_public(members) - ext_names):
        problems.append(f"{where}.{name}: in the stub, not in the extension")
    for name in sorted(ext_names & _public(members)):
        attr, stub = vars(cls)[name], members[name]
        if callable(attr) and not isinstance(attr, types.GetSetDescriptorType):
            if not isinstance(stub, ast.FunctionDef):
                problems.append(f"{where}.{name}: a method in the extension, not a def in the stub")
                continue
            compared += _compare_params(
                f"{where}.{name}", _ext_params(attr, True), _stub_params(stub, True), problems
            )
        elif isinstance(stub, ast.FunctionDef) and not any(
            isinstance(d, ast.Name) and d.id == "property" for d in stub.decorator_list
        ):
            problems.append(f"{where}.{name}: an attribute in the extension, a method in the stub")
    return compared


def _compare_module(
    where: str, module: types.ModuleType, body: list[ast.stmt], nested: bool, problems
) -> int:
    """``nested``: the module is a submodule, written in the stub as a class of static methods."""
    members = _stub_members(body)
    ext_names = _public(dir(module))
    compared = 0
    for name in sorted(ext_names - _public(members)):
        problems.append(f"{where}.{name}: in the extension, not in the stub")
    for name in sorted(_public(members) - ext_names):
        problems.append(f"{where}.{name}: in the stub, not in the extension")
    for name in sorted(ext_names & _public(members)):
        obj, stub, at = getattr(module, name), members[name], f"{where}.{name}"
        if isinstance(obj, types.ModuleType):
            if not isinstance(stub, ast.ClassDef):
                problems.append(f"{at}: a submodule in the extension; the stub should write it as a class")
                continue
            compared += _compare_module(at, obj, stub.body, True, problems)
        elif isinstance(obj, type):
            if not isinstance(stub, ast.ClassDef):
                problems.append(f"{at}: a class in the extension, not a class in the stub")
                continue
            compared += _compare_class(at, obj, stub, problems)
        elif callable(obj):
            if not isinstance(stub, ast.FunctionDef):
                problems.append(f"{at}: a function in the extension, not a def in the stub")
                continue
            if nested and not _is_static(stub):
                problems.append(f"{at}: a submodule function must be a @staticmethod in the stub")
            compared += _compare_params(at, _ext_params(obj, False), _stub_params(stub, False), problems)
        elif not isinstance(stub, ast.AnnAssign | ast.Assign):
            problems.append(f"{at}: a value in the extension, not a variable in the stub")
    return compared


def stub_differences(module: types.ModuleType, stub_source: str) -> tuple[list[str], int]:
    """Every difference between ``module`` and the stub text, and how many signatures were compared."""
    problems: list[str] = []
    body = ast.parse(stub_source).body
    compared = _compare_module(module.__name__, module, body, False, problems)
    if hasattr(module, "__version__") and "__version__" not in _stub_members(body):
        problems.append(f"{module.__name__}.__version__: in the extension, not in the stub")
    return problems, compared


def test_stub_matches_the_extension():
    problems, compared = stub_differences(_core, STUB.read_text(encoding="utf-8"))
    assert problems == []
    # every function and constructor PyO3 binds carries a signature: none compared means the
    # walk above saw nothing, not that the stub is right
    assert compared >= 20


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        # a function the stub forgot
        (("    def bfd(", "    def bfd_gone("), ["xlrm._core.pack.bfd: in the extension", "pack.bfd_gone: in the stub"]),
        # a parameter renamed
        (("lengths: npt.NDArray[np.int64], capacity: int, *", "sizes: npt.NDArray[np.int64], capacity: int, *"),
         ["xlrm._core.pack.bfd: parameters (sizes, capacity, *, oversize='error') in the stub, "
          "(lengths, capacity, *, oversize='error') in the extension"]),
        # a default that is not Rust's
        (("oversize: str = \"error\"\n    ) -> tuple", "oversize: str = \"drop\"\n    ) -> tuple"),
         ["xlrm._core.pack.bfd: default of 'oversize' is 'drop' in the stub, 'error' in the extension"]),
        # keyword-only in Rust, positional in the stub
        (("def __init__(self, *, nonfinite", "def __init__(self, nonfinite"), ["stats.NormAccumulator(): parameters"]),
        # a method and an attribute that do not exist
        (("        num_groups: int\n", "        num_groups: int\n        size: int\n        def reset(self) -> None: ...\n"),
         ["NormAccumulator.reset: in the stub", "NormAccumulator.size: in the stub"]),
        # a submodule function without @staticmethod
        (("    @staticmethod\n    def lsh_params(", "    def lsh_params("), ["dedup.lsh_params: a submodule function must be"]),
    ],
)  # fmt: skip
def test_stub_check_reports_each_kind_of_drift(edit, expected):
    """The check itself: a stub edited in one way is reported for that edit."""
    source = STUB.read_text(encoding="utf-8")
    old, new = edit
    assert source.count(old) == 1, f"the stub no longer contains {old!r}; update this test's edit"
    problems, _ = stub_differences(_core, source.replace(old, new))
    assert problems, "the edited stub was not reported"
    for want in expected:
        assert any(want in p for p in problems), (want, problems)
