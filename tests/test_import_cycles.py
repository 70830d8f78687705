"""No import circle between the package's modules (module-level imports, read with ``ast``).

An import inside a function runs when the function is called, not when the module loads, and
an import under ``if TYPE_CHECKING:`` never runs; neither can make a circle at import time, so
both are left out. ``from pkg import name`` counts as an import of ``pkg.name`` when that is a
module, else of ``pkg`` (its ``__init__``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import rustworkx as rx

import qar_qiskit

ROOT = Path(qar_qiskit.__file__).resolve().parent
PKG = "qar_qiskit"


def _module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _module_level_imports(tree: ast.Module):
    """Import nodes that run when the module loads (top level, inside try/if, not TYPE_CHECKING)."""
    stack = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If):
            stack.extend(node.orelse if _is_type_checking(node.test) else node.body + node.orelse)
        elif isinstance(node, ast.Try):
            stack.extend(node.body + node.orelse + node.finalbody + [n for h in node.handlers for n in h.body])
        elif isinstance(node, (ast.With,)):
            stack.extend(node.body)


class ImportGraph:
    """module -> the package modules it imports at load time (a rustworkx digraph)."""

    def __init__(self, names) -> None:
        self.graph = rx.PyDiGraph()
        self.index = {name: self.graph.add_node(name) for name in names}

    def add_edge(self, a: str, b: str) -> None:
        if not self.has_edge(a, b):
            self.graph.add_edge(self.index[a], self.index[b], None)

    def has_edge(self, a: str, b: str) -> bool:
        return self.graph.has_edge(self.index[a], self.index[b])

    def number_of_edges(self) -> int:
        return self.graph.num_edges()

    def cycles(self) -> list[list[str]]:
        return [[self.graph[i] for i in c] for c in rx.simple_cycles(self.graph)]


def import_graph(root: Path = ROOT) -> ImportGraph:
    """module -> the package modules it imports at load time."""
    files = {_module_name(p, root): p for p in root.rglob("*.py")}
    graph = ImportGraph(files)
    for name, path in files.items():
        is_pkg = path.name == "__init__.py"
        for node in _module_level_imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                if node.level:  # relative: resolve against this module's package
                    base = name.split(".")[: len(name.split(".")) - node.level + (1 if is_pkg else 0)]
                    mod = ".".join(base + ([node.module] if node.module else []))
                else:
                    mod = node.module or ""
                targets = [f"{mod}.{a.name}" if f"{mod}.{a.name}" in files else mod for a in node.names]
            for target in targets:
                while target and target not in files and "." in target:
                    target = target.rsplit(".", 1)[0]
                if target in files and target != name and target.startswith(PKG):
                    graph.add_edge(name, target)
    return graph


def test_the_graph_sees_known_edges():
    """The reader is not vacuous: edges that exist in the source are found."""
    g = import_graph()
    assert g.has_edge("qar_qiskit.system.qar", "qar_qiskit.settings")
    assert g.has_edge("qar_qiskit.backtest.runner", "qar_qiskit.backtest.report")
    assert g.has_edge("qar_qiskit.system.persistence", "qar_qiskit.system.learner")
    assert g.number_of_edges() > 50


def test_no_import_cycle():
    cycles = import_graph().cycles()
    assert not cycles, "import circles: " + "; ".join(" -> ".join(c + [c[0]]) for c in cycles[:10])


def test_a_cycle_is_detected(tmp_path):
    """The check fails on a circle (two modules importing each other at module level)."""
    pkg = tmp_path / PKG
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from qar_qiskit import b\n")
    (pkg / "b.py").write_text("import qar_qiskit.a\n\ndef f():\n    from qar_qiskit import c\n")
    (pkg / "c.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from qar_qiskit import b\n")
    cycles = import_graph(pkg).cycles()
    assert [sorted(c) for c in cycles] == [["qar_qiskit.a", "qar_qiskit.b"]]


if __name__ == "__main__":  # pragma: no cover
    pytest.main([__file__])
