"""The Data page's tracker step: a QA team's own spreadsheet, mapped to the data contract.

A saved mapping that recognises the layout is used as it is (the user goes straight to the
preview); one that nearly fits is offered with its differences; otherwise the proposed mapping
is shown as editable tables (fields, standards with their scores, answer words). Every edit
rebuilds the TrackerMapping; the page then previews and imports with it, as for the template.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

import pandas as pd
import streamlit as st
from pydantic import ValidationError

from analytics import ingest
from analytics.domain import GENDERS, GRADES, QUADRANT_LABELS, QUADRANTS, RESPONSES
from analytics.ingest.reading import import_sha256
from analytics.ingest.trackers import layout, model, propose, saved
from analytics.ingest.trackers.apply import TrackerImport, pair_layouts
from analytics.ingest.trackers.model import (
    BLANK_ANSWERS,
    CASE_FIELDS,
    MAX_MAPPING_BYTES,
    REQUIRED_FIELDS,
    MappingRefused,
    TrackerMapping,
    parse_mapping,
)
from analytics.report_doc.wording import counted
from ui import data, importing, tables

READ_KEY = "tracker_read"
PROPOSAL_KEY = "tracker_proposal"
NOT_MAPPED = "(not mapped)"
IGNORED = "(ignored: not imported)"
NO_COLUMN = "(no column)"
NEW_ROUND = "A new round"
FIELD_LABELS = {name: label.capitalize() for name, label in model.FIELD_LABELS.items()}
# What each kind of word can mean (the mapping's dictionaries of the same names).
WORD_MEANINGS: dict[str, tuple[str, ...]] = {
    "answers": RESPONSES,
    "grades": GRADES,
    "genders": GENDERS,
    "quadrants": QUADRANTS,
}
WORD_HEADINGS = {
    "answers": "Answer words",
    "grades": "Grade words",
    "genders": "Gender words",
    "quadrants": "Quadrant words",
}
UNMATCHED_STYLE = "background-color: #FFF3CD; color: #000000; font-weight: 600"


def default_name(files: Sequence[ingest.Source]) -> str:
    """Return a mapping name from the first file's name ("NW_permanency.xlsx" → "NW permanency")."""
    stem = PurePosixPath(files[0].name).stem if files else "tracker"
    return re.sub(r"[\s_]+", " ", stem).strip() or "tracker"


def _read(files: list[ingest.Source]) -> layout.TrackerRead:
    """Return the tracker read from the files, once per set of files."""
    sha = import_sha256(files)
    cached = st.session_state.get(READ_KEY)
    if cached is not None and cached[0] == sha:
        return cached[1]
    read = layout.read_trackers(files, ingest.DEFAULT_MAX_MB)
    st.session_state[READ_KEY] = (sha, read)
    return read


def _proposal(read: layout.TrackerRead, theme: str, name: str) -> propose.Proposal:
    """Return the proposed mapping, once per (files, theme, store version)."""
    key = (read.sha256, theme, name, data.store().fingerprint())
    cached = st.session_state.get(PROPOSAL_KEY)
    if cached is not None and cached[0] == key:
        return cached[1]
    questions = theme_questions(theme)
    with st.spinner("Matching the columns with the theme's standards…"):
        result = propose.propose(read, questions, theme, name)
    st.session_state[PROPOSAL_KEY] = (key, result)
    return result


def theme_questions(theme: str) -> pd.DataFrame:
    """Return the theme's questions (question_id, text)."""
    wording = data.query("questions", theme)
    return pd.DataFrame({"question_id": list(wording), "text": list(wording.values())})


def _saved_mappings() -> list[TrackerMapping]:
    return saved.saved_mappings(data.store())


@dataclass
class Base:
    """The mapping the editor starts from, and where it came from."""

    mapping: TrackerMapping | None
    origin: str  # "proposal" | "saved" | "uploaded"
    edit: bool  # whether the mapping step is shown
    layouts: dict[str, str] = field(default_factory=dict)  # sheet label -> layout source


