"""The package is shaped like the workflow, and its imports point down the stages.

Why: a reader should find a stage's code where `workflow/rules/` puts the stage, and a change to a
late stage (a figure, a table) must never be able to break an early one (data, training). The
order below is the DAG's: data -> psd -> nets -> training -> evaluation -> study -> figures and
tables -> the command line. A module may import its own subpackage and anything below it; figures
and tables stand side by side and import neither each other.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "workflow" / "bcgan"

# rank of each top-level part of bcgan; equal ranks may not import each other
RANK = {
    "errors": 0, "io": 1, "memory": 1, "variants": 1,
    "data": 2, "psd": 3, "nets": 4, "training": 5, "evaluation": 6, "study": 7,
    "figures": 8, "tables": 8,
    "config": 9, "resources": 9, "plan": 9,
    "bench": 10, "cli": 11, "__main__": 12,
}
STAGES = ("data", "psd", "nets", "training", "evaluation", "study")


def _part(module: str) -> str:
    """'bcgan.nets.models' -> 'nets'; 'bcgan' itself -> '' (the version only)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        name = ".".join(rel.parts).removesuffix(".__init__")
        yield name, path


def _imports(path: Path):
    """(line, imported module, names) of every bcgan import in a file, function-level ones included."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "bcgan":
            yield node.lineno, node.module, [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "bcgan":
                    yield node.lineno, alias.name, []


def test_every_part_of_the_package_has_a_rank():
    parts = {_part(name) for name, _ in _modules()} - {""}
    assert parts == set(RANK), f"unranked: {parts - set(RANK)}, missing: {set(RANK) - parts}"


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_is_a_subpackage_with_a_one_line_docstring(stage):
    init = PACKAGE / stage / "__init__.py"
    doc = ast.get_docstring(ast.parse(init.read_text()))
    assert doc and "\n" not in doc, f"{init}: a one-line docstring"


def test_imports_point_down_the_stages():
    backwards = []
    for name, path in _modules():
        here = _part(name)
        for line, target, _ in _imports(path):
            there = _part(target)
            if there in ("", here):
                continue
            if RANK[there] >= RANK.get(here, 99):
                backwards.append(f"{path.relative_to(PACKAGE.parent)}:{line} ({here}) imports {target} ({there})")
    assert not backwards, "imports that point up or sideways:\n" + "\n".join(backwards)


def test_every_bcgan_import_resolves():
    """Function-level imports included: the move left no name behind."""
    missing = []
    for _, path in _modules():
        for line, target, names in _imports(path):
            module = importlib.import_module(target)
            for n in names:
                if not hasattr(module, n):
                    try:
                        importlib.import_module(f"{target}.{n}")
                    except ImportError:
                        missing.append(f"{path.name}:{line} {target}.{n}")
    assert not missing, missing
