"""Data: what is loaded, the data contract, the import template, loading a round, the history,
and (for analysts) the audit trail."""

from __future__ import annotations

import streamlit as st

from analytics import ingest
from analytics.access import Permission
from analytics.errors import AuditDataError, ImportRefused
from ui import auth, data, importing, render, tables, tracker_mapping

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def page() -> None:
    """Render the Data page."""
    st.title("Data", anchor=False)
    st.caption("What the dashboard holds, how to load an audit round, and every import so far.")
    manifest = data.manifest()
    if manifest.get("synthetic"):
        st.info(manifest["notice"])
    importing.show_message()
    analyst = auth.can(Permission.IMPORT)
    loaded(analyst)
    held_back(analyst)
    contract()
    load_round(analyst)
    history(analyst)
    if analyst:
        trail()


def loaded(analyst: bool) -> None:
    """The rounds in the store and the themes (where the store is: for analysts only)."""
    st.header("What is loaded", anchor=False)
    contents = data.query("store_contents")
    titles = data.query("theme_choices")
    tables.show(contents, tables.STORE_CONTENTS, titles=titles, key="store_contents", lines=1)
    tables.show(data.query("themes"), tables.THEMES, key="themes", lines=1)
    st.text(data.store_caption(show_location=analyst))


def held_back(may_accept: bool) -> None:
    """Incomplete rounds held back from the default round, the Overview and trends, with the
    analyst's accept button."""
    held = data.query("held_rounds")
    if held.empty:
        return
    threshold = ingest.completeness.THRESHOLD_TEXT
    titles = data.query("theme_choices")
    st.warning(
        f"{len(held)} incomplete round(s) held back: under {threshold} of their cases' standards "
        "are answered, so they are not the default round, not on the Overview and not in trends "
        "until accepted. They can still be chosen in the filter bar (marked incomplete)."
    )
    for record in held.itertuples(index=False):
        share = ingest.completeness.percent(record.answered_share)
        name = f"{titles.get(record.theme_id, record.theme_id)} / {record.label}"
        st.text(
            f"{name}: {record.cases} cases, {record.answered} of {record.expected} standards "
            f"answered ({share}); import {record.import_id}."
        )
        if may_accept and st.button(
            f"Accept {name} as it is",
            key=f"accept_{record.theme_id}_{record.round_id}",
            help="Counts it like a complete round from now on; recorded with your name.",
        ):
            try:
                importing.run_accept(record.theme_id, record.round_id)
            except AuditDataError as error:
                st.error("The round could not be accepted.")
                st.text(str(error))
            else:
                st.rerun()


def contract() -> None:
    """The data contract in brief, from the code that enforces it."""
    with st.expander("The data contract: tables, import sheets and allowed values"):
        tables.show(ingest.store_tables(), tables.CONTRACT_TABLES, key="contract_tables", lines=4)
        tables.show(ingest.sheet_summary(), tables.CONTRACT_SHEETS, key="contract_sheets", lines=1)
        tables.show(ingest.contract_summary(), tables.CONTRACT_COLUMNS, key="contract_columns")
        tables.show(ingest.allowed_values(), tables.CONTRACT_VALUES, key="contract_values")
        st.caption(
            "Columns that carry personal data (names, dates of birth, addresses, postcodes, NHS "
            "numbers, phone numbers, emails) are refused. child_ref is a pseudonymous reference."
        )