def choose(files: list[ingest.Source]) -> TrackerImport | None:
    """Render the tracker step; return the mapping and round to preview with, or None while
    something is still to be chosen (or the files cannot be read as a tracker)."""
    st.subheader("A tracker: its columns are mapped to the data contract", anchor=False)
    read = _read(files)
    if not read.sheets:
        importing.show_problems(read.problems.frame({}))
        return None
    base = _starting_mapping(read)
    theme = _theme(base, read)
    if theme is None:
        return None
    round_id = _round(theme)
    name = st.text_input(
        "Mapping name (what the saved mapping is called)",
        value=base.mapping.name if base.mapping is not None else default_name(files),
        key=f"tracker_name_{read.sha256[:12]}",
        help="Saved in the store under this name when you import; used again next round.",
    )
    if base.mapping is None or base.edit:
        proposal = _proposal(read, theme, default_name(files))
        start = base.mapping or proposal.mapping
        if start is None:  # no sheet could be read as a tracker
            importing.show_problems(proposal.problems)
            return None
        mapping = edit_mapping(read, proposal, start, base)
    else:
        mapping = base.mapping
    mapping = _renamed(mapping, name)
    if mapping is None:
        return None
    st.download_button(
        "Download the mapping (JSON)",
        mapping.to_json().encode(),
        file_name=f"{saved.slug(mapping.name)}.json",
        mime="application/json",
        key="tracker_mapping_download",
        help="Edit it and use it again here (above), or on the command line (--mapping).",
    )
    if not round_id:
        st.caption(
            "Round: none typed, so the theme's stored round whose dates hold every audit date, "
            "else a new round named after the first audit's month (YYYY-MM); see the preview."
        )
    return TrackerImport(mapping, round_id, base.layouts)


def _renamed(mapping: TrackerMapping, name: str) -> TrackerMapping | None:
    if name.strip() == mapping.name:
        return mapping
    try:
        return TrackerMapping.model_validate({**mapping.model_dump(mode="json"), "name": name})
    except ValidationError:
        st.error("Give the mapping a name (up to 300 characters).")
        return None


def _starting_mapping(read: layout.TrackerRead) -> Base:
    """An uploaded mapping, else a saved one that recognises the layout, else the proposal."""
    uploaded = _uploaded_mapping()
    if uploaded is not None:
        st.success(f"Using the uploaded mapping: {uploaded.name}.")
        edit = st.checkbox("Edit the mapping", key="tracker_edit_uploaded")
        return Base(uploaded, "uploaded", edit)
    recognition = saved.recognise(read, _saved_mappings())
    found = recognition.mapping
    if found is None:
        st.write(
            "No saved mapping fits this layout. Below is the proposed mapping: check it, change "
            "what is wrong, then import. Confirming the import saves the mapping for next round."
        )
        return Base(None, "proposal", True)
    when = _saved_when(found.name)
    if recognition.exact:
        st.success(f"Recognised: {found.name}{when}. Its saved mapping is used as it is.")
        edit = st.checkbox("Edit the mapping", key="tracker_edit_saved")
        return Base(found, "saved", edit, recognition.layouts)
    if recognition.tied:
        st.warning(recognition.message)
    st.warning(
        f"Nearly the layout of the saved mapping {found.name}{when}: some columns differ. "
        "Columns added are not imported until they are mapped; columns removed are left out."
    )
    tables.show(
        recognition.differences,
        _difference_columns(recognition.differences),
        key="tracker_differences",
        lines=2,
    )
    choice = st.radio(
        "Start from",
        [f"The saved mapping {found.name}", "A new proposal"],
        key="tracker_near_choice",
    )
    if choice.startswith("A new"):
        return Base(None, "proposal", True)
    return Base(found, "saved", True, recognition.layouts)


def _saved_when(name: str) -> str:
    """Say when the mapping was last saved (from the audit trail), or nothing if unknown."""
    events, _ = importing.audit_trail()
    if events.empty:
        return ""
    saves = events[(events["action"] == saved.SAVE_ACTION) & (events["what"] == name)]
    return f", saved {tables.date_time(saves['at'].max())}" if len(saves) else ""


