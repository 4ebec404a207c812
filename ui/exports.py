"""Export buttons: every chart as PNG, SVG, CSV and XLSX, and the slide pack of the current view.

Thin on purpose: the bytes come from analytics.export. Chart downloads pass a callable to
st.download_button (deferred: Streamlit runs it only when the button is clicked, on its own
thread), so no image or workbook is made on a rerun that nobody downloads.

The slide pack takes two clicks, build then download, because building it shows progress: a
deferred download callable runs outside the script, where Streamlit ignores every st command
(st.download_button's documentation, Streamlit 1.67), so a one-click pack could show only the
button's own busy state for the several seconds a pack takes.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import pandas as pd
import streamlit as st

from analytics import audit_trail, disclosure, export
from analytics.access import Permission
from analytics.domain import Filters
from analytics.errors import AuditDataError
from analytics.images import image_export_available
from analytics.views import ChartView
from ui import auth, data, filters

NO_EXPORT_TEXT = "Exports need the inspection lead, leadership or analyst role."

CHART_FORMATS: tuple[tuple[str, str], ...] = (
    ("png", "PNG"),
    ("svg", "SVG"),
    ("csv", "CSV"),
    ("xlsx", "XLSX"),
)


def screen_view(view: ChartView) -> ChartView:
    """Return the chart as the screen shows it: for circulation, redrawn from the suppressed
    table (as its exports are), so nothing on screen gives away a withheld count."""
    threshold = filters.suppress_below()
    if threshold is None:
        return view
    store = data.store()
    shown = _suppressed(view.name, view.data, threshold, store.fingerprint())
    return disclosure.export_view(view, threshold, export.theme_titles(store), shown)


@st.cache_data(show_spinner=False, max_entries=256)
def _suppressed(name: str, frame: pd.DataFrame, threshold: int, fingerprint: str) -> pd.DataFrame:
    del fingerprint  # part of the key only
    return disclosure.for_circulation(frame, name, threshold)


def overview_table(chosen: Filters) -> pd.DataFrame:
    """Return the overview's theme table: as queried, or as circulated."""
    table = data.query("overview_table", chosen)
    threshold = filters.suppress_below()
    if threshold is None:
        return table
    summary = data.query("theme_summary", chosen)
    return _circulated_overview(table, summary, threshold, data.store().fingerprint())


@st.cache_data(show_spinner=False, max_entries=64)
def _circulated_overview(
    table: pd.DataFrame, summary: pd.DataFrame, threshold: int, fingerprint: str
) -> pd.DataFrame:
    del fingerprint  # part of the key only
    return disclosure.overview_for_circulation(table, summary, threshold)


def circulated(name: str, table: pd.DataFrame) -> pd.DataFrame:
    """Return a table the page shows (named as a chart in analytics.chart_specs.CHARTS, or in
    disclosure.suppression.TABLE_RULES) with its small counts withheld for circulation, or as it
    is."""
    threshold = filters.suppress_below()
    if threshold is None:
        return table
    return _suppressed(name, table, threshold, data.store().fingerprint())


def actions_table(actions: pd.DataFrame) -> pd.DataFrame:
    """Return the actions with their before/after measures, withheld where small for
    circulation."""
    threshold = filters.suppress_below()
    return actions if threshold is None else disclosure.actions_for_circulation(actions, threshold)


def export_blocked() -> str | None:
    """Return why this session cannot export (its role, or a store that is read-only here and
    so cannot record exports), or None: the buttons then say so instead of failing when
    clicked."""
    if not auth.can(Permission.EXPORT):
        return NO_EXPORT_TEXT
    try:
        audit_trail.require_writable(data.store().lake, "export")
    except AuditDataError as error:
        return str(error).replace(" Nothing was exported.", "")
    return None


def built_with_progress(
    running: str, done: str, failed: str, build: Callable[[Callable[[float, str], None]], bytes]
) -> bytes | None:
    """Run build(progress) in a status box with a progress bar; return its bytes, or None after
    showing why it could not be made (a pack, a report: several seconds, so the user sees each
    step)."""
    with st.status(running, expanded=True) as status:
        bar = st.progress(0.0, text="Starting")
        try:
            made = build(lambda share, text: bar.progress(min(max(share, 0.0), 1.0), text=text))
        except AuditDataError as error:
            status.update(label=failed, state="error")
            st.error(str(error))
            return None
        status.update(label=done, state="complete", expanded=False)
    return made


def recorded_download(
    place: Any,
    label: str,
    make: Callable[[], bytes],
    *,
    file_name: str,
    mime: str,
    key: str,
    theme: str | None,
    chosen: Filters,
    threshold: int | None,
    tooltip: str | None = None,
) -> None:
    """Draw a download button (in `place`: st, a column) whose bytes are made when clicked, by
    export.recorded_export: the session's role is checked again and the export recorded."""
    place.download_button(
        label,
        data=partial(
            export.recorded_export, data.store(), auth.current_actor(), make,
            what=file_name, theme=theme, filters=chosen, threshold=threshold,
        ),  # the actor is bound now: the click runs on a thread of its own
        file_name=file_name,
        mime=mime,
        key=key,
        on_click="ignore",
        help=tooltip,
    )  # fmt: skip