def load_round(analyst: bool) -> None:
    """Template, upload, check, preview or problems, confirm (upload for analysts only)."""
    st.header("Load an audit round", anchor=False)
    st.write(
        "Fill in the template (one row per case on *cases*, one per case and question on "
        "*responses*), then upload it; or upload the tracker your team keeps (a row per case, a "
        "column per standard): its columns are mapped to the standards once, and the mapping is "
        "saved for next round. The whole file is checked first: if anything is wrong, nothing "
        "is imported and every problem is listed."
    )
    titles = data.query("theme_choices")
    theme = st.selectbox(
        "Template drop-downs for",
        [None, *titles],
        key="template_theme",
        format_func=lambda t: "every theme" if t is None else titles.get(t, t),
    )
    st.download_button(
        "Download the import template (XLSX)",
        importing.template_maker(theme),
        file_name=f"audit-import-template{'-' + theme if theme else ''}.xlsx",
        mime=XLSX,
        key="template_download",
        on_click="ignore",  # nothing on the page changes: no rerun
    )
    if not analyst:
        st.info("Loading and undoing audit rounds needs the QA analyst role.")
        return
    uploads = st.file_uploader(
        "Audit round: the template (.xlsx, or CSV files named cases.csv, responses.csv…), "
        "or your own tracker (.xlsx or .csv files)",
        type=["xlsx", "csv"],
        accept_multiple_files=True,
        key=importing.uploader_key(),
        max_upload_size=ingest.DEFAULT_MAX_MB,  # the importer's own limit (and the template's)
    )
    replace = st.checkbox(
        "Replace rounds already loaded",
        key="import_replace",
        help="A round that already holds cases is replaced only when ticked; "
        "the replaced data is kept and comes back if you undo.",
    )
    if not uploads:
        return
    files = importing.sources(uploads)
    tracker = None
    if not ingest.is_template(files):  # a QA team's own tracker: map it first
        tracker = tracker_mapping.choose(files)
        if tracker is None:
            return
    result = importing.preview(files, replace, tracker)
    if result.already_imported:
        st.info("This file is already imported (an identical file): there is nothing to do.")
        st.text(f"Import {result.already_imported}")
        return
    if not result.ok:
        problems(result.problems)
        return
    st.subheader("What would be imported", anchor=False)
    titles = data.query("theme_choices")  # a new theme has no title yet: its id is shown
    tables.show(result.counts, tables.PREVIEW_COUNTS, key="preview_counts", lines=1)
    for frame, columns, key in (
        (result.rounds, tables.PREVIEW_ROUNDS, "preview_rounds"),
        (result.quadrants, tables.PREVIEW_QUADRANTS, "preview_quadrants"),
        (result.questions, tables.PREVIEW_QUESTIONS, "preview_questions"),
        (result.themes, tables.PREVIEW_THEMES, "preview_themes"),
    ):
        if len(frame):
            lines = 3 if key == "preview_questions" else 1  # a standard's wording wraps
            tables.show(frame, columns, titles=titles, key=key, lines=lines)
    if tracker is not None:
        tracker_mapping.show_tracker_preview(result)
    if result.ignored_columns:
        st.caption(
            "Columns not imported:" if tracker else "Columns not in the template, not imported:"
        )
        st.text("\n".join(result.ignored_columns))
    accept = completeness(result)
    cases = int(result.counts.set_index("what")["rows"].get("cases", 0))
    if st.button(f"Import {cases} cases", type="primary", key="import_confirm"):
        try:
            importing.run_import(files, replace, accept_incomplete=accept, tracker=tracker)
        except ImportRefused as refused:  # the store changed since the check
            problems(refused.problems)
        except AuditDataError as error:  # the store could not be written: nothing changed
            st.error("The import failed. Nothing has been changed.")
            st.text(str(error))
        else:
            tracker_mapping.forget()
            st.rerun()


def completeness(result: ingest.Preview) -> bool:
    """How many of each case's standards the file answers; for an incomplete round, the tick
    that accepts it. Return whether the analyst accepted the incomplete rounds."""
    if result.completeness.empty:
        return False
    threshold = ingest.completeness.THRESHOLD_TEXT
    st.subheader("Standards answered", anchor=False)
    st.caption(
        "A standard is answered when the case has a row for it on responses (Met, Partially met, "
        f"Not met or Not applicable). A round needs {threshold} of its cases' standards answered."
    )
    importing.show_completeness(result.completeness)
    short = result.fewest_answered
    short = short[short["answered"] < short["standards"]]
    if len(short):
        st.caption("Cases with the fewest standards answered:")
        importing.show_fewest(short)
    incomplete = result.incomplete
    if incomplete.empty:
        return False
    listed = importing.rounds_listed(incomplete)
    st.warning(
        f"Incomplete: {listed} (under {threshold} of standards answered). Imported as it is, it "
        "is held back from the default round, the Overview and trends until accepted here or "
        "later on this page."
    )
    return st.checkbox(
        "Accept this incomplete round",
        key="import_accept_incomplete",
        help="It then counts like a complete round; your acceptance is recorded with the round "
        "and in the audit trail.",
    )


def problems(table) -> None:
    """The problem table of a refused file, and its download."""
    importing.show_problems(table)


def history(may_change: bool) -> None:
    """Every import, newest first, with undo (for analysts) where it can be undone exactly."""
    st.header("Import history", anchor=False)
    current = data.store()
    imports = ingest.import_history(current.where, lake=current.lake)
    if imports.empty:
        st.caption("No imports yet.")
        return
    titles = data.query("theme_choices")
    shown = tables.show(imports, tables.IMPORT_HISTORY, titles=titles, key="import_history")
    for record, rounds in zip(imports.itertuples(index=False), shown["Rounds"], strict=True):
        if not (may_change and record.can_undo):
            continue
        with st.popover(f"Undo {record.import_id}"):
            st.text(f"{record.import_id}: {record.file_name}, {record.cases} cases ({rounds}).")
            st.caption("Removes what this import loaded and restores what it replaced.")
            if st.button("Confirm undo", key=f"undo_{record.import_id}"):
                try:
                    importing.run_undo(record.import_id)
                except AuditDataError as error:
                    st.error("This import cannot be undone.")
                    st.text(str(error))
                else:
                    st.rerun()


def trail() -> None:
    """The audit trail: every import, undo and export, who did it, when, with which filters."""
    st.header("Audit trail", anchor=False)
    events, problem = importing.audit_trail()
    if problem:
        st.warning(problem)
        return
    if events.empty:
        st.caption("Nothing recorded yet.")
        return
    importing.show_trail(events)
    importing.trail_download(events)


render.guarded(page)