def _difference_columns(frame: pd.DataFrame) -> list[tables.Column]:
    headings = {"sheet": "Sheet", "added": "Columns added", "removed": "Columns removed"}
    return [tables.Column(c, headings.get(c, c.capitalize()), width="wide") for c in frame.columns]


def _uploaded_mapping() -> TrackerMapping | None:
    with st.expander("Use a mapping file you edited (JSON)"):
        upload = st.file_uploader(
            "Mapping file (JSON)",
            type=["json"],
            key="tracker_mapping_upload",
            help="A mapping downloaded from this page or written by python -m analytics map.",
            max_upload_size=max(1, math.ceil(MAX_MAPPING_BYTES / 1_000_000)),
        )
    if upload is None:
        return None
    try:
        return parse_mapping(upload.getvalue(), upload.name)
    except MappingRefused as refused:
        st.error(
            f"The mapping {upload.name} cannot be used: {counted(len(refused.reasons), 'problem')}."
        )
        st.text("\n".join(refused.reasons))
        return None


@st.cache_data(show_spinner=False, max_entries=8)
def _likely_theme(sha256: str, _read: layout.TrackerRead, fingerprint: str) -> str | None:
    """The theme whose standards the headers carry most (cached per file and store version)."""
    titles = data.query("theme_choices")
    questions = pd.concat(
        [theme_questions(theme).assign(theme_id=theme) for theme in titles], ignore_index=True
    )
    return propose.likely_theme(_read, questions)


def _theme(base: Base, read: layout.TrackerRead) -> str | None:
    titles = data.query("theme_choices")
    if base.mapping is not None and base.origin != "proposal":
        theme = base.mapping.theme_id
        if theme not in titles:
            st.error(f"The mapping is for the theme {theme!r}, which the store does not hold.")
            return None
        st.text(f"Theme: {titles[theme]} (from the mapping)")
        return theme
    likely = _likely_theme(read.sha256, read, data.store().fingerprint())
    return st.selectbox(
        "Theme audited in this tracker",
        list(titles),
        index=list(titles).index(likely) if likely in titles else None,
        help="Proposed from the standards the headers carry; change it if it is wrong.",
        format_func=lambda t: titles.get(t, t),
        key="tracker_theme",
        placeholder="Choose the theme",
    )


def _round(theme: str) -> str | None:
    rounds = data.query("rounds", theme)
    labels = dict(zip(rounds["round_id"], rounds["label"], strict=True))
    choice = st.selectbox(
        "Round",
        [NEW_ROUND, *reversed(list(labels))],
        format_func=lambda r: r if r == NEW_ROUND else f"{labels[r]} ({r})",
        key=f"tracker_round_{theme}",
        help="A round the store already knows (its dates check the audit dates), or a new one.",
    )
    if choice != NEW_ROUND:
        return choice
    typed = st.text_input(
        "New round id (e.g. 2021-03)",
        key=f"tracker_new_round_{theme}",
        placeholder="empty: taken from the audit dates",
        help="Created from the tracker's audit dates; what --round takes on the command line. "
        "Left empty, the round is the stored one holding every audit date, else a new round "
        "named after the first audit's month.",
    )
    return typed.strip() or None


# --- the mapping editor -------------------------------------------------------------------


