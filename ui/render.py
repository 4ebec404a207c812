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
from analytics.narrow_charts import for_narrow_column
from analytics.views import ChartView
from ui import data, filters, screen, tables
from ui.exports import chart_downloads, screen_view

# Two gaps in Streamlit's own markup (axe-core 4.14, WCAG 2.2 AA):
# - a collapsed sidebar (where Streamlit puts the navigation on a narrow screen) is moved off
#   screen but its links stay in the Tab order: hidden, they are skipped until it is opened;
# - a date box's day and month are 18 px wide targets: WCAG 2.5.8 asks for 24 px.
# And the column-width probe (ui/screen.py) takes no room.
PAGE_STYLE = """<style>
[data-testid="stSidebar"][data-collapsed="true"] { visibility: hidden; }
.st-key-column_width, .st-key-layout_narrow, .st-key-layout_wide { display: none; }
[data-testid="stDateInput"] [role="spinbutton"] {
  display: inline-block; min-width: 24px; min-height: 24px; text-align: center;
}
</style>"""


def page_style() -> None:
    """Add the dashboard's few style rules to the page (no visible element)."""
    st.html(PAGE_STYLE)


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
    # No plotly toolbar: the export buttons below do its job (checked by role and recorded in the
    # audit trail when sign-in is on), and its eight buttons would sit in the Tab order.
    config: dict[str, Any] = {"displayModeBar": False}
    figure = for_narrow_column(shown.figure) if screen.narrow() else shown.figure
    st.plotly_chart(figure, key=f"chart_{key}", config=config)
    st.text(shown.alt_text)  # a description from the numbers, for every reader
    chart_downloads(view, key)  # next in the Tab order after the filters' last control
    with st.expander("Data behind this chart"):
        rows = tables.chart_rows(_chart_data(view, filters.suppress_below()))
        tables.show(rows, tables.chart_columns(view.name, rows), titles=data.query("theme_choices"),
                    key=f"data_{key}")  # fmt: skip


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


def guarded(render: Callable[[], Any]) -> Any:
    """Run a page body; show a user-facing error (no traceback) for bad input or a bad store."""
    try:
        return render()
    except AuditDataError as error:
        st.error(str(error))
        st.stop()
