"""The import template: an XLSX workbook made from the store's catalogue, with drop-down lists.

Sheets: instructions, cases, responses, rounds, questions (headers only: nothing to delete before
importing) and lists (the allowed values the drop-downs read).
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import cast

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from analytics.domain import GENDERS, GRADES, QUADRANT_LABELS, QUADRANTS, RESPONSES, ROUND_STATUSES
from analytics.errors import AuditDataError, UnknownValueError
from analytics.ingest.reading import DEFAULT_MAX_MB
from analytics.ingest.spec import (
    QUESTION_CHOICE_SEPARATOR,
    SHEET_ORDER,
    SHEETS,
    contract_summary,
    question_choice,
    sheet_summary,
)
from analytics.ingest.state import store_state
from analytics.ingest.validate import EARLIEST_DATE, LATEST_DATE
from analytics.store import Store

# Drop-downs and date rules reach this far down each sheet: past the ~140,000 answers of a
# 10,000-case round (a range costs the file nothing: it is one line of XML however long).
LAST_ROW = 250_000
HEADER_FILL = PatternFill("solid", fgColor="12436D")
HEADER_FONT = Font(bold=True, color="FFFFFF")


def _lists(store: Store, theme: str | None) -> dict[str, list[str]]:
    """Return each drop-down's values; one list per theme's question ids."""
    state = store_state(store)
    themes = state.themes["theme_id"].tolist()
    if theme is not None and theme not in themes:
        raise UnknownValueError("theme", theme, themes)
    chosen = [theme] if theme else themes
    questions = state.questions[state.questions["theme_id"].isin(chosen)]
    choices = [question_choice(q, t) for q, t in zip(questions["question_id"], questions["text"],
                                                     strict=True)]  # fmt: skip
    questions = questions.assign(choice=choices)
    lists = {
        "quadrant": list(QUADRANTS),
        "response": list(RESPONSES),
        "overall_grade": list(GRADES),
        "gender": list(GENDERS),
        "round status": list(ROUND_STATUSES),
        "theme_id": chosen,
        "category": state.categories,
        "question_id": questions["choice"].tolist(),  # "ID · wording": the import keeps the id
    }
    for theme_id in chosen:
        ids = questions.loc[questions["theme_id"] == theme_id, "choice"].tolist()
        lists[f"questions: {theme_id}"] = ids
    return lists


def _write_lists(sheet: Worksheet, lists: dict[str, list[str]]) -> dict[str, str]:
    """Write each list as a column; return the range formula of each list that has values."""
    ranges = {}
    for index, (name, values) in enumerate(lists.items(), start=1):
        letter = get_column_letter(index)
        sheet.cell(row=1, column=index, value=name).font = Font(bold=True)
        for row, value in enumerate(values, start=2):
            sheet.cell(row=row, column=index, value=value)
        sheet.column_dimensions[letter].width = max(14, min(40, len(name) + 4))
        if values:
            last = len(values) + 1
            ranges[name] = f"{quote_sheetname(sheet.title)}!${letter}$2:${letter}${last}"
    sheet.freeze_panes = "A2"
    return ranges


def _drop_down(
    sheet: Worksheet, column: int, formula: str, what: str, warn_only: bool = False
) -> None:
    letter = get_column_letter(column)
    validation = DataValidation(
        type="list",
        formula1=f"={formula}",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=f"Not a {what}",
        error=f"Choose a {what} from the list.",
    )
    if warn_only:
        # A question new to the store (added on the questions sheet) is not in the list yet:
        # Excel warns and lets the user keep it; the import checks it against that sheet.
        validation.errorStyle = "warning"
        validation.error = (
            f"This {what} is not in the store yet: keep it only if the questions sheet adds it."
        )
    validation.add(f"{letter}2:{letter}{LAST_ROW}")
    sheet.add_data_validation(validation)


def _date_rule(sheet: Worksheet, column: int) -> None:
    letter = get_column_letter(column)
    validation = DataValidation(
        type="date",
        operator="between",
        formula1=f"DATE({EARLIEST_DATE.year},1,1)",
        formula2=f"DATE({LATEST_DATE.year},12,31)",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Not a date",
        error="Type the date as YYYY-MM-DD, e.g. 2021-03-15.",
    )
    validation.add(f"{letter}2:{letter}{LAST_ROW}")
    sheet.add_data_validation(validation)


def _data_sheet(book: Workbook, table: str, ranges: dict[str, str], theme: str | None) -> None:
    sheet = book.create_sheet(table)
    choice = {
        "quadrant": "quadrant",
        "response": "response",
        "overall_grade": "overall_grade",
        "gender": "gender",
        "status": "round status",
        "theme_id": "theme_id",
        "category": "category",
    }
    for index, column in enumerate(SHEETS[table], start=1):
        letter = get_column_letter(index)
        cell = sheet.cell(row=1, column=index, value=column.name)
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
        needed = "Needed in every row" if column.required else "Optional"
        cell.comment = Comment(f"{needed}: {column.help}.", "Audit Insight")
        sheet.column_dimensions[letter].width = max(14, len(column.name) + 4)
        if column.as_text:
            # Text, so Excel keeps 5-9 an age band and 0012 an id instead of converting them.
            sheet.column_dimensions[letter].number_format = "@"
        if column.kind == "date":
            sheet.column_dimensions[letter].number_format = "yyyy-mm-dd"
            _date_rule(sheet, index)
        listed = ranges.get(choice.get(column.name, ""))
        if listed and (table != "responses" or column.name == "response"):
            _drop_down(sheet, index, listed, column.name.replace("_", " "))
        if table == "responses" and column.name == "question_id":
            key = f"questions: {theme}" if theme else "question_id"
            if key in ranges:  # a planned theme has no questions to offer yet
                _drop_down(sheet, index, ranges[key], "question id", warn_only=True)
    sheet.freeze_panes = "A2"


def _instructions(sheet: Worksheet, lists: dict[str, list[str]], theme: str | None) -> None:
    lines: list[tuple[str, ...]] = [
        ("Audit Insight: import template" + (f" for {theme}" if theme else ""),),
        (),
        ("How to use it",),
        (
            "1. Fill in the cases and responses sheets (one row per case; one row per case and "
            "question). rounds and questions are optional.",
        ),
        (
            "2. Row 1 holds the column names: keep them. Data starts in row 2. Do not add columns "
            "with names, dates of birth, addresses, postcodes, NHS numbers, phone numbers or "
            "emails: such columns are refused.",
        ),
        (
            "3. Import on the dashboard's Data page (check, then confirm), or with: python -m "
            "analytics ingest FILE.xlsx --data-dir DIR",
        ),
        (
            "4. The whole file is checked first. If anything is wrong, nothing is imported and "
            "you get every problem with its sheet, row (as Excel numbers it), column and fix.",
        ),
        (
            "5. A round id that is not yet in the store creates the round (from its rounds row, "
            "or from the cases' audit dates). Replacing a round already loaded must be asked for "
            "(tick 'Replace', or --replace). Every import can be undone. Dates given on the "
            "rounds sheet must cover the audit_date of every case of that round.",
        ),
        (
            "6. A planned theme is loaded by adding its audit tool on the questions sheet "
            "(theme_id, question_id, text, category) together with its cases.",
        ),
        (
            f"7. Dates are YYYY-MM-DD. Files up to {DEFAULT_MAX_MB} MB. CSV files named cases.csv, "
            "responses.csv, rounds.csv and questions.csv are accepted too. The drop-downs reach "
            f"row {LAST_ROW:,}; a question_id not in the list (a new question on the questions "
            "sheet) only gives a warning. The question drop-down shows each standard's wording "
            f"after its id ('PERM-05{QUESTION_CHOICE_SEPARATOR}...'): keep the choice as it is, "
            "or type the id alone; either imports.",
        ),
        (),
        ("Sheets",),
        ("sheet", "needed", "one row is"),
    ]
    lines += [tuple(map(str, row)) for row in sheet_summary().itertuples(index=False)]
    lines += [(), ("Columns",), ("sheet", "column", "needed", "holds", "allowed values")]
    lines += [tuple(map(str, row)) for row in contract_summary().itertuples(index=False)]
    lines += [(), ("Quadrants",)]
    lines += [(code, label) for code, label in QUADRANT_LABELS.items()]
    lines += [(), ("Themes and their question ids",)]
    lines += [
        (
            name.split(": ", 1)[1],
            ", ".join(i.split(QUESTION_CHOICE_SEPARATOR, 1)[0] for i in ids)
            or "(none yet: add them on the questions sheet)",
        )
        for name, ids in lists.items()
        if name.startswith("questions: ")
    ]
    for line in lines:
        sheet.append(list(line))
    for row in sheet.iter_rows():
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for title_row in (1, 3):
        sheet.cell(row=title_row, column=1).font = Font(
            bold=True, size=14 if title_row == 1 else 12
        )
    for row in sheet.iter_rows():
        if row[0].value in ("Sheets", "Columns", "Quadrants", "Themes and their question ids"):
            row[0].font = Font(bold=True, size=12)
    sheet.column_dimensions["A"].width = 60
    for letter in "BCDE":
        sheet.column_dimensions[letter].width = 30


def template_workbook(data_dir: str | os.PathLike[str], theme: str | None = None) -> bytes:
    """Return the import template (XLSX bytes), drop-downs filled from the store's catalogue."""
    store = Store(data_dir)
    try:
        lists = _lists(store, theme)
    finally:
        store.close()
    book = Workbook()
    instructions = cast(Worksheet, book.active)  # a new workbook's one sheet is a worksheet
    instructions.title = "instructions"
    lists_sheet = book.create_sheet("lists")
    ranges = _write_lists(lists_sheet, lists)
    for table in SHEET_ORDER:
        _data_sheet(book, table, ranges, theme)
    book.move_sheet("lists", offset=len(SHEET_ORDER))
    _instructions(instructions, lists, theme)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def write_template(
    path: str | os.PathLike[str], data_dir: str | os.PathLike[str], theme: str | None = None
) -> Path:
    """Write the import template to `path`; return the path."""
    path = Path(path)
    data = template_workbook(data_dir, theme)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise AuditDataError(f"The template could not be written to {path}: {reason}.") from error
    return path