def edit_mapping(
    read: layout.TrackerRead, proposal: propose.Proposal, start: TrackerMapping, base: Base
) -> TrackerMapping | None:
    """Show the mapping as editable tables (per sheet, and the words); return the mapping the
    edits make, or None (with the reason shown) when they make none."""
    st.markdown("**The mapping**")
    st.caption(
        "A standard maps when its header's wording scores at least "
        f"{propose.STANDARD_MATCH_MIN} of 100 against a standard and "
        f"{propose.STANDARD_MATCH_MARGIN} more than the runner-up; anything else is unmatched "
        "until you choose. Every change updates the preview below."
    )
    wording = theme_questions(start.theme_id)
    choices = question_choices(wording)
    version = f"{read.sha256[:10]}_{base.origin}_{start.digest[:10]}"
    # The sheets the mapping has a layout for (a sheet of notes has none: it is listed as not
    # imported in the preview).
    paired = pair_layouts(read.sheets, start, base.layouts)  # as the import will pair them
    pairs = [(s, paired[id(s)]) for s in read.sheets if id(s) in paired]
    containers = st.tabs([s.label for s, _ in pairs]) if len(pairs) > 1 else [st.container()]
    layouts = []
    for number, ((sheet, chosen), box) in enumerate(zip(pairs, containers, strict=True)):
        with box:
            layouts.append(edit_layout(sheet, chosen, proposal, choices, f"{version}_{number}"))
    words = edit_words(proposal.words, start, version)
    blank = st.selectbox(
        "A blank standard cell means",
        list(BLANK_ANSWERS),
        index=list(BLANK_ANSWERS).index(start.blank_answer),
        key=f"tracker_blank_{version}",
    )
    try:
        return mapping_from_edits(start, layouts, words, blank)
    except ValidationError as error:
        st.error("These choices do not make a mapping:")
        st.text("\n".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()))
        return None


def question_choices(questions: pd.DataFrame) -> dict[str, str]:
    """Return each choice of the standards' select box → what it maps to ("PERM-01" or
    "comment:PERM-01"), the choices written as "PERM-01 · wording"."""
    choices = {NOT_MAPPED: "", IGNORED: "ignored"}
    for qid, text in zip(questions["question_id"], questions["text"], strict=True):
        choices[f"{qid} · {text}"] = qid
    for qid in questions["question_id"]:
        choices[f"comment on {qid}"] = f"comment:{qid}"
    return choices


def _sheet_columns(proposal: propose.Proposal, sheet: Any) -> pd.DataFrame:
    columns = proposal.columns
    return columns[columns["sheet"] == sheet.label].reset_index(drop=True)


def fields_frame(sheet: Any, chosen: Any) -> pd.DataFrame:
    """Return the fields table: one row per contract field, the header that gives it."""
    fields = dict(chosen.fields) if chosen is not None else {}
    return pd.DataFrame(
        {
            "Field": [FIELD_LABELS[f] for f in CASE_FIELDS],
            "Needed": [
                "yes"
                if f in REQUIRED_FIELDS
                else ("yes, or given below" if f == "quadrant" else "no")
                for f in CASE_FIELDS
            ],
            "Column": [fields.get(f, NO_COLUMN) for f in CASE_FIELDS],
        }
    )


def standards_frame(
    columns: pd.DataFrame, chosen: Any, choices: dict[str, str], fields: set[str]
) -> pd.DataFrame:
    """Return the standards table: every column that is not a field, what it maps to, its
    score and runner-up, and whether it matched (in words)."""
    by_target = {v: k for k, v in choices.items()}
    standards = dict(chosen.standards) if chosen is not None else {}
    comments = dict(chosen.comments) if chosen is not None else {}
    ignored = set(chosen.ignored) if chosen is not None else set()
    rows = []
    for record in columns.itertuples(index=False):
        header, proposed = record.header, str(record.maps_to)
        taken = chosen is not None and header in chosen.fields.values()
        if proposed in fields or proposed == "refused" or taken:
            continue
        if header in standards:
            target = by_target.get(standards[header], NOT_MAPPED)
        elif header in comments:
            target = by_target.get(f"comment:{comments[header]}", NOT_MAPPED)
        elif header in ignored:
            target = IGNORED
        elif chosen is not None and header not in chosen.headers:
            target = proposed_target(proposed, by_target)  # a column new since it was saved
        else:
            target = NOT_MAPPED
        rows.append(
            {
                "Column": header,
                "Maps to": target,
                "Match": match_words(proposed, record.score),
                "Score": tables.DASH if pd.isna(record.score) else f"{record.score:.0f}",
                "Runner-up": runner_up(record.runner_up, record.runner_up_score),
                "Why": "" if pd.isna(record.why) else str(record.why),
            }
        )
    frame = pd.DataFrame(rows, columns=["Column", "Maps to", "Match", "Score", "Runner-up", "Why"])
    # Unmatched first: they are what a person has to decide.
    order = frame.sort_values("Match", key=lambda s: s != "unmatched", kind="stable")
    return order.reset_index(drop=True)


