"""The layering rule: pages -> analytics -> store, and analytics never imports Streamlit."""

from __future__ import annotations

import ast
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import analytics

ROOT = Path(__file__).resolve().parent.parent


def test_analytics_imports_without_streamlit():
    modules = [f"analytics.{m.name}" for m in pkgutil.iter_modules(analytics.__path__)]
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}:\n"
        "    if m != 'analytics.__main__': importlib.import_module(m)\n"
        "assert 'streamlit' not in sys.modules, 'analytics imported streamlit'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr


def test_no_sql_or_duckdb_in_the_ui_layer():
    ui_files = [ROOT / "app.py", *sorted((ROOT / "app_pages").glob("*.py"))]
    for path in ui_files:
        text = path.read_text()
        assert "duckdb" not in text, path
        assert not re.search(r"\bSELECT\b.*\bFROM\b", text), path


def test_no_pages_folder_beside_the_entry_script():
    # Streamlit takes a folder named pages/ beside app.py for its legacy multipage mode, and a
    # server's first visitor following a deep link then gets "Page not found" (app_pages/ instead).
    assert not (ROOT / "pages").exists()
    assert sorted(p.name for p in (ROOT / "app_pages").glob("*.py")) == [
        "across_themes.py", "actions.py", "data.py", "overview.py", "theme.py"]  # fmt: skip


def test_every_query_states_grain_and_params():
    for sql in sorted((ROOT / "analytics" / "queries").glob("*.sql")):
        first = sql.read_text().splitlines()[0]
        assert first.startswith("-- grain:") and "params:" in first, sql.name


# Frame reshaping and import fallbacks have no place in a page (STYLE.md principle 3).
RESHAPING = re.compile(r"\.(set_index|groupby|pivot|pivot_table|merge|melt|unstack)\(|\bzip\(")
# app_pages/data.py still looks up one count with set_index (reported to its owner).
NOT_YET_THIN = {"data.py"}


def test_pages_are_thin():
    for path in sorted((ROOT / "app_pages").glob("*.py")):
        text = path.read_text()
        assert "except ImportError" not in text, path
        assert "import pandas" not in text, path
        if path.name not in NOT_YET_THIN:
            assert not RESHAPING.search(text), (path, RESHAPING.search(text))


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_graph(packages: tuple[str, ...]) -> dict[str, set[str]]:
    """Return module -> the modules of `packages` it imports, anywhere in its code (an import
    inside a function still joins the two at run time)."""
    paths = {_module_name(p): p for pkg in packages for p in (ROOT / pkg).rglob("*.py")}

    def known(name: str) -> str | None:
        while name and name not in paths:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {name: set() for name in paths}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets = [known(alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*up, base] if base else up)
                targets = [known(f"{base}.{alias.name}") or known(base) for alias in node.names]
            else:
                continue
            graph[name].update(t for t in targets if t and t != name)
    return graph


def _cycles(graph: dict[str, set[str]]) -> set[frozenset[str]]:
    """Return the strongly connected groups of more than one node (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: set[frozenset[str]] = set()

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                found.add(frozenset(group))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def _packages_of(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    # analytics.export.tables -> analytics.export: importing a module runs its package first.
    def top(name: str) -> str:
        return ".".join(name.split(".")[:2])

    joined: dict[str, set[str]] = {top(n): set() for n in graph}
    for name, targets in graph.items():
        joined[top(name)].update(top(t) for t in targets if top(t) != top(name))
    return joined


def test_no_import_cycle_anywhere():
    graph = _import_graph(("analytics", "ui", "app_pages", "benchmark"))
    assert _cycles(graph) == set()
    assert _cycles(_packages_of(graph)) == set()
    # Disclosure control sits below the exports and the report, which import it, never above.
    assert not graph["analytics.ingest"] & {m for m in graph if m.startswith("analytics.export")}


def test_the_command_line_imports_its_commands_and_nothing_imports_it():
    graph = _import_graph(("analytics", "ui", "app_pages", "benchmark"))
    importers = {
        m for m, targets in graph.items() if any(t.startswith("analytics.cli") for t in targets)
    }
    assert {m for m in importers if not m.startswith("analytics.cli")} == {"analytics.__main__"}


def test_nothing_imports_the_entry_scripts():
    # app.py and asgi.py sit above every layer; import-linter reads packages only, so this
    # test keeps them out of every package's imports.
    entry = {"app", "asgi"}
    paths = [
        p
        for pkg in ("analytics", "ui", "app_pages", "benchmark")
        for p in (ROOT / pkg).rglob("*.py")
    ]
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            assert not {n.split(".")[0] for n in names} & entry, path


def test_no_analytics_module_starts_a_higher_layer():
    # A child process is an import by other means: `-m ui.serve` from analytics would tie the
    # engine to the dashboard. Only the benchmark, a tool at the edge, starts the dashboard.
    started = re.compile(r"""["']-m["'],\s*["']([\w.]+)""")
    runs = {
        (path.relative_to(ROOT).as_posix(), module)
        for path in sorted((ROOT / "analytics").rglob("*.py"))
        for module in started.findall(path.read_text())
    }
    higher = {(p, m) for p, m in runs if m.split(".")[0] in {"ui", "app_pages", "app", "benchmark"}}
    # `python -m analytics bench`, the documented command, hands the whole run to the edge tool.
    assert higher == {("analytics/cli/bench.py", "benchmark")}


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == {frozenset("abc")}
    assert _cycles({"a": {"b"}, "b": set()}) == set()


def test_the_test_folders_mirror_the_packages():
    # tests/analytics/ingest/trackers/ tests analytics/ingest/trackers/; tests/pages/ the pages
    # (app_pages/: the same name would join that namespace package), tests/browser/ every layer.
    outside = {"fixtures", "artifacts", "__pycache__", "browser"}
    folders = [
        p.relative_to(ROOT / "tests")
        for p in (ROOT / "tests").rglob("*")
        if p.is_dir() and not outside & set(p.relative_to(ROOT / "tests").parts)
    ]
    assert folders, "the tests are in folders"
    for folder in folders:
        package = ROOT / ("app_pages" if folder.parts[0] == "pages" else folder)
        assert package.is_dir(), f"tests/{folder} mirrors no package"
        assert list((ROOT / "tests" / folder).glob("test_*.py")) or any(
            p.is_dir() for p in (ROOT / "tests" / folder).iterdir()
        ), f"tests/{folder} holds no test"
    left = [p.name for p in (ROOT / "tests").glob("test_*.py")]
    assert left == ["test_architecture.py"], "every other test sits beside what it tests"
