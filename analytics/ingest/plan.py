"""What an import changes beyond its rows: rounds created or revised, questions, themes' status.

Each function works per round, question or theme (a handful), so plain loops are fine here; the
per-row checks are in analytics.ingest.validate.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from analytics.domain import QUADRANT_LABELS, ROUND_STATUSES_WITH_DATA, THEME_STATUSES_AUDITED
from analytics.ingest.problems import ROW, Problems, Sheet, check_duplicates
from analytics.ingest.spec import SHEETS
from analytics.ingest.state import StoreState

# What an import preview says of each round it touches (the Data page's table, in this order).
ROUND_PREVIEW_COLUMNS: tuple[str, ...] = (
    "theme_id", "round_id", "label", "start_date", "end_date", "status", "cases", "replaces",
    "is_new", "revised", "change", *QUADRANT_LABELS,
)  # fmt: skip


def plan_rounds(
    cases_sheet: Sheet | None,
    cases: pd.DataFrame,
    rounds_sheet: Sheet | None,
    rounds: pd.DataFrame | None,
    state: StoreState,
    replace: bool,
    problems: Problems,
) -> pd.DataFrame:
    """Return each round the import touches, as it will be stored, with the change it makes."""
    if rounds_sheet is not None and rounds is not None:
        check_duplicates(
            rounds_sheet,
            rounds,
            ["theme_id", "round_id"],
            problems,
            "the round appears more than once on the rounds sheet",
            "Keep one row per theme and round.",
        )
        rounds = rounds.dropna(subset=["theme_id", "round_id"]).drop_duplicates(
            ["theme_id", "round_id"]
        )
    else:
        rounds = pd.DataFrame(columns=[ROW, *(c.name for c in SHEETS["rounds"])])
    valid = cases.dropna(subset=["theme_id", "round_id"])
    per_round = valid.groupby(["theme_id", "round_id"], sort=True).agg(
        cases=(ROW, "size"),
        first_row=(ROW, "min"),
        first_date=("audit_date", "min"),
        last_date=("audit_date", "max"),
    )
    quadrants = valid.pivot_table(
        index=["theme_id", "round_id"], columns="quadrant", values=ROW, aggfunc="size", fill_value=0
    )
    stored = state.rounds.set_index(["theme_id", "round_id"])
    loaded = state.loaded.set_index(["theme_id", "round_id"])["cases"]
    sheet_rows = rounds.set_index(["theme_id", "round_id"])
    keys = sorted(set(per_round.index) | set(sheet_rows.index))
    out = []
    bounds = []  # (theme, round, first day, last day) typed on the rounds sheet with cases here
    for key in keys:
        theme_id, round_id = key
        n_cases = int(per_round["cases"].get(key, 0))
        n_stored = int(loaded.get(key, 0))
        row = sheet_rows.loc[key] if key in sheet_rows.index else None
        old = stored.loc[key] if key in stored.index else None
        sheet_row = None if row is None else int(row[ROW])

        def given(column: str, row: pd.Series | None = row) -> Any:  # a cell: pandas' Any
            return None if row is None or pd.isna(row[column]) else row[column]

        if n_cases and n_stored and not replace:
            assert cases_sheet is not None  # the cases counted came from it
            tracker = cases_sheet.row_labels is not None  # a tracker: the round is given once
            label = cases_sheet.column_labels.get("round_id", "round_id")
            problems.add_one(
                cases_sheet.label,
                None if tracker else int(per_round["first_row"][key]),
                label if isinstance(label, str) else "round_id",
                round_id,
                f"round {round_id} of {theme_id} is already loaded ({n_stored} cases)",
                (
                    "A round's trackers are imported together: to add a quadrant's tracker, "
                    "import every quadrant's tracker of the round at once (several sheets or "
                    "files are one round) and tick 'Replace rounds already loaded' (or use "
                    "--replace); for a new round, give a new round id."
                    if tracker
                    else "To replace it, tick 'Replace rounds already loaded' (or use "
                    "--replace); for a new round, use a new round_id."
                ),
            )
        first = per_round["first_date"].get(key) if n_cases else None
        last = per_round["last_date"].get(key) if n_cases else None
        label = given("label") or (old["label"] if old is not None else round_id)
        # Dates as pandas holds them, or missing (None, NaT): checked by _missing below.
        start: Any = given("start_date") or (old["start_date"] if old is not None else first)
        end: Any = given("end_date") or (old["end_date"] if old is not None else last)
        status = given("status")
        if status is None:
            if old is not None and (old["status"] in ROUND_STATUSES_WITH_DATA or not n_cases):
                status = old["status"]  # kept
            else:
                status = "complete" if n_cases else "planned"
        if rounds_sheet is not None and sheet_row is not None:
            typed = (given("start_date"), given("end_date"))
            if n_cases and status not in ROUND_STATUSES_WITH_DATA:
                problems.add_one(
                    rounds_sheet.label,
                    sheet_row,
                    "status",
                    status,
                    f"a round with cases must be complete or concluding, not {status}",
                    "Set the status to complete (or concluding), or leave it empty.",
                )
            if _missing(start) or _missing(end):
                problems.add_one(
                    rounds_sheet.label,
                    sheet_row,
                    "start_date",
                    None,
                    "start_date and end_date are needed for a round with no cases in this file",
                    "Fill in the round's first and last day (YYYY-MM-DD).",
                )
            elif end < start and any(typed) and (all(typed) or not (n_cases and old is None)):
                # (With one date typed for a new round, the other comes from the audits: the
                # audit-date check below says which audits fall outside.)
                problems.add_one(
                    rounds_sheet.label,
                    sheet_row,
                    "end_date",
                    str(end),
                    f"end_date is before start_date ({start})",
                    "Check the two dates: the round ends on or after the day it starts.",
                )
            elif n_cases and any(typed):
                # Dates typed next to the cases (one may come from the audits): the audits must
                # fit within the typed ones.
                bounds.append((theme_id, round_id, *typed))
        new = {"label": label, "start_date": start, "end_date": end, "status": status}
        revised: set[str] = set()
        if old is None:
            change = "new round"
        else:
            before = {k: old[k] for k in new}
            revised = {k for k in new if not _same(new[k], before[k])}
            if n_cases and n_stored:
                change = f"replaces {n_stored} stored cases"
            elif revised == {"status"} and before["status"] not in ROUND_STATUSES_WITH_DATA:
                change = f"{before['status']} round, now {status}"
            elif revised:
                change = "details updated: " + ", ".join(sorted(revised))
            else:
                change = "cases added" if n_cases else "unchanged"
            if revised and n_stored and not n_cases and not replace:
                problems.add_one(
                    rounds_sheet.label if rounds_sheet else "rounds",
                    sheet_row,
                    "round_id",
                    round_id,
                    f"round {round_id} of {theme_id} is already loaded; its details change only "
                    "with replace",
                    "Tick 'Replace rounds already loaded' (or use --replace), "
                    "or leave the round off the rounds sheet.",
                )
        counts = quadrants.loc[key] if key in quadrants.index else pd.Series(dtype=int)
        out.append(
            {
                "theme_id": theme_id,
                "round_id": round_id,
                **new,
                "cases": n_cases,
                "replaces": n_stored if n_cases else 0,
                "is_new": old is None,
                "revised": bool(revised),
                "change": change,
                **{q: int(counts.get(q, 0)) for q in QUADRANT_LABELS},
            }
        )
    if bounds and cases_sheet is not None:
        _check_audit_dates(cases_sheet, cases, bounds, problems)
    columns = list(ROUND_PREVIEW_COLUMNS)
    return pd.DataFrame(out, columns=columns)


def _check_audit_dates(
    sheet: Sheet,
    cases: pd.DataFrame,
    bounds: list[tuple[str, str, object, object]],
    problems: Problems,
) -> None:
    """Refuse a case audited outside the dates its round is given on the rounds sheet.

    Dates typed on the rounds sheet next to the cases must agree with them: a case outside is a
    typing error in one or the other (a late audit belongs in the round's dates, so widen them).
    Rounds already stored, or made from the audit dates, are not checked: a planned round's dates
    are a plan, and a round made from its audits covers them.
    """
    limits = pd.DataFrame(bounds, columns=["theme_id", "round_id", "_first", "_last"])
    joined = cases[["theme_id", "round_id", "audit_date"]].merge(
        limits, on=["theme_id", "round_id"], how="left"
    )
    date = pd.to_datetime(joined["audit_date"])
    first, last = pd.to_datetime(joined["_first"]), pd.to_datetime(joined["_last"])
    outside = ((date < first) & first.notna()) | ((date > last) & last.notna())
    span = (
        first.dt.strftime("%Y-%m-%d").fillna("...")
        + " to "
        + last.dt.strftime("%Y-%m-%d").fillna("...")
    )
    problems.add(
        sheet,
        outside.to_numpy(),
        "audit_date",
        "audit_date is outside the dates of round " + joined["round_id"].astype(str)
        + " on the rounds sheet (" + span + ")",
        "Correct the audit date, or widen the round's start_date and end_date on the rounds sheet "
        "(a round's dates cover all its audits).",
    )  # fmt: skip


def _missing(value: object) -> bool:
    return value is None or (not isinstance(value, str) and pd.isna(value))


def _same(a: object, b: object) -> bool:
    if _missing(a) and _missing(b):
        return True
    if isinstance(a, dt.date) or isinstance(b, dt.date):
        return pd.Timestamp(a) == pd.Timestamp(b) if not (_missing(a) or _missing(b)) else False
    return a == b


def plan_questions(
    sheet: Sheet | None,
    values: pd.DataFrame | None,
    state: StoreState,
    replace: bool,
    problems: Problems,
) -> pd.DataFrame:
    """Return the questions the import adds or revises, with the change each makes."""
    columns = ["theme_id", "question_id", "text", "category", "seed_finding", "change", ROW]
    if sheet is None or values is None or values.empty:
        return pd.DataFrame(columns=columns)
    check_duplicates(
        sheet,
        values,
        ["theme_id", "question_id"],
        problems,
        "the question appears more than once for this theme",
        "Keep one row per theme and question_id.",
    )
    rows = values.dropna(subset=["theme_id", "question_id"]).drop_duplicates(
        ["theme_id", "question_id"]
    )
    stored = state.questions[["theme_id", "question_id", "text", "category"]]
    merged = rows.merge(
        stored, on=["theme_id", "question_id"], how="left", suffixes=("", "_stored"), indicator=True
    )
    exists = (merged["_merge"] == "both").to_numpy()
    differs = (
        exists
        & (
            (merged["text"] != merged["text_stored"])
            | (merged["category"] != merged["category_stored"])
        ).to_numpy()
    )
    merged["change"] = np.where(~exists, "new question", np.where(differs, "revised", "unchanged"))
    if differs.any() and not replace:
        mask = values[ROW].isin(merged.loc[differs, ROW])
        problems.add(
            sheet,
            mask,
            "text",
            "the question is already in the store with other wording or category",
            "To revise the audit tool, tick 'Replace rounds already loaded' (or --replace); "
            "otherwise copy the stored wording or use a new question_id.",
        )
    return merged[merged["change"] != "unchanged"][columns].reset_index(drop=True)


def plan_themes(rounds: pd.DataFrame, state: StoreState) -> pd.DataFrame:
    """Return the planned themes that this import gives data, with their new status."""
    with_data = rounds[rounds["cases"] > 0]
    themes = state.themes.set_index("theme_id")
    out = []
    for theme_id, group in with_data.groupby("theme_id"):
        status = themes["status"].get(theme_id)
        if status is None or status in THEME_STATUSES_AUDITED:
            continue
        new = "concluding" if (group["status"] == "concluding").all() else "complete"
        out.append({"theme_id": theme_id, "status": new, "change": f"{status} theme, now {new}"})
    return pd.DataFrame(out, columns=["theme_id", "status", "change"])