def proposed_target(proposed: str, by_target: dict[str, str]) -> str:
    """Return the select box's choice for what the proposal says a column maps to."""
    if proposed.startswith("comment on "):
        return by_target.get(f"comment:{proposed.removeprefix('comment on ')}", NOT_MAPPED)
    if proposed in by_target:
        return by_target[proposed]
    return IGNORED if proposed in ("ignored", "unmatched") else NOT_MAPPED


def match_words(proposed: str, score: Any) -> str:
    """Say how the proposal matched a column, in words (never by colour alone)."""
    if proposed == "unmatched":
        return "unmatched"
    if proposed == "ignored":
        return "ignored"
    if proposed.startswith("comment on "):
        return "comment"
    if pd.isna(score):
        return "matched"
    return "matched" if int(score) < 100 else "matched exactly"


def runner_up(question: Any, score: Any) -> str:
    """Write the runner-up as "PERM-02 (71)", or a dash."""
    if question is None or pd.isna(question):
        return tables.DASH
    return f"{question} ({int(score)})" if not pd.isna(score) else str(question)


def _highlight(frame: pd.DataFrame) -> Any:
    return frame.style.map(lambda v: UNMATCHED_STYLE if v == "unmatched" else "", subset=["Match"])


@dataclass
class EditedLayout:
    """What the editor gives for one sheet."""

    source: str
    headers: list[str]
    fields: dict[str, str]
    targets: dict[str, str]  # header → question id, "comment:<id>", "ignored" or ""
    quadrant: str | None
    team: str | None


