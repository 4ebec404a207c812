"""The import template: sheets, headers, drop-downs from the catalogue, and a round trip."""

from __future__ import annotations

import io
import re

import openpyxl
import pandas as pd
import pytest
from ingest_helpers import ANALYST, copy_store, round_tables, xlsx

from analytics import ingest, queries
from analytics.domain import GENDERS, GRADES, QUADRANTS, RESPONSES, ROUND_STATUSES
from analytics.errors import UnknownValueError
from analytics.ingest.spec import SHEET_ORDER, SHEETS, question_choice
from analytics.ingest.template import LAST_ROW
from analytics.store import Store

PERMANENCY = [f"PERM-{i:02d}" for i in range(1, 11)]


def load(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def drop_downs(book: openpyxl.Workbook, sheet: str) -> dict[str, list[str]]:
    """Return header -> the values its drop-down offers (resolved from the lists sheet)."""
    headers = [c.value for c in book[sheet][1]]
    out = {}
    for validation in book[sheet].data_validations.dataValidation:
        if validation.type != "list":
            continue
        column = re.match(r"([A-Z]+)2:", str(validation.sqref)).group(1)
        match = re.fullmatch(r"='?(\w+)'?!\$([A-Z]+)\$(\d+):\$[A-Z]+\$(\d+)", validation.formula1)
        source, letter, first, last = match.groups()
        cells = book[source][f"{letter}{first}:{letter}{last}"]
        values = [row[0].value for row in cells if row[0].value is not None]
        out[headers[openpyxl.utils.column_index_from_string(column) - 1]] = values
    return out


def test_sheets_headers_and_no_data_rows(sample_dir):
    book = load(ingest.template_workbook(sample_dir))
    assert book.sheetnames == ["instructions", "cases", "responses", "rounds", "questions", "lists"]
    for table in SHEET_ORDER:
        assert [c.value for c in book[table][1]] == [c.name for c in SHEETS[table]]
        assert book[table].max_row == 1, f"{table} has example rows"


def test_drop_downs_come_from_the_domain_and_the_store(sample, sample_dir):
    book = load(ingest.template_workbook(sample_dir))
    themes = queries.themes(sample)["theme_id"].tolist()
    assert drop_downs(book, "cases") == {
        "theme_id": themes, "quadrant": list(QUADRANTS), "gender": list(GENDERS),
        "overall_grade": list(GRADES),
    }  # fmt: skip
    responses = drop_downs(book, "responses")
    assert responses["response"] == list(RESPONSES)
    all_questions = sample.query("SELECT question_id, text FROM questions ORDER BY ALL")
    choices = [question_choice(q, t) for q, t in all_questions.itertuples(index=False)]
    assert sorted(responses["question_id"]) == sorted(choices)  # "ID · wording", readable
    assert drop_downs(book, "rounds") == {"theme_id": themes, "status": list(ROUND_STATUSES)}
    categories = drop_downs(book, "questions")["category"]
    assert categories[:2] == ["Management oversight and supervision", "Voice of the child"]
    date_rules = [v for v in book["cases"].data_validations.dataValidation if v.type == "date"]
    assert [str(v.sqref) for v in date_rules] == [f"G2:G{LAST_ROW}"]  # audit_date
    assert LAST_ROW >= 140_000  # the answers of a 10,000-case round (14 questions) fit


def test_one_themes_template_offers_only_its_questions(sample_dir):
    book = load(ingest.template_workbook(sample_dir, theme="permanency"))
    offered = drop_downs(book, "responses")["question_id"]
    assert [choice.split(" · ", 1)[0] for choice in offered] == PERMANENCY
    wording = queries.questions(Store(sample_dir), "permanency")
    assert offered[0] == question_choice("PERM-01", wording["PERM-01"])
    assert offered[0].startswith(f"PERM-01 · {wording['PERM-01'][:40]}")  # id, then the words
    assert drop_downs(book, "cases")["theme_id"] == ["permanency"]
    assert book["instructions"]["A1"].value == "Audit Insight: import template for permanency"


def test_unknown_theme_is_refused(sample_dir):
    with pytest.raises(UnknownValueError, match="Unknown theme 'nope'"):
        ingest.template_workbook(sample_dir, theme="nope")


def test_instructions_describe_every_column_and_rule(sample_dir):
    book = load(ingest.template_workbook(sample_dir))
    text = "\n".join(
        " | ".join(str(c.value) for c in row if c.value is not None)
        for row in book["instructions"].iter_rows()
    )
    for table in SHEET_ORDER:
        for column in SHEETS[table]:
            assert f"{table} | {column.name} |" in text
    assert "NHS numbers" in text and "nothing is imported" in text and "YYYY-MM-DD" in text
    assert "placement_stability | (none yet" in text


def test_filled_in_template_imports(sample_dir, tmp_path):
    data_dir = copy_store(sample_dir, tmp_path / "data")
    book = load(ingest.template_workbook(data_dir, theme="permanency"))
    tables = round_tables("permanency", "2021-09", PERMANENCY, n_cases=5)
    for table, frame in tables.items():
        for row in frame.itertuples(index=False):
            book[table].append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    result = ingest.import_files(
        data_dir, [ingest.Source("filled.xlsx", buffer.getvalue())], actor=ANALYST
    )
    assert result.changed
    assert queries.audited_rounds(Store(data_dir), "permanency")[-1] == "2021-09"


def test_template_follows_the_store_after_a_new_audit_tool(sample_dir, tmp_path):
    data_dir = copy_store(sample_dir, tmp_path / "data")
    questions = pd.DataFrame([{"theme_id": "supervision", "question_id": "SUP-01",
                               "text": "Supervision is regular", "category": "Management oversight and supervision"}])  # fmt: skip
    tables = round_tables("supervision", "2021-01", ["SUP-01"])
    ingest.import_files(data_dir, [xlsx(tables | {"questions": questions})], actor=ANALYST)
    book = load(ingest.template_workbook(data_dir, theme="supervision"))
    assert drop_downs(book, "responses")["question_id"] == ["SUP-01 · Supervision is regular"]


def test_template_command(sample_dir, tmp_path, capsys):
    from analytics.cli import main

    out = tmp_path / "out" / "template.xlsx"
    code = main(
        ["template", "--out", str(out), "--theme", "missing", "--data-dir", str(sample_dir)]
    )
    assert code == 0 and "Wrote the import template" in capsys.readouterr().out
    assert drop_downs(load(out.read_bytes()), "responses")["question_id"][0].startswith("MIS-01 · ")
    assert (
        main(["template", "--out", str(out), "--theme", "nope", "--data-dir", str(sample_dir)]) == 2
    )
    assert main(["template", "--out", str(tmp_path), "--data-dir", str(sample_dir)]) == 2
    assert "could not be written to" in capsys.readouterr().err


def validation_of(book: openpyxl.Workbook, sheet: str, header: str):
    """Return the data validation on a column, or None."""
    headers = [c.value for c in book[sheet][1]]
    letter = openpyxl.utils.get_column_letter(headers.index(header) + 1)
    for validation in book[sheet].data_validations.dataValidation:
        if str(validation.sqref).startswith(f"{letter}2:"):
            return validation
    return None


def test_a_new_question_id_only_warns_other_drop_downs_stop(sample_dir):
    book = load(ingest.template_workbook(sample_dir))
    question = validation_of(book, "responses", "question_id")
    assert question.errorStyle == "warning" and "questions sheet" in question.error
    assert validation_of(book, "responses", "response").errorStyle in (None, "stop")
    assert validation_of(book, "cases", "quadrant").errorStyle in (None, "stop")


def test_a_planned_themes_template_has_no_empty_question_list(sample_dir):
    book = load(ingest.template_workbook(sample_dir, theme="placement_stability"))
    assert validation_of(book, "responses", "question_id") is None  # nothing to offer yet
    assert drop_downs(book, "cases")["theme_id"] == ["placement_stability"]
    text = " ".join(str(c.value) for row in book["instructions"].iter_rows() for c in row)
    assert "placement_stability | (none yet" in " | ".join(
        " | ".join(str(c.value) for c in row if c.value is not None)
        for row in book["instructions"].iter_rows()
    )
    assert f"row {LAST_ROW:,}" in text


def test_columns_excel_would_convert_are_text(sample_dir):
    book = load(ingest.template_workbook(sample_dir))
    for table in SHEET_ORDER:
        for index, column in enumerate(SHEETS[table], start=1):
            letter = openpyxl.utils.get_column_letter(index)
            number_format = book[table].column_dimensions[letter].number_format
            if column.as_text:
                assert number_format == "@", (table, column.name)
            elif column.kind == "date":
                assert number_format == "yyyy-mm-dd", (table, column.name)
    assert {c.name for c in SHEETS["cases"] if c.as_text} == {
        "audit_id", "round_id", "team", "child_ref", "age_band"}  # fmt: skip


def test_a_template_filled_from_the_drop_downs_imports_the_ids(sample_dir, tmp_path):
    data_dir = copy_store(sample_dir, tmp_path / "data")
    book = load(ingest.template_workbook(data_dir, theme="permanency"))
    offered = drop_downs(book, "responses")["question_id"]
    tables = round_tables("permanency", "2021-09", PERMANENCY, n_cases=2)
    responses = tables["responses"]
    chosen = dict(zip(PERMANENCY, offered, strict=True))
    # The first case's answers picked from the list ("PERM-01 · wording"), the second's typed.
    first = responses["audit_id"] == "N1"
    responses.loc[first, "question_id"] = responses.loc[first, "question_id"].map(chosen)
    result = ingest.import_files(data_dir, [xlsx(tables, "picked.xlsx")], actor=ANALYST)
    assert result.changed and result.preview.completeness["answered"].tolist() == [20]
    stored = Store(data_dir).query(
        "SELECT audit_id, question_id FROM responses WHERE round_id = '2021-09' ORDER BY ALL"
    )
    assert stored.values.tolist() == [[a, q] for a in ("N1", "N2") for q in PERMANENCY]
