"""The executive meeting's outputs of a view: the slide pack (ui/exports.py) beside the "draft
the report" button, which builds the thematic overview DOCX with progress and offers it."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from analytics.export import DEFAULT_MARKING, MIME_TYPES
from ui import filters as filter_bar
from ui.data import store
from ui.exports import built_with_progress, export_blocked, pack_button, recorded_download

STATE_PREFIX = "report_doc_"


def _file_name(themes: list[str] | None, today: dt.date) -> str:
    scope = themes[0] if themes and len(themes) == 1 else "thematic-overview"
    return f"{scope.replace('_', '-')}-report-{today:%Y-%m-%d}.docx"


def report_button(themes: list[str] | None, key: str, marking: str = "") -> None:
    """Draw a button that drafts the report (DOCX) for the themes and current filters, then a
    download button for it; `themes` None means every audited theme, `key` keeps widgets apart,
    `marking` is printed at the top and bottom of every page."""
    if export_blocked():
        return  # the slide pack's place on the page already says why not
    current = filter_bar.current()
    threshold = filter_bar.suppress_below()
    # The built document belongs to the selection it was built for: a changed filter or the
    # circulation switch must not offer a stale file.
    wanted = (tuple(themes or ()), current, threshold, marking, store().fingerprint())
    state_key = f"{STATE_PREFIX}{key}"
    label = "Draft the report (Word)" + (" for circulation" if threshold else "")
    if st.button(label, key=f"{state_key}_build", help="A DOCX drafted from the data shown."):
        from analytics.report_doc import build_report  # python-docx: loads on first use

        data = built_with_progress(
            "Drafting the report…", "Report ready", "The report could not be drafted",
            lambda progress: build_report(
                store(), themes, current, threshold, progress=progress, marking=marking
            ),
        )  # fmt: skip
        if data is None:
            return
        st.session_state[state_key] = (wanted, data)
    built = st.session_state.get(state_key)
    if built and built[0] == wanted:
        name = _file_name(themes, dt.date.today())
        theme = themes[0] if themes and len(themes) == 1 else None
        recorded_download(
            st, "Download the report (.docx)", lambda: built[1],
            file_name=name, mime=MIME_TYPES["docx"], key=f"{state_key}_download",
            theme=theme, chosen=current, threshold=threshold,
        )  # fmt: skip


def meeting_outputs(theme: str | None, key: str, compare_round: str | None = None) -> None:
    """The executive meeting's outputs of a view: the slide pack and the drafted report (DOCX);
    `theme` None means every audited theme (the overview)."""
    st.header("For the executive meeting", anchor=False)
    marking = st.text_input(
        "Protective marking", value=DEFAULT_MARKING, max_chars=60, key=f"{key}_marking",
        help="Printed at the top and bottom of every slide and every page of the report.",
    )  # fmt: skip
    left, right = st.columns(2)
    with left:
        pack_button(theme, f"{key}_pack", compare_round, marking)
    with right:
        report_button(None if theme is None else [theme], f"{key}_report", marking)