def edit_layout(
    sheet: Any, chosen: Any, proposal: propose.Proposal, choices: dict[str, str], key: str
) -> EditedLayout:
    """Show one sheet's fields and standards as editable tables; return the edits."""
    headers = list(sheet.headers)
    if sheet.header_rows:
        rows = ", ".join(str(r) for r in sheet.header_rows)
        st.caption(f"{sheet.label}: {len(headers)} columns, header on row(s) {rows}.")
    fields = st.data_editor(
        fields_frame(sheet, chosen),
        column_config={
            "Field": st.column_config.TextColumn("Field", disabled=True, width="medium"),
            "Needed": st.column_config.TextColumn("Needed", disabled=True, width="medium"),
            "Column": st.column_config.SelectboxColumn(
                "Column",
                options=[NO_COLUMN, *headers],
                required=True,
                width="large",
                help="The tracker's column that gives this field",
            ),
        },
        hide_index=True,
        key=f"tracker_fields_{key}",
        width="stretch",
    )
    by_label = {label: f for f, label in FIELD_LABELS.items()}
    field_columns = {
        by_label[f]: c
        for f, c in zip(fields["Field"], fields["Column"], strict=True)
        if c and c != NO_COLUMN
    }
    left, right = st.columns(2)
    quadrant = left.selectbox(
        f"Quadrant of every row on {sheet.label} (when no column gives it)",
        [None, *QUADRANTS],
        index=(QUADRANTS.index(chosen.quadrant) + 1) if chosen and chosen.quadrant else 0,
        format_func=lambda q: "none" if q is None else f"{q} ({QUADRANT_LABELS[q]})",
        key=f"tracker_quadrant_{key}",
    )
    team = right.text_input(
        f"Team of every row on {sheet.label} (when no column gives it)",
        value=(chosen.team or "") if chosen else "",
        key=f"tracker_team_{key}",
    )
    field_names = set(CASE_FIELDS)
    standards = standards_frame(_sheet_columns(proposal, sheet), chosen, choices, field_names)
    maps_to = standards["Maps to"].astype(str)
    comments = int(maps_to.str.startswith(propose.COMMENT_PREFIX).sum())
    left_out = maps_to.isin([IGNORED, NOT_MAPPED])
    waiting = int((left_out & (standards["Match"] == "unmatched")).sum())  # still to choose
    not_imported = int(left_out.sum()) - waiting
    answered = len(standards) - comments - int(left_out.sum())
    st.caption(
        f"{len(standards)} columns besides the fields: {answered} standards, {comments} comments, "
        f"{waiting} unmatched, {not_imported} not imported"
        + (" (unmatched first: choose what each maps to, or ignore it)." if waiting else ".")
    )
    row_height = tables.LINE_HEIGHT * 3 + tables.ROW_PADDING
    edited = st.data_editor(
        _highlight(standards),
        column_config={
            "Column": st.column_config.TextColumn("Column", disabled=True, width=210),
            "Maps to": st.column_config.SelectboxColumn(
                "Maps to",
                options=list(choices),
                required=True,
                width=280,
                help="The standard this column answers, a standard's comment, or nothing",
            ),
            "Match": st.column_config.TextColumn("Match", disabled=True, width=110),
            "Score": st.column_config.TextColumn(
                "Score",
                disabled=True,
                width=56,
                alignment="right",
                help="0-100: the header's wording against the standard's",
            ),
            "Runner-up": st.column_config.TextColumn(
                "Runner-up", disabled=True, width=100, help="The next best standard (its score)"
            ),
            "Why": st.column_config.TextColumn("Why", disabled=True, width=180),
        },  # widths add up to the main column's 940 px; rows tall enough to wrap 3 lines
        hide_index=True,
        key=f"tracker_standards_{key}",
        width="stretch",
        row_height=row_height,
        # Every row in view (up to 40): a mapping is checked by reading it through, not scrolling.
        height=(min(len(standards), 40) + 1) * row_height + 3,
    )
    refused = _sheet_columns(proposal, sheet)
    refused = refused[refused["maps_to"] == "refused"]
    if len(refused):
        st.caption(f"Refused on {sheet.label} (personal data, never imported):")
        st.text(
            "\n".join(f"{h}: {w}" for h, w in zip(refused["header"], refused["why"], strict=True))
        )
    return EditedLayout(
        source=chosen.source if chosen is not None else (sheet.sheet_name or sheet.file_name),
        headers=headers,
        fields=field_columns,
        targets={h: choices[t] for h, t in zip(edited["Column"], edited["Maps to"], strict=True)},
        quadrant=quadrant,
        team=team.strip() or None,
    )


def words_frame(words: pd.DataFrame, kind: str, start: TrackerMapping) -> pd.DataFrame:
    """Return one kind's words: each word seen, how often, what it means (the mapping's own
    meaning first, else the proposal's)."""
    own = {k.casefold().strip(): v for k, v in getattr(start, kind).items()}
    rows = words[words["kind"].isin([kind, kind[:-1]])]  # "answers" or "answer"
    means = [
        own.get(str(w).casefold().strip(), m if isinstance(m, str) and m else NOT_MAPPED)
        for w, m in zip(rows["word"], rows["means"], strict=True)
    ]
    return pd.DataFrame(
        {
            "Word": rows["word"].astype(str).tolist(),
            "Seen": rows["count"].astype(int).tolist(),
            "Means": means,
        }
    )


def edit_words(words: pd.DataFrame, start: TrackerMapping, key: str) -> dict[str, dict[str, str]]:
    """Show each kind of word seen with what it means, editable; return kind → word → meaning."""
    chosen: dict[str, dict[str, str]] = {}
    for kind, meanings in WORD_MEANINGS.items():
        frame = words_frame(words, kind, start)
        if frame.empty:
            chosen[kind] = {}
            continue
        st.markdown(f"**{WORD_HEADINGS[kind]}** seen in the tracker")
        edited = st.data_editor(
            frame,
            column_config={
                "Word": st.column_config.TextColumn("Word", disabled=True, width=240),
                "Seen": st.column_config.NumberColumn(
                    "Seen", disabled=True, help="Cells holding it", width=80
                ),
                "Means": st.column_config.SelectboxColumn(
                    "Means", options=[*meanings, NOT_MAPPED], required=True, width=240
                ),
            },
            hide_index=True,
            key=f"tracker_words_{kind}_{key}",
            width="content",
        )
        chosen[kind] = {
            w: m for w, m in zip(edited["Word"], edited["Means"], strict=True) if m != NOT_MAPPED
        }
    return chosen


