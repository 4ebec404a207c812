"""One entry point per output format, shared by the dashboard's buttons and the command line."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from analytics import queries, views
from analytics.disclosure.circulation import actions_for_circulation, export_view, stamped
from analytics.domain import DEFAULT_MARKING, Filters
from analytics.export.tables import (
    actions_export_table,
    actions_header,
    chart_csv,
    chart_xlsx,
    data_source,
    table_csv,
    table_xlsx,
    theme_titles,
)
from analytics.export.text import xml_safe
from analytics.images import DEFAULT_WIDTH, figure_image, with_description
from analytics.store import Store
from analytics.views import ChartView

FORMATS: tuple[str, ...] = ("png", "svg", "csv", "xlsx", "pptx")
MIME_TYPES: dict[str, str] = {
    "png": "image/png",
    "svg": "image/svg+xml",
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",  # report
}
# PNG at twice the pixels stays sharp on a projector; SVG is vector, so its nominal size is 1x.
IMAGE_SCALE: dict[str, float] = {"png": 2, "svg": 1}


def view_bytes(store: Store, view: ChartView, fmt: str, threshold: int | None = None) -> bytes:
    """Return one chart as PNG, SVG, CSV or XLSX.

    Images are the chart as on screen, stamped with the mode; for circulation, redrawn from the
    suppressed table (analytics.disclosure.circulation).
    """
    if fmt in IMAGE_SCALE:
        figure = stamped(export_view(view, threshold, views.theme_titles(store)).figure, threshold)
        image = figure_image(figure, fmt, width=DEFAULT_WIDTH, scale=IMAGE_SCALE[fmt])
        return with_description(image, fmt, xml_safe(f"Data source: {data_source(store)}"))
    if fmt == "csv":
        return chart_csv(store, view, threshold)
    if fmt == "xlsx":
        return chart_xlsx(store, view, threshold)
    raise ValueError(f"Unknown chart format {fmt!r}. Allowed: png, svg, csv, xlsx.")


def actions_bytes(
    store: Store,
    fmt: str,
    as_of: dt.date,
    theme: str | None = None,
    owners: tuple[str, ...] = (),
    statuses: tuple[str, ...] = (),
    filters: Filters = queries.ALL,
    threshold: int | None = None,
    made_on: dt.date | None = None,
) -> bytes:
    """Return the actions tracker's view (RAG as of `as_of`) as CSV or XLSX with its header
    block; for circulation, measures on small counts withheld as on screen."""
    actions = queries.action_status(store, as_of, theme, owners, statuses, filters)
    if threshold is not None:
        actions = actions_for_circulation(actions, threshold)
    header = actions_header(store, as_of, theme, filters, threshold, made_on)
    table = actions_export_table(actions, theme_titles(store))
    if fmt == "csv":
        return table_csv(header, table)
    if fmt == "xlsx":
        return table_xlsx(header, table, sheet="Actions")
    raise ValueError(f"Unknown actions format {fmt!r}. Allowed: csv, xlsx.")


def export_bytes(
    store: Store,
    fmt: str,
    theme: str | None,
    filters: Filters,
    chart: str = "quadrant_comparison",
    threshold: int | None = None,
    marking: str = DEFAULT_MARKING,
    progress: Callable[[float, str], None] | None = None,
    compare_round: str | None = None,
) -> bytes:
    """Return what an export button (or `python -m analytics export`) produces for a view.

    `compare_round` is the earlier round of the round trend (default: the one before).
    """
    if fmt == "pptx":
        from analytics.export.pack import build_pack  # python-pptx: only when a pack is made

        return build_pack(
            store, theme, filters, threshold, marking, progress, compare_round=compare_round
        )
    view = views.chart_view(store, chart, theme, filters, compare_round=compare_round)
    return view_bytes(store, view, fmt, threshold)


def file_name(
    fmt: str,
    theme: str | None,
    chart: str | None,
    filters: Filters,
    made_on: dt.date | None = None,
    threshold: int | None = None,
) -> str:
    """Return a download's file name: what it is, for which view, in which mode, made when."""
    parts = ["audit-insight", theme or "all-themes", chart or "slide-pack", *filters.quadrants]
    if filters.round_id:
        parts.append(filters.round_id)
    if threshold is not None:
        parts.append("for-circulation")
    stem = "_".join(re.sub(r"[^A-Za-z0-9.-]+", "-", p) for p in parts)
    return f"{stem}_{(made_on or dt.date.today()).isoformat()}.{fmt}"
