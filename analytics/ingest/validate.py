"""Checking every value of an import against the contract and the store, collecting every problem.

Each check is a vectorised mask over a whole column; a problem is a row of the problem table
(sheet, Excel row, column, value, rule, how to fix). A value that fails one check is left out of
the checks that depend on it, so one mistake is reported once, not once per consequence.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analytics import unseen
from analytics.domain import QUADRANT_LABELS
from analytics.ingest.plan import plan_questions, plan_rounds, plan_themes
from analytics.ingest.problems import ROW, Problems, Sheet, check_duplicates, empty_problems
from analytics.ingest.reading import ReadResult
from analytics.ingest.spec import (
    AUDIT_ID_MAX,
    DATE_LIKE,
    ID_PATTERN,
    QUESTION_CHOICE_SEPARATOR,
    REFERENCE_RULE_TEXT,
    REQUIRED_SHEETS,
    SHEET_ORDER,
    SHEETS,
    TEXT_MAX,
    VALUE_CHECKED_COLUMNS,
    VALUE_PATTERNS,
    VALUE_SCAN,
    Column,
    looks_like_reference,
    mask_personal,
    mask_whole,
    personal_data_reason,
)
from analytics.ingest.state import StoreState

EARLIEST_DATE = dt.date(1990, 1, 1)
LATEST_DATE = dt.date(2100, 12, 31)
_DATE = r"^(\d{4}-\d{2}-\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
SHOWN_OF_LONG_VALUE = 100  # characters of a too-long value shown (masked) in its problem


def today() -> dt.date:
    """Return today's date (a function, so tests can fix it)."""
    return dt.date.today()


@dataclass
class Checked:
    """An import after checking: its problems, or the rows and changes ready to write."""

    problems: pd.DataFrame
    cases: pd.DataFrame = field(default_factory=pd.DataFrame)
    responses: pd.DataFrame = field(default_factory=pd.DataFrame)
    rounds: pd.DataFrame = field(default_factory=pd.DataFrame)  # rounds the import touches
    questions: pd.DataFrame = field(default_factory=pd.DataFrame)  # questions it adds or revises
    themes: pd.DataFrame = field(default_factory=pd.DataFrame)  # themes whose status changes
    replaced: list[tuple[str, str]] = field(default_factory=list)  # (theme, round) replaced
    ignored_columns: list[str] = field(default_factory=list)


# --- the checks ------------------------------------------------------------------------------


def check(read: ReadResult, state: StoreState, replace: bool) -> Checked:
    """Check one import against the contract and the store; return problems or ready rows."""
    problems = Problems()
    problems.extend(read.problems)
    csv = not read.file_name.lower().endswith(".xlsx")
    sheet_order: dict[str, int] = {}
    for rank, table in enumerate(SHEET_ORDER):
        sheet_order[read.sheets[table].label if table in read.sheets else table] = rank
    for sheet in read.sheets.values():  # a tracker's sheets, in the tracker's order
        if sheet.row_labels is not None:
            for label in sheet.row_labels.unique():
                sheet_order.setdefault(label, len(sheet_order))
    # A file that could not be opened at all is reported as such, not as missing sheets; a
    # table given in a file that could not be read is not missing either.
    if read.sheets or read.supplied or not read.problems:
        for table in REQUIRED_SHEETS:
            if table not in read.sheets and table not in read.supplied:
                where = f"{table}.csv" if csv else table
                problems.add_one(
                    where,
                    None,
                    None,
                    None,
                    f"the {table} {'file' if csv else 'sheet'} is missing",
                    f"Add a {'file named ' + table + '.csv' if csv else 'sheet named ' + table} "
                    "with the template's columns (the template has every sheet).",
                )
    ignored: list[str] = []
    # Every sheet is checked, even one missing a required column: the columns it has are still
    # checked, and checks across sheets run where the columns they join on are there.
    for sheet in read.sheets.values():
        _check_columns(sheet, problems, ignored)
    values = {table: _check_values(sheet, state, problems) for table, sheet in read.sheets.items()}
    columns = {table: set(sheet.headers) for table, sheet in read.sheets.items()}
    checked = Checked(problems=empty_problems(), ignored_columns=ignored)
    cases_sheet, responses_sheet = read.sheets.get("cases"), read.sheets.get("responses")
    for table, what in (
        ("cases", "one row per audited case"),
        ("responses", "one row per case and question"),
    ):
        given = read.sheets.get(table)
        if given is not None and given.header_found and given.headers and not len(given.frame):
            problems.add_one(
                given.label,
                None,
                None,
                None,
                f"there are no {table} to import (the sheet has only its header)",
                f"Add {what}, starting in row 2.",
            )
    questions = plan_questions(
        read.sheets.get("questions"), values.get("questions"), state, replace, problems
    )
    if cases_sheet is not None:
        cases = values["cases"]
        check_duplicates(
            cases_sheet,
            cases,
            ["audit_id"],
            problems,
            "the audit_id appears more than once in the file",
            "Give each case audit its own audit_id, or delete the repeated row.",
        )
        rounds = plan_rounds(
            cases_sheet,
            cases,
            read.sheets.get("rounds"),
            values.get("rounds"),
            state,
            replace,
            problems,
        )
        replaced = [
            tuple(k)
            for k in rounds.loc[rounds["replaces"] > 0, ["theme_id", "round_id"]].itertuples(
                index=False
            )
        ]
        _check_stored_ids(cases_sheet, cases, state, replaced, problems)
        checked.rounds, checked.replaced = rounds, replaced
        if responses_sheet is not None:
            checked.responses = _check_responses(
                cases_sheet,
                cases,
                responses_sheet,
                values["responses"],
                questions,
                state,
                problems,
                columns["cases"],
                columns["responses"],
            )
        checked.cases = cases
        checked.themes = plan_themes(rounds, state)
    elif read.sheets.get("rounds") is not None:
        empty = pd.DataFrame(columns=[ROW, *(c.name for c in SHEETS["cases"])])
        checked.rounds = plan_rounds(
            None, empty, read.sheets["rounds"], values["rounds"], state, replace, problems
        )
    checked.questions = questions
    checked.problems = problems.frame(sheet_order)
    return checked


