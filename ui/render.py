"""Rendering helpers shared by the pages: charts with alt text and exports, notices, errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from analytics.disclosure import for_circulation
from analytics.errors import AuditDataError
from analytics.export.tables import with_intervals
from analytics.narrative import escape_markdown
from analytics.views import ChartView
from ui import auth, data, filters, tables
from ui.exports import chart_downloads, screen_view


def synthetic_notice() -> None:
    """Say plainly when the store holds the synthetic sample."""
    manifest = data.manifest()
    if manifest.get("synthetic"):
        st.info(manifest.get("notice", "Synthetic sample data."), icon="ℹ️")


def show_chart(view: ChartView, key: str) -> None:
    """Render a chart, its one-sentence alt text, its data and its export buttons (for
    circulation, the chart and its words as circulated). An empty selection's chart is its
    message alone."""
    if view.empty_message is not None:
        st.info(escape_markdown(view.empty_message))
        return
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
        rows = tables.chart_rows(_chart_data(view, filters.suppress_below()))
        tables.show(rows, tables.chart_columns(view.name, rows), titles=data.query("theme_choices"),
                    key=f"data_{key}")  # fmt: skip
    chart_downloads(view, key)


def _chart_data(view: ChartView, threshold: int | None) -> pd.DataFrame:
    """The chart's data with the intervals its export adds, suppressed for circulation as its
    exports are (so the screen and the file withhold the same cells)."""
    return _suppressed_rows(view.name, view.data, threshold, data.store().fingerprint())


@st.cache_data(show_spinner=False, max_entries=256)
def _suppressed_rows(
    name: str, frame: pd.DataFrame, threshold: int | None, fingerprint: str
) -> pd.DataFrame:
    del fingerprint  # part of the key only; suppression solves small linear programmes
    return for_circulation(with_intervals(name, frame), name, threshold)


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
