"""Rendering helpers shared by the pages: charts with alt text and exports, notices, errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from analytics.errors import AuditDataError
from analytics.views import ChartView
from ui import auth, data
from ui.exports import chart_downloads, screen_view, suppressed_table
from ui.tables import export_column_config

PERCENT = st.column_config.NumberColumn(format="percent")


def synthetic_notice() -> None:
    """Say plainly when the store holds the synthetic sample."""
    manifest = data.manifest()
    if manifest.get("synthetic"):
        st.info(manifest.get("notice", "Synthetic sample data."), icon="ℹ️")


def show_chart(view: ChartView, key: str) -> None:
    """Render a chart, its one-sentence alt text, its data and its export buttons (for
    circulation, the chart and its words as circulated)."""
    shown = screen_view(view)
    config: dict[str, Any] = {
        "toImageButtonOptions": {"filename": _file_name(view), "format": "png"}
    }
    if auth.auth_configured():
        # With sign-in, images leave through the PNG/SVG buttons, which check the role and are
        # recorded in the audit trail; plotly's own button would bypass both.
        config = {"modeBarButtonsToRemove": ["toImage"]}
    st.plotly_chart(shown.figure, key=f"chart_{key}", config=config)
    st.text(shown.alt_text)  # a description from the numbers, for every reader
    with st.expander("Data behind this chart"):
        table = suppressed_table(view)
        st.dataframe(
            table, hide_index=True, key=f"data_{key}", column_config=export_column_config(table)
        )
    chart_downloads(view, key)


def _file_name(view: ChartView) -> str:
    parts = [view.name, view.theme_id or "all-themes", *view.filters.quadrants]
    return "-".join(parts)


def guarded(render: Callable[[], Any]) -> Any:
    """Run a page body; show a user-facing error (no traceback) for bad input or a bad store."""
    try:
        return render()
    except AuditDataError as error:
        st.error(str(error))
        st.stop()