def chart_downloads(view: ChartView, key: str) -> None:
    """Draw a compact row of PNG, SVG, CSV and XLSX download buttons for one chart."""
    blocked = export_blocked()
    if blocked:
        st.caption(blocked)
        return
    threshold = filters.suppress_below()
    store = data.store()
    images_ok, reason = image_export_available()
    formats = [(f, label) for f, label in CHART_FORMATS if images_ok or f not in ("png", "svg")]
    # A row that stays a row on a phone (columns would stack one button per line).
    row = st.container(horizontal=True, gap="small")
    for fmt, label in formats:
        name = export.file_name(fmt, view.theme_id, view.name, view.filters, threshold=threshold)
        recorded_download(
            row, label, partial(export.view_bytes, store, view, fmt, threshold),
            file_name=name, mime=export.MIME_TYPES[fmt], key=f"dl_{key}_{fmt}",
            theme=view.theme_id, chosen=view.filters, threshold=threshold,
            tooltip=_help(fmt, threshold),
        )  # fmt: skip
    notes = [] if images_ok else [reason]
    if threshold is not None:
        notes.append(f"Data downloads: {disclosure.mode_text(threshold)}.")
    if notes:
        st.caption(" ".join(notes))


def _help(fmt: str, threshold: int | None) -> str:
    if fmt in ("png", "svg"):
        return f"The chart as shown, as {fmt.upper()}."
    return f"The numbers behind the chart as {fmt.upper()} ({disclosure.mode_text(threshold)})."


def pack_button(
    theme: str | None, key: str, compare_round: str | None = None, marking: str = ""
) -> None:
    """Offer the slide pack (PPTX) of the current view: build it with progress, then download.

    `compare_round` is the round the page's round trend compares with (default: the one before);
    `marking` the protective marking printed on every slide.
    """
    blocked = export_blocked()
    if blocked:
        st.caption(blocked)
        return
    images_ok, reason = image_export_available()
    if not images_ok:
        st.caption(f"Slide pack unavailable: {reason}")
        return
    threshold = filters.suppress_below()
    chosen = filters.current()
    store = data.store()
    wanted = (theme, chosen, threshold, marking, compare_round, store.fingerprint())
    state_key = f"{key}_built"
    if st.button("Build slide pack", key=f"{key}_build", type="primary"):
        pack = built_with_progress(
            "Building the slide pack…", "Slide pack ready", "The slide pack could not be built",
            lambda progress: export.build_pack(
                store, theme, chosen, threshold, marking, progress=progress,
                compare_round=compare_round,
            ),
        )  # fmt: skip
        if pack is None:
            return
        st.session_state[state_key] = (wanted, pack)
    built = st.session_state.get(state_key)
    if built is None:
        st.caption(f"Mode: {disclosure.mode_text(threshold)}.")
        return
    if built[0] != wanted:
        st.caption("The view changed since the pack was built: build it again.")
        return
    name = export.file_name("pptx", theme, None, chosen, threshold=threshold)
    recorded_download(
        st, "Download slide pack (PPTX)", lambda: built[1],
        file_name=name, mime=export.MIME_TYPES["pptx"], key=f"{key}_download",
        theme=theme, chosen=chosen, threshold=threshold,
    )  # fmt: skip
    st.caption(f"Mode: {disclosure.mode_text(threshold)}.")


def actions_downloads(
    as_of: Any, theme: str | None, owners: tuple[str, ...], statuses: tuple[str, ...], key: str
) -> None:
    """Draw CSV and XLSX download buttons for the actions tracker's view, recorded like a
    chart's (with its header block; for circulation, small measures withheld)."""
    blocked = export_blocked()
    if blocked:
        st.caption(blocked)
        return
    threshold = filters.suppress_below()
    chosen = filters.current()
    row = st.container(horizontal=True, gap="small", vertical_alignment="center")
    for fmt in ("csv", "xlsx"):
        name = export.file_name(fmt, theme, "actions", chosen, threshold=threshold)
        recorded_download(
            row, fmt.upper(),
            partial(export.actions_bytes, data.store(), fmt, as_of, theme, owners, statuses,
                    chosen, threshold),
            file_name=name, mime=export.MIME_TYPES[fmt], key=f"dl_{key}_{fmt}",
            theme=theme, chosen=chosen, threshold=threshold,
            tooltip=f"The actions as shown, as {fmt.upper()} ({disclosure.mode_text(threshold)}).",
        )  # fmt: skip
    row.caption(f"Data downloads: {disclosure.mode_text(threshold)}.")