def _check_columns(sheet: Sheet, problems: Problems, ignored: list[str]) -> None:
    """Refuse personal-data columns, report missing ones, and note the columns ignored."""
    spec = {c.name: c for c in SHEETS[sheet.table]}
    for name, typed in sheet.headers.items():
        reason = personal_data_reason(typed)
        if reason and name not in spec:
            problems.add_one(
                sheet.label,
                None,
                typed,
                typed,
                f"the column holds {reason}: personal data cannot be imported",
                "Delete the column from the file itself, save it and import that copy (a hidden "
                "or unused column is still in the file): the dashboard needs only the "
                "pseudonymous child_ref.",
            )
        elif name not in spec:
            ignored.append(f"{sheet.label}: {typed}")
    if not sheet.header_found:  # already reported: no row holds the column names
        return
    for column in SHEETS[sheet.table]:
        if column.required and column.name not in sheet.headers:
            problems.add_one(
                sheet.label,
                None,
                column.name,
                None,
                f"the required column {column.name} is missing",
                f"Add a column headed {column.name} in row 1 ({column.help}).",
            )


def _canonical(values: pd.Series, allowed: Iterable[str], aliases: Mapping[str, str]) -> pd.Series:
    """Return each value as its allowed spelling ('met ' -> 'Met', 'North West' -> 'NW')."""

    def key(text: str) -> str:
        return re.sub(r"\s+", " ", text.strip().lower())

    lookup = {key(a): a for a in allowed} | {key(k): v for k, v in aliases.items()}
    keys = values.str.lower().str.replace(r"\s+", " ", regex=True)
    # Look up each distinct spelling once, not once per row.
    codes, uniques = pd.factorize(keys)
    spelled = np.array([lookup.get(u) for u in uniques] + [None], dtype=object)
    return pd.Series(spelled[codes], index=values.index, dtype=object)


def _check_values(sheet: Sheet, state: StoreState, problems: Problems) -> pd.DataFrame:
    """Check each column's values; return them normalised, missing where a check failed."""
    frame = sheet.frame
    out = pd.DataFrame({ROW: frame[ROW]})
    screened: dict[str, pd.Series] = {}  # each column's values fit to be read by every check
    for column in SHEETS[sheet.table]:
        if column.name not in frame:
            out[column.name] = pd.Series(None, index=frame.index, dtype=object)
            continue
        raw = frame[column.name]
        present = raw.notna()
        if column.required:
            problems.add(
                sheet, ~present, column.name, f"{column.name} is empty", f"Fill in {column.help}."
            )
        raw = _check_text(sheet, column.name, raw, present, problems)
        present = raw.notna()
        out[column.name] = _check_column(sheet, column, raw, present, state, problems)
        screened[column.name] = raw
    _check_personal_values(sheet, screened, problems)
    return out


