"""The package shows the data flow: its top level holds only the subpackages and a few files,
imports point one way (no circle between modules or between subpackages, lazy imports inside
functions included), and no module grows past ~400 lines."""

from __future__ import annotations

import ast
from collections import defaultdict
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "hepreint"
TOP_FILES = {"__init__.py", "__main__.py", "errors.py", "_version.py"}
#: modules still over the limit, each with the issue that splits it
LONG: set[str] = set()


def _modules() -> dict[str, Path]:
    out = {}
    for f in PKG.rglob("*.py"):
        rel = f.relative_to(PKG.parent).with_suffix("")
        parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
        out[".".join(parts)] = f
    return out


def _graph() -> dict[str, set[str]]:
    mods = _modules()
    edges: dict[str, set[str]] = defaultdict(set)
    for name, f in mods.items():
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for a in node.names:
                    sub = f"{node.module}.{a.name}"
                    target = sub if sub in mods else node.module
                    if target in mods and target != name:
                        edges[name].add(target)
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.name in mods and a.name != name:
                        edges[name].add(a.name)
    return edges


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_top_level_holds_only_subpackages() -> None:
    files = {p.name for p in PKG.iterdir() if p.is_file() and p.suffix == ".py"}
    assert files == TOP_FILES
    for d in PKG.iterdir():
        if d.is_dir() and d.name != "__pycache__" and d.name != "_data":
            assert (d / "__init__.py").is_file(), f"{d} is not a package"


def test_no_relative_imports() -> None:
    bad = [
        f"{f.relative_to(PKG)}:{n.lineno}"
        for f in PKG.rglob("*.py")
        for n in ast.walk(ast.parse(f.read_text(encoding="utf-8")))
        if isinstance(n, ast.ImportFrom) and n.level
    ]
    assert not bad


def test_modules_import_without_a_circle() -> None:
    try:
        tuple(TopologicalSorter(_graph()).static_order())
    except CycleError as exc:
        pytest.fail(f"import circle: {' -> '.join(exc.args[1])}")


def test_subpackages_import_without_a_circle() -> None:
    deps: dict[str, set[str]] = defaultdict(set)
    for a, targets in _graph().items():
        for b in targets:
            pa, pb = _package(a), _package(b)
            if pa and pb and pa != pb and pa != "__main__":
                deps[pa].add(pb)
    try:
        tuple(TopologicalSorter(deps).static_order())
    except CycleError as exc:
        pytest.fail(f"subpackages import each other: {' -> '.join(exc.args[1])}")
    # the flow, spot-checked: results never call up into statistics, exports or validation
    assert not deps["results"] & {"stats", "export", "validation", "cli"}
    assert not deps["engine"] & {"results", "stats", "export", "validation", "cli"}


def test_modules_stay_short() -> None:
    long = {
        str(f.relative_to(PKG)): n
        for f in PKG.rglob("*.py")
        if (n := len(f.read_text(encoding="utf-8").splitlines())) > 420
    }
    assert set(long) <= LONG, f"modules over 420 lines: {long}"
