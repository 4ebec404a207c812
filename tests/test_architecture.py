"""The layering rule: pages -> analytics -> store, and analytics never imports Streamlit."""

from __future__ import annotations

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