def _check_text(
    sheet: Sheet, name: str, raw: pd.Series, present: pd.Series, problems: Problems
) -> pd.Series:
    """Refuse values over TEXT_MAX characters (before any other check reads them), then values
    holding control characters; return the values with both left out."""
    length = raw.str.len()
    long = (present & (length > TEXT_MAX)).to_numpy(bool)
    if long.any():
        rule = pd.Series(None, index=raw.index, dtype=object)
        rule[long] = [
            f"the {name} is {int(n):,} characters long: the limit is {TEXT_MAX:,}"
            for n in length[long]
        ]
        shown = raw.where(long).str.slice(0, SHOWN_OF_LONG_VALUE).map(mask_personal) + "…"
        problems.add(
            sheet,
            long,
            name,
            rule,
            f"Shorten the text to {TEXT_MAX:,} characters at most.",
            values=shown,
        )
        raw = raw.where(~long)
    controls = raw.str.contains(unseen.IN_VALUE.pattern, regex=True).fillna(False).to_numpy(bool)
    if controls.any():
        found = raw[controls].map(lambda v: sorted(set(unseen.IN_VALUE.findall(v))))
        rule = pd.Series(None, index=raw.index, dtype=object)
        rule[controls] = [
            f"the {name} holds a control character ({', '.join(map(unseen.escaped, chars))})"
            for chars in found
        ]
        problems.add(
            sheet,
            controls,
            name,
            rule,
            "Delete the invisible character (a copy and paste or a damaged file brings it), "
            "or retype the value.",
            values=raw[controls].map(lambda v: mask_personal(unseen.escape(v))).reindex(raw.index),
        )
        raw = raw.where(~controls)
    return raw


def _check_column(
    sheet: Sheet,
    column: Column,
    raw: pd.Series,
    present: pd.Series,
    state: StoreState,
    problems: Problems,
) -> pd.Series:
    name, kind = column.name, column.kind
    if kind == "choice":
        # "North West" is accepted for NW: the label is unambiguous.
        aliases = (
            {label: code for code, label in QUADRANT_LABELS.items()} if name == "quadrant" else {}
        )
        value = _canonical(raw, column.choices, aliases)
        allowed = ", ".join(column.choices)
        problems.add(
            sheet,
            present & value.isna(),
            name,
            f"{name} must be one of: {allowed}",
            f"Choose from the drop-down list: {allowed}.",
        )
        return value
    if kind == "store" and name in ("theme_id", "category"):
        allowed = state.themes["theme_id"] if name == "theme_id" else pd.Series(state.categories)
        value = _canonical(raw, allowed, {})
        what = "theme" if name == "theme_id" else "category"
        listed = ", ".join(allowed.tolist()) or "(none: the store lists none, check its folder)"
        problems.add(
            sheet,
            present & value.isna(),
            name,
            f"unknown {what}",
            f"Use a {what} from the lists sheet of the template: {listed}.",
        )
        return value
    # The template's drop-down offers "ID · wording": the id is the part before it. (A column of
    # blanks only would split into floats, which have no .str.)
    if kind == "store" and name == "question_id" and present.any():
        raw = raw.str.split(QUESTION_CHOICE_SEPARATOR, n=1, regex=False).str[0].str.strip()
    if kind == "date":
        return _check_dates(sheet, name, raw, present, problems)
    if kind == "id" and name != "audit_id":
        bad = present & ~raw.str.fullmatch(ID_PATTERN).fillna(False).astype(bool)
        problems.add(
            sheet,
            bad,
            name,
            f"{name} must be 1-64 letters, digits, dots, dashes or underscores (no spaces)",
            "Use an id such as 2021-03 or PS-01.",
        )
        return raw.where(~bad).astype(object)
    if name == "audit_id":
        bad = present & ((raw.str.len() > AUDIT_ID_MAX) | raw.str.contains(r"[\x00-\x1f]"))
        problems.add(
            sheet,
            bad,
            name,
            f"audit_id must be at most {AUDIT_ID_MAX} characters on one line",
            "Use the audit tool's own id for the case audit.",
        )
        return raw.where(~bad).astype(object)
    if kind == "age_band":
        bad = present & ~raw.str.fullmatch(r"\d{1,2}\s*(?:-\s*\d{1,2}|\+)").fillna(False)
        problems.add(
            sheet,
            bad.astype(bool),
            name,
            "age_band must be a band such as 0-4, 16-17 or 18+",
            "Format the column as Text before typing (Excel turns 5-9 into a date).",
        )
        return raw.str.replace(r"\s+", "", regex=True).where(~bad).astype(object)
    return raw.astype(object)  # free text: its length and characters are checked already