def mapping_from_edits(
    start: TrackerMapping,
    layouts: list[EditedLayout],
    words: dict[str, dict[str, str]],
    blank: str,
) -> TrackerMapping:
    """Return the mapping the editor's tables make (validated: raises ValidationError)."""
    built = []
    for edited in layouts:
        taken = set(edited.fields.values())
        targets = {h: t for h, t in edited.targets.items() if h not in taken}
        built.append(
            {
                "source": edited.source,
                "headers": edited.headers,
                "fields": edited.fields,
                "standards": {
                    h: t for h, t in targets.items() if t and ":" not in t and t != "ignored"
                },
                "comments": {
                    h: t.split(":", 1)[1] for h, t in targets.items() if t.startswith("comment:")
                },
                "ignored": [h for h, t in targets.items() if t == "ignored"],
                "quadrant": edited.quadrant,
                "team": edited.team,
            }
        )
    document = {
        **start.model_dump(mode="json"),
        "layouts": built,
        **{kind: chosen for kind, chosen in words.items()},
        "blank_answer": blank,
    }
    return TrackerMapping.model_validate(document)


# --- after the mapping: what the preview adds for a tracker --------------------------------


WORDS_SEEN = [
    tables.Column("kind", "Kind", width="small"),
    tables.Column("word", "Word", width="medium"),
    tables.Column("count", "Seen", "count", "small", help="Cells holding it"),
    tables.Column("means", "Means", width="medium", missing="not mapped"),
    tables.Column(
        "from", "From", width="medium", help="The mapping's own words, or the standard words"
    ),
]


_WHERE = [
    tables.Column("sheet", "Tracker sheet", width=110),
    tables.Column("row", "Row", "count", 50, help="The row in the tracker"),
    tables.Column("audit_id", "Audit id", width=160, help="trk- + theme, round and case ref"),
]
SAMPLE_COLUMNS = {
    "cases": [
        *_WHERE,
        tables.Column("quadrant", "Quadrant", width=70),
        tables.Column("team", "Team", width=100),
        tables.Column("child_ref", "Case ref", width=90),
        tables.Column("audit_date", "Audit date", "date", 90),
        tables.Column("gender", "Gender", width=70),
        tables.Column("age_band", "Age band", width=60),
        tables.Column("overall_grade", "Grade", width=150),
    ],
    "responses": [
        *_WHERE,
        tables.Column("question_id", "Question", width=80),
        tables.Column("response", "Response", width=110),
        tables.Column("comment", "Comment", width=420),
    ],
}


def show_tracker_preview(result: ingest.Preview) -> None:
    """Show what only a tracker's preview has: its first rows as they will be stored, every
    word seen with its meaning, and the sheets not imported."""
    for name, frame in result.sample.items():
        if len(frame) == 0:
            continue
        st.caption(f"The first {len(frame)} rows of {name} as they will be stored:")
        columns = SAMPLE_COLUMNS.get(name, [tables.Column(c, c) for c in frame.columns])
        tables.show(frame, columns, key=f"tracker_sample_{name}", lines=1)
    if len(result.words):
        st.caption("Every word seen in the mapped columns, and what it means:")
        tables.show(result.words, WORDS_SEEN, key="tracker_words_seen", lines=1)
    if result.ignored_sheets:
        st.caption("Sheets and rows not imported:")
        st.text("\n".join(result.ignored_sheets))


def forget() -> None:
    """Drop the tracker step's cached read and proposal (after an import)."""
    for key in (READ_KEY, PROPOSAL_KEY):
        st.session_state.pop(key, None)
