"""The Data page's Streamlit side of importing: uploads as sources, progress, one check per file."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import pandas as pd
import streamlit as st

from analytics import audit_trail as trail
from analytics import export, ingest
from analytics.access import ROLES
from analytics.domain import Filters
from analytics.errors import AuditDataError
from analytics.ingest.reading import import_sha256
from analytics.report_doc.wording import counted
from ui import auth, data, tables
from ui.exports import recorded_download

PREVIEW_KEY = "import_preview"
MESSAGE_KEY = "import_message"
UPLOADER_KEY = "import_uploader_generation"


def sources(uploads: Sequence[Any]) -> list[ingest.Source]:
    """Return Streamlit's uploaded files as import sources (name and bytes)."""
    return [ingest.Source(upload.name, upload.getvalue()) for upload in uploads]


def uploader_key() -> str:
    """Return the file uploader's key; a new key after an import empties the uploader."""
    return f"import_upload_{st.session_state.get(UPLOADER_KEY, 0)}"


def progress_bar(label: str) -> tuple[Any, Callable[[float, str], None]]:
    """Return a status box and a callback that moves its progress bar."""
    status = st.status(label, expanded=False)
    bar = status.progress(0.0)

    def report(fraction: float, text: str) -> None:
        bar.progress(min(max(fraction, 0.0), 1.0), text=text)

    return status, report


def _tracker_args(tracker: Any) -> dict[str, Any]:
    # A tracker's mapping and round; the template's call stays as it was.
    return {} if tracker is None else {"tracker": tracker}


def _tracker_key(tracker: Any) -> tuple[str, str] | None:
    return None if tracker is None else (tracker.mapping.digest, tracker.round_id)


def preview(files: list[ingest.Source], replace: bool, tracker: Any = None) -> ingest.Preview:
    """Return the check of these files against the current store, computed once per version
    (and, for a tracker, per mapping and round)."""
    key = (import_sha256(files), replace, data.store().fingerprint(), _tracker_key(tracker))
    cached = st.session_state.get(PREVIEW_KEY)
    if cached is not None and cached[0] == key:
        return cached[1]
    status, report = progress_bar("Checking the file…")
    with status:
        result = ingest.preview(
            data.data_dir(), files, replace=replace, progress=report, **_tracker_args(tracker)
        )
    status.update(label="Checked", state="complete" if result.ok else "error")
    st.session_state[PREVIEW_KEY] = (key, result)
    return result


def run_import(
    files: list[ingest.Source], replace: bool, accept_incomplete: bool = False, tracker: Any = None
) -> None:
    """Import the files (the page reruns afterwards and shows the message); with
    `accept_incomplete`, its incomplete rounds are accepted too (recorded); a tracker is imported
    with its mapping and round (which the import saves)."""
    status, report = progress_bar("Importing…")
    with status:
        result = ingest.import_files(
            data.data_dir(), files, replace=replace, actor=auth.current_actor(), progress=report,
            accept_incomplete=accept_incomplete, **_tracker_args(tracker),
        )  # fmt: skip
    message = result.message
    if tracker is not None and result.changed:
        message += (
            f"\nThe mapping {tracker.mapping.name!r} is saved: next round, the same layout goes "
            "straight to the preview."
        )
    st.session_state[MESSAGE_KEY] = ("success", message)
    st.session_state[UPLOADER_KEY] = st.session_state.get(UPLOADER_KEY, 0) + 1
    st.session_state.pop(PREVIEW_KEY, None)


def show_problems(table: pd.DataFrame) -> None:
    """The problem table of a refused file, and its download."""
    st.error(
        f"This file cannot be imported: {counted(len(table), 'problem')}. Nothing has been "
        "changed. Correct them in the file and upload it again."
    )
    # Masked values stay masked; rows tall enough for a fix text of five lines.
    tables.show(table, tables.PROBLEMS, key="import_problems", lines=5)
    st.download_button(
        "Download the problems (CSV)",
        ingest.problems_csv(table),
        file_name="import-problems.csv",
        mime="text/csv",
        key="problems_download",
    )