def _check_dates(
    sheet: Sheet, name: str, raw: pd.Series, present: pd.Series, problems: Problems
) -> pd.Series:
    text = raw.str.extract(_DATE, expand=False)
    form_ok = text.notna()
    parsed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    problems.add(
        sheet,
        present & ~form_ok,
        name,
        f"{name} is not a date in the form YYYY-MM-DD",
        "Write the date as YYYY-MM-DD (e.g. 2021-03-15) in the CSV file."
        if sheet.is_csv
        else "Type the date as YYYY-MM-DD (e.g. 2021-03-15), or format the cell as a date.",
    )
    unreal = form_ok & parsed.isna()
    problems.add(
        sheet,
        unreal,
        name,
        f"{name} is not a real calendar date",
        "Check the day and month (there is no 2021-02-30 or month 13).",
    )
    dates = parsed.dt.date.astype(object).where(parsed.notna())
    early = parsed.notna() & (parsed < pd.Timestamp(EARLIEST_DATE))
    latest = today() if name == "audit_date" else LATEST_DATE
    late = parsed.notna() & (parsed > pd.Timestamp(latest))
    problems.add(
        sheet,
        early,
        name,
        f"{name} is before {EARLIEST_DATE.year}: impossible here",
        "Check the year: it is probably a typing error.",
    )
    rule = "audit_date is in the future" if name == "audit_date" else f"{name} is after 2100"
    problems.add(sheet, late, name, rule, "Check the date: an audit cannot be dated ahead.")
    return dates.where(~early & ~late)


def _check_personal_values(
    sheet: Sheet, screened: Mapping[str, pd.Series], problems: Problems
) -> None:
    """Refuse personal data inside values: contact details, NHS numbers, a child_ref that is not
    a reference or is a date of birth (only values of a fit length and characters are read)."""
    for name in VALUE_CHECKED_COLUMNS:
        if name not in screened:
            continue
        values = screened[name]
        flagged = pd.Series(False, index=values.index)
        suspect = values.str.contains(VALUE_SCAN, regex=True).fillna(False).astype(bool)
        for pattern, what, confirm in VALUE_PATTERNS:
            if not suspect.any():
                break
            hit = values.where(suspect).str.contains(pattern, regex=True).fillna(False)
            hit = hit.astype(bool) & ~flagged
            if confirm is not None and hit.any():
                hit.loc[hit] = values[hit].map(confirm).astype(bool)
            problems.add(
                sheet,
                hit,
                name,
                f"the {name} looks like it holds {what} (masked here)",
                "Remove personal details: keep contact details, NHS numbers and "
                "addresses out of the audit export.",
                values=values.where(hit).map(mask_personal),  # never echoed back in full
            )
            flagged |= hit
        if name == "child_ref":
            date_like = values.str.fullmatch(DATE_LIKE).fillna(False).astype(bool) & ~flagged
            given = values.notna() & ~flagged & ~date_like
            not_reference = given.copy()
            if given.any():
                not_reference[given] = ~values[given].map(looks_like_reference).astype(bool)
            problems.add(
                sheet,
                not_reference,
                name,
                "the child_ref is not a case reference: it may be a person's name (masked here)",
                "Use the pseudonymous case reference, never the child's name: "
                f"{REFERENCE_RULE_TEXT}.",
                values=values.where(not_reference).map(mask_whole),
            )
            problems.add(
                sheet,
                date_like,
                name,
                "the child_ref looks like a date of birth (masked here)",
                "Use the pseudonymous case reference from the audit tool.",
                values=values.where(date_like).map(lambda v: mask_whole(v, initials=False)),
            )


