"""Exports for executive meetings: chart images, the data behind each chart, the slide pack.

`python -m analytics export` is analytics/cli/export.py. The slide pack's module
(python-pptx) loads on first use of build_pack, pack_charts or NO_QUOTES: a page that shows
charts should not pay for it at start-up.
"""

from __future__ import annotations

import importlib
from typing import Any

from analytics.domain import DEFAULT_MARKING
from analytics.export.formats import (
    FORMATS,
    MIME_TYPES,
    actions_bytes,
    export_bytes,
    file_name,
    view_bytes,
)
from analytics.export.recorded import recorded_export
from analytics.export.tables import (
    chart_csv,
    chart_table,
    chart_xlsx,
    export_table,
    header_block,
    screen_table,
    table_csv,
    theme_titles,
    typed,
)

__all__ = [
    "DEFAULT_MARKING",
    "FORMATS",
    "MIME_TYPES",
    "NO_QUOTES",
    "actions_bytes",
    "build_pack",
    "chart_csv",
    "chart_table",
    "chart_xlsx",
    "export_bytes",
    "export_table",
    "file_name",
    "header_block",
    "pack_charts",
    "recorded_export",
    "screen_table",
    "table_csv",
    "theme_titles",
    "typed",
    "view_bytes",
]

_PACK_NAMES = frozenset({"build_pack", "pack_charts", "NO_QUOTES"})


def __getattr__(name: str) -> Any:
    if name in _PACK_NAMES:
        return getattr(importlib.import_module("analytics.export.pack"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