def run_accept(theme_id: str, round_id: str) -> None:
    """Accept one incomplete round held back (the page reruns afterwards and shows the message)."""
    result = ingest.accept_rounds(
        data.data_dir(), [(theme_id, round_id)], actor=auth.current_actor()
    )
    st.session_state[MESSAGE_KEY] = ("success", result.message)
    st.session_state.pop(PREVIEW_KEY, None)


def show_completeness(per_round: pd.DataFrame) -> None:
    """Show the preview's standards answered per round."""
    under = f"no: under {ingest.completeness.THRESHOLD_TEXT}"
    shown = per_round.assign(complete=per_round["complete"].map(lambda ok: "yes" if ok else under))
    tables.show(shown, tables.COMPLETENESS, titles=data.query("theme_choices"),
                key="preview_completeness", lines=1)  # fmt: skip


def show_fewest(fewest: pd.DataFrame) -> None:
    """Show the cases with the fewest standards answered."""
    tables.show(fewest, tables.FEWEST_ANSWERED, titles=data.query("theme_choices"),
                key="preview_fewest", lines=1)  # fmt: skip


def rounds_listed(rounds: pd.DataFrame) -> str:
    """Return rounds as "theme title / round, theme title / round"."""
    titles = data.query("theme_choices")
    return ", ".join(
        f"{titles.get(t, t)} / {r}"
        for t, r in zip(rounds["theme_id"], rounds["round_id"], strict=True)
    )


def run_undo(import_id: str) -> None:
    """Undo one import (the page reruns afterwards and shows the message)."""
    result = ingest.undo_import(data.data_dir(), import_id, actor=auth.current_actor())
    st.session_state[MESSAGE_KEY] = ("success", result.message)
    st.session_state.pop(PREVIEW_KEY, None)


def show_message() -> None:
    """Show (once) what the last import or undo did, as plain text."""
    message = st.session_state.pop(MESSAGE_KEY, None)
    if message is not None:
        kind, text = message
        (st.success if kind == "success" else st.error)("Done." if kind == "success" else "Failed.")
        st.text(text)


def template_maker(theme: str | None) -> Callable[[], bytes]:
    """Return what makes the import template (for a theme, or every theme), for a deferred
    download: built only when someone clicks, from the store's newest catalogue (where an import
    goes, even on a page shown `as_of` an older snapshot), as the `template` command does."""
    return partial(ingest.template_workbook, data.data_dir(), theme)


def audit_trail() -> tuple[pd.DataFrame, str | None]:
    """Return every recorded import, undo, export and refusal, newest first (the trail as
    committed now, past the snapshot the page reads), or why it could not be read."""
    current = data.store()
    try:
        return trail.read_trail(current.where, lake=current.lake), None
    except AuditDataError as error:
        return pd.DataFrame(), str(error)


def show_trail(events: pd.DataFrame) -> None:
    """Show the audit trail as a user reads it: roles by their labels, themes by their titles."""
    roles = events["role"].map(lambda r: ROLES[r].label if r in ROLES else r)
    tables.show(events.assign(role=roles), tables.AUDIT_TRAIL, titles=data.query("theme_choices"),
                key="audit_trail")  # fmt: skip


def trail_download(events: pd.DataFrame) -> None:
    """Offer the audit trail as CSV; taking it is itself an export, recorded like any other."""
    name = "audit-insight-audit-trail.csv"
    header = [("Audit Insight", "audit trail"), ("Events", str(len(events)))]
    recorded_download(
        st, "Download the audit trail (CSV)", partial(export.table_csv, header, events),
        file_name=name, mime="text/csv", key="audit_trail_download",
        theme=None, chosen=Filters(), threshold=None,
    )  # fmt: skip
