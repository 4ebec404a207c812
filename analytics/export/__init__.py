"""Exports for executive meetings: chart images, the data behind each chart, the slide pack.

Importing this package also registers `python -m analytics export`.
"""

from __future__ import annotations

from analytics.export import command as _command  # noqa: F401  (registers the CLI command)
from analytics.export.circulation import export_view, stamp_text
from analytics.export.formats import (
    FORMATS,
    MIME_TYPES,
    export_bytes,
    file_name,
    view_bytes,
)
from analytics.export.pack import DEFAULT_MARKING, NO_QUOTES, build_pack, pack_charts
from analytics.export.recorded import recorded_export
from analytics.export.suppression import SUPPRESSED, for_circulation, mode_text
from analytics.export.tables import (
    chart_csv,
    chart_table,
    chart_xlsx,
    export_table,
    header_block,
    neutralise,
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
    "SUPPRESSED",
    "build_pack",
    "chart_csv",
    "chart_table",
    "chart_xlsx",
    "export_bytes",
    "export_table",
    "export_view",
    "file_name",
    "for_circulation",
    "header_block",
    "mode_text",
    "neutralise",
    "pack_charts",
    "recorded_export",
    "screen_table",
    "stamp_text",
    "table_csv",
    "theme_titles",
    "typed",
    "view_bytes",
]
