"""Export buttons: every chart as PNG, SVG, CSV and XLSX, and the slide pack of the current view.

Thin on purpose: the bytes come from analytics.export. Chart downloads pass a callable to
st.download_button (deferred: Streamlit runs it only when the button is clicked, on its own
thread), so no image or workbook is made on a rerun that nobody downloads.
"""

from __future__ import annotations

from functools import partial

import pandas as pd
import streamlit as st

from analytics import export
from analytics.errors import AuditDataError
from analytics.images import image_export_available
from analytics.views import ChartView
from ui import data, filters

CHART_FORMATS: tuple[tuple[str, str], ...] = (
    ("png", "PNG"),
    ("svg", "SVG"),
    ("csv", "CSV"),
    ("xlsx", "XLSX"),
)


def suppressed_table(view: ChartView) -> pd.DataFrame:
    """Return the chart's data as shown on screen and exported (suppressed for circulation)."""
    return export.screen_table(view, filters.suppress_below())


def chart_downloads(view: ChartView, key: str) -> None:
    """Draw a compact row of PNG, SVG, CSV and XLSX download buttons for one chart."""
    threshold = filters.suppress_below()
    store = data.store()
    images_ok, reason = image_export_available()
    formats = [(f, label) for f, label in CHART_FORMATS if images_ok or f not in ("png", "svg")]
    columns = st.columns([1] * len(formats) + [8 - len(formats)], gap="small")
    for column, (fmt, label) in zip(columns, formats, strict=False):
        column.download_button(
            label,
            data=partial(export.view_bytes, store, view, fmt, threshold),
            file_name=export.file_name(fmt, view.theme_id, view.name, view.filters),
            mime=export.MIME_TYPES[fmt],
            key=f"dl_{key}_{fmt}",
            on_click="ignore",
            help=_help(fmt, threshold),
        )
    notes = [] if images_ok else [reason]
    if threshold is not None:
        notes.append(f"Data downloads: {export.mode_text(threshold)}.")
    if notes:
        columns[-1].caption(" ".join(notes))


def _help(fmt: str, threshold: int | None) -> str:
    if fmt in ("png", "svg"):
        return f"The chart as shown, as {fmt.upper()}."
    return f"The numbers behind the chart as {fmt.upper()} ({export.mode_text(threshold)})."


def pack_button(theme: str | None, key: str) -> None:
    """Offer the slide pack (PPTX) of the current view: build it with progress, then download."""
    images_ok, reason = image_export_available()
    if not images_ok:
        st.caption(f"Slide pack unavailable: {reason}")
        return
    threshold = filters.suppress_below()
    chosen = filters.current()
    store = data.store()
    marking = st.text_input(
        "Protective marking", value=export.DEFAULT_MARKING, max_chars=60, key=f"{key}_marking"
    )
    wanted = (theme, chosen, threshold, marking, store.fingerprint())
    state_key = f"{key}_built"
    if st.button("Build slide pack", key=f"{key}_build", type="primary"):
        with st.status("Building the slide pack…", expanded=True) as status:
            bar = st.progress(0.0, text="Starting")
            try:
                pack = export.build_pack(
                    store, theme, chosen, threshold, marking,
                    progress=lambda fraction, message: bar.progress(fraction, text=message),
                )  # fmt: skip
            except AuditDataError as error:
                status.update(label="The slide pack could not be built", state="error")
                st.error(str(error))
                return
            status.update(label="Slide pack ready", state="complete", expanded=False)
        st.session_state[state_key] = (wanted, pack)
    built = st.session_state.get(state_key)
    if built is None:
        st.caption(f"Mode: {export.mode_text(threshold)}.")
        return
    if built[0] != wanted:
        st.caption("The view changed since the pack was built: build it again.")
        return
    st.download_button(
        "Download slide pack (PPTX)",
        data=built[1],
        file_name=export.file_name("pptx", theme, None, chosen),
        mime=export.MIME_TYPES["pptx"],
        key=f"{key}_download",
        on_click="ignore",
    )
    st.caption(f"Mode: {export.mode_text(threshold)}.")