def _check_stored_ids(
    sheet: Sheet,
    cases: pd.DataFrame,
    state: StoreState,
    replaced: list[tuple[str, str]],
    problems: Problems,
) -> None:
    ids = cases["audit_id"].dropna().unique().tolist()
    if not ids:
        return
    stored = state.stored_audit_ids(ids)
    if stored.empty:
        return
    # A case in a round this import replaces goes with the round. Without replace, a round already
    # loaded is reported once, not once per case.
    loaded = set(map(tuple, state.loaded[["theme_id", "round_id"]].to_numpy().tolist()))
    this_round = list(zip(cases["theme_id"], cases["round_id"], strict=True))
    skip = pd.Series([key in loaded and not replaced for key in this_round], index=cases.index)
    gone = set(replaced)
    keep = stored[
        [(t, r) not in gone for t, r in zip(stored["theme_id"], stored["round_id"], strict=True)]
    ]
    where = keep.drop_duplicates("audit_id").set_index("audit_id")
    place = cases["audit_id"].map(where["theme_id"] + " / " + where["round_id"])
    clash = place.notna() & ~skip
    problems.add(
        sheet,
        clash,
        "audit_id",
        "the audit_id is already in the store (in " + place.astype(object).where(clash, "") + ")",
        "Each case audit is imported once: remove the row, or give the case its new id.",
    )


def _check_responses(
    cases_sheet: Sheet,
    cases: pd.DataFrame,
    sheet: Sheet,
    responses: pd.DataFrame,
    new_questions: pd.DataFrame,
    state: StoreState,
    problems: Problems,
    case_columns: set[str],
    response_columns: set[str],
) -> pd.DataFrame:
    """Check answers against their cases and the questions of the case's theme; return them
    with theme, round, quadrant and team taken from the case (the store's layout).

    A check that joins the sheets runs only where both have the columns it joins on (a missing
    column is reported once, not once per row that could not be joined).
    """
    linked = "audit_id" in case_columns and "audit_id" in response_columns
    if linked:
        _check_unknown_cases(cases_sheet, sheet, responses, problems)
    check_duplicates(
        sheet,
        responses,
        ["audit_id", "question_id"],
        problems,
        "the case answers this question more than once",
        "Keep one answer per case and question.",
    )
    first_case = cases.dropna(subset=["audit_id"]).drop_duplicates("audit_id")
    carried = ["audit_id", "theme_id", "round_id", "quadrant", "team"]
    joined = responses.merge(first_case[carried], on="audit_id", how="left")
    known = pd.concat(
        [state.questions[["theme_id", "question_id"]], new_questions[["theme_id", "question_id"]]]
    ).drop_duplicates()
    known["_known"] = True
    judged = joined["theme_id"].notna() & joined["question_id"].notna()
    with_known = joined.merge(known, on=["theme_id", "question_id"], how="left")
    unknown = judged & with_known["_known"].isna().to_numpy()
    problems.add(
        sheet,
        unknown.to_numpy(),
        "question_id",
        "the question is not in the audit tool of the case's theme ("
        + joined["theme_id"].fillna("")
        + ")",
        "Use a question id of that theme (lists sheet), or add the question on the "
        "questions sheet.",
    )
    if linked and len(responses):
        answered = cases["audit_id"].isin(responses["audit_id"].dropna())
        problems.add(
            cases_sheet,
            cases["audit_id"].notna() & ~answered,
            "audit_id",
            "the case has no responses",
            "Add its answers on the responses sheet, or delete the case.",
        )
    return joined


def _check_unknown_cases(
    cases_sheet: Sheet, sheet: Sheet, responses: pd.DataFrame, problems: Problems
) -> None:
    """Report each audit_id the responses name but the cases sheet does not, once (on its first
    row), with how many answers carry it: one missing case is one problem, not one per answer."""
    raw_ids = cases_sheet.frame["audit_id"]
    ids = responses["audit_id"]
    unknown = ids.notna() & ~ids.isin(raw_ids.dropna())
    if not unknown.any():
        return
    orphan = ids[unknown]
    rows = responses.loc[unknown, ROW].groupby(orphan.to_numpy()).agg(["size", "min", "max"])
    first = unknown & ~ids.where(unknown).duplicated()
    count = ids.map(rows["size"]).fillna(0).astype(int)
    span = ids.map(
        rows["min"].astype(int).astype(str) + " to " + rows["max"].astype(int).astype(str)
    )
    rule = pd.Series("no case with this audit_id on the cases sheet", index=responses.index)
    many = first & (count > 1)
    rule[many] = rule[many] + " (" + count[many].astype(str) + " answers, rows " + span[many] + ")"
    fix = "Add the case to the cases sheet, or correct the audit_id."
    blank = cases_sheet.frame.loc[raw_ids.isna(), ROW]
    if len(blank):
        fix += (
            f" The cases sheet has {len(blank)} row(s) with no audit_id (row {int(blank.iloc[0])})"
            ": is this that case?"
        )
    problems.add(sheet, first, "audit_id", rule, fix)
