"""The hostile-input battery's catalogue: each case a distinct way of being bad, made in code.

A case is "category/kind", a way in (cli: `python -m analytics ...` as main(argv); api: the Data
page's importer, ingest.import_files on uploaded bytes; tracker: the Data page's tracker path,
read, propose, import; mapping: a mapping file uploaded; url: a page's query params through
AppTest), what it must come to (refused: nothing stored and the message names where; handled:
imported or ignored, and what was stored is checked; either: whichever, but correct), key phrases
the message must hold, phrases it must never hold (a value echoed in full, a raw escape), and a
check of the store for a handled case. tests/analytics/ingest/test_hostile_inputs.py runs them.
"""

from __future__ import annotations

import io
import json
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import pandas as pd

from analytics.store import Store
from tests.ingest_helpers import round_tables, xlsx_bytes

ROOT = Path(__file__).resolve().parent.parent
TRACKERS = Path(__file__).parent / "fixtures" / "trackers"
SW_CSV = TRACKERS / "SW_permanency.csv"
THEME = "permanency"
ROUND = "2021-03"  # a new round of the sample store's permanency theme (March 2021)
PERM = [f"PERM-{n:02d}" for n in range(1, 11)]


@dataclass(frozen=True)
class Case:
    """One kind of bad input: how to make it, how it goes in, and what must come of it."""

    id: str  # category/kind
    build: Callable[[Path, Path], dict]  # (folder for the files, the store) -> the child's action
    expect: str  # refused | handled | either
    phrases: tuple[str, ...] = ()  # each must be in the message (case-insensitive)
    absent: tuple[str, ...] = ()  # none may be in the message (exact)
    check: Callable[[Path, dict], None] | None = None  # a handled case: what was stored
    where: dict[str, object] = field(default_factory=dict)  # a refused problem's sheet/row/column


# --- building files ----------------------------------------------------------------------------


def tables(n_cases: int = 4) -> dict[str, pd.DataFrame]:
    """A valid new round of permanency (every case answers every standard); child refs C1001..."""
    made = round_tables(THEME, ROUND, PERM, n_cases=n_cases, audit_date="2021-03-05")
    made["cases"]["child_ref"] = [f"C{1001 + i}" for i in range(n_cases)]
    return made


def edited(table: str, index: int, column: str, value: object, n_cases: int = 4):
    made = tables(n_cases)
    made[table][column] = made[table][column].astype(object)
    made[table].loc[index, column] = value
    return made


def put(folder: Path, name: str, data: bytes | str) -> str:
    path = folder / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return str(path)


def put_xlsx(folder: Path, made: dict[str, pd.DataFrame], name: str = "round.xlsx") -> str:
    return put(folder, name, xlsx_bytes(made))


def put_csvs(folder: Path, made: dict[str, pd.DataFrame], **encode) -> list[str]:
    return [put(folder, f"{t}.csv", f.to_csv(index=False, **encode)) for t, f in made.items()]


def csv_text(frame: pd.DataFrame) -> str:
    return frame.to_csv(index=False)


def rezip(data: bytes, members: dict[str, bytes | Callable[[bytes], bytes]]) -> bytes:
    """Return the workbook with some members replaced (bytes, or a function of the old bytes)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = source.read(info.filename)
            new = members.get(info.filename, body)
            target.writestr(info.filename, new(body) if callable(new) else new)
        for name, new in members.items():
            if name not in source.namelist():
                target.writestr(name, new(b"") if callable(new) else new)
    return out.getvalue()


def workbook(cells: dict[str, list[list[object]]]) -> bytes:
    """Return a workbook written by openpyxl cell by cell (formulas, errors, real dates kept)."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for sheet, rows in cells.items():
        ws = book.create_sheet(sheet)
        for row in rows:
            ws.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def rows_of(frame: pd.DataFrame) -> list[list[object]]:
    return [list(frame.columns), *frame.astype(object).values.tolist()]


RESPONSES_SHEET = "xl/worksheets/sheet2.xml"  # openpyxl writes text inline (<is><t>), not shared


def with_doctype(doctype: bytes) -> Callable[[bytes], bytes]:
    """Put a DOCTYPE (entities) before a sheet's XML and use its entity in a comment cell."""

    def patch(body: bytes) -> bytes:
        body = body.split(b"?>", 1)[1] if body.startswith(b"<?xml") else body
        return b'<?xml version="1.0"?>' + doctype + body.replace(b"<t>ok</t>", b"<t>&e;</t>", 1)

    return patch


def cells_with(table: str, index: int, column: str, value: object) -> bytes:
    """A workbook of the valid round with one cell set to a typed value (a number, a date...)."""
    made = tables()
    grid = {name: rows_of(frame) for name, frame in made.items()}
    grid[table][index + 1][list(made[table].columns).index(column)] = value
    return workbook(grid)


def cli(*argv: object) -> dict:
    return {"way": "cli", "argv": [str(a) for a in argv]}


def api(*files: str, **extra: object) -> dict:
    return {"way": "api", "files": list(files), **extra}


def ingest_cli(store: Path, *files: str, **options: str) -> dict:
    args: list[object] = ["ingest", *files, "--data-dir", store]
    for name, value in options.items():
        args += [f"--{name.replace('_', '-')}", value]
    return cli(*args)


# --- checks of what a handled case stored --------------------------------------------------------


def stored(store: Path, sql: str, **params: object) -> pd.DataFrame:
    opened = Store(store)
    try:
        return opened.query(sql, params)
    finally:
        opened.close()


def round_cases(store: Path) -> pd.DataFrame:
    return stored(store, "SELECT * FROM cases WHERE theme_id = $t AND round_id = $r ORDER BY "
                  "audit_id", t=THEME, r=ROUND)  # fmt: skip


def expect_round(n_cases: int = 4) -> Callable[[Path, dict], None]:
    """The round is stored whole: its cases, and 10 answers each."""

    def check(store: Path, result: dict) -> None:
        cases = round_cases(store)
        assert len(cases) == n_cases, cases
        answers = stored(store, "SELECT count(*) AS n FROM responses WHERE theme_id = $t AND "
                         "round_id = $r", t=THEME, r=ROUND)  # fmt: skip
        assert int(answers["n"].iloc[0]) == n_cases * len(PERM)

    return check


def expect_comment(audit_id: str, question: str, text: str) -> Callable[[Path, dict], None]:
    """The round is stored whole and one comment is exactly this text."""

    def check(store: Path, result: dict) -> None:
        expect_round()(store, result)
        got = stored(store, "SELECT comment FROM responses WHERE theme_id = $t AND round_id = $r "
                     "AND audit_id = $a AND question_id = $q", t=THEME, r=ROUND, a=audit_id,
                     q=question)["comment"].tolist()  # fmt: skip
        assert got == [text]

    return check


def expect_column(column: str, values: list[object]) -> Callable[[Path, dict], None]:
    def check(store: Path, result: dict) -> None:
        expect_round(len(values))(store, result)
        got = round_cases(store)[column].astype(str).tolist()
        assert got == [str(v) for v in values]

    return check


def expect_responses(words: list[str]) -> Callable[[Path, dict], None]:
    """The round is stored and N1's answers are these contract words, PERM-01 onwards."""

    def check(store: Path, result: dict) -> None:
        expect_round()(store, result)
        got = stored(store, "SELECT response FROM responses WHERE theme_id = $t AND round_id = $r "
                     "AND audit_id = 'N1' ORDER BY question_id", t=THEME, r=ROUND)  # fmt: skip
        assert got["response"].tolist()[: len(words)] == words

    return check


def nothing_outside(*paths: str) -> Callable[[Path, dict], None]:
    def check(store: Path, result: dict) -> None:
        for relative in paths:
            assert not (store.parent / relative).exists(), f"written outside the store: {relative}"

    return check


# --- structure ---------------------------------------------------------------------------------


def b_no_cases_sheet(folder: Path, store: Path) -> dict:
    made = tables()
    return api(put_xlsx(folder, {"responses": made["responses"]}))


def b_empty_file(folder: Path, store: Path) -> dict:
    return ingest_cli(store, put(folder, "round.xlsx", b""))


def b_empty_csv_pair(folder: Path, store: Path) -> dict:
    return api(put(folder, "cases.csv", b""), put(folder, "responses.csv", b""))


def b_sheets_swapped(folder: Path, store: Path) -> dict:
    made = tables()
    return api(put_xlsx(folder, {"cases": made["responses"], "responses": made["cases"]}))


def b_duplicate_header(folder: Path, store: Path) -> dict:
    made = tables()
    text = csv_text(made["responses"]).splitlines()
    text[0] = text[0].replace("comment", "response")  # two columns headed response
    return api(put(folder, "cases.csv", csv_text(made["cases"])),
               put(folder, "responses.csv", "\n".join(text) + "\n"))  # fmt: skip


def b_header_only(folder: Path, store: Path) -> dict:
    made = tables()
    files = [put(folder, f"{t}.csv", ",".join(f.columns) + "\n") for t, f in made.items()]
    return ingest_cli(store, *files)


def b_ten_thousand_blank_rows(folder: Path, store: Path) -> dict:
    made = tables()
    blank = "," * (len(made["cases"].columns) - 1) + "\n"
    return api(put(folder, "cases.csv", csv_text(made["cases"]) + blank * 10_000),
               put(folder, "responses.csv", csv_text(made["responses"])))  # fmt: skip


def b_ragged_rows(folder: Path, store: Path) -> dict:
    made = tables()
    lines = csv_text(made["responses"]).splitlines()
    lines[3] += ",surplus,cells"
    return ingest_cli(store, put(folder, "cases.csv", csv_text(made["cases"])),
                      put(folder, "responses.csv", "\n".join(lines) + "\n"))  # fmt: skip


def b_csv_named_xlsx(folder: Path, store: Path) -> dict:
    return api(put(folder, "round.xlsx", csv_text(tables()["cases"])))


def b_zip_not_workbook(folder: Path, store: Path) -> dict:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("notes.txt", "not a workbook")
    return ingest_cli(store, put(folder, "round.xlsx", out.getvalue()))


def b_encrypted_workbook(folder: Path, store: Path) -> dict:
    # A password-protected workbook is an OLE2 compound file holding EncryptionInfo, not a zip.
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + "EncryptionInfo".encode("utf-16-le")
    return api(put(folder, "round.xlsx", ole + b"\0" * 4096))


def b_truncated_xlsx(folder: Path, store: Path) -> dict:
    data = xlsx_bytes(tables())
    return ingest_cli(store, put(folder, "round.xlsx", data[: len(data) // 2]))


def b_truncated_sheet_xml(folder: Path, store: Path) -> dict:
    data = rezip(xlsx_bytes(tables()),
                 {"xl/worksheets/sheet1.xml": lambda body: body[: len(body) * 2 // 3]})  # fmt: skip
    return api(put(folder, "round.xlsx", data))


def b_unknown_extension(folder: Path, store: Path) -> dict:
    return ingest_cli(store, put(folder, "round.ods", xlsx_bytes(tables())))


def b_folder_as_file(folder: Path, store: Path) -> dict:
    (folder / "cases.csv").mkdir()
    return ingest_cli(store, str(folder / "cases.csv"),
                      put(folder, "responses.csv", csv_text(tables()["responses"])))  # fmt: skip


def b_missing_file(folder: Path, store: Path) -> dict:
    return ingest_cli(store, str(folder / "no-such-round.xlsx"))


def b_symlink_outside(folder: Path, store: Path) -> dict:
    secret = folder.parent / "outside.txt"
    secret.write_text("SECRET-FIRST-LINE,not,for,the,problem,table\nx,y\n")
    (folder / "cases.csv").symlink_to(secret)
    return ingest_cli(store, str(folder / "cases.csv"),
                      put(folder, "responses.csv", csv_text(tables()["responses"])))  # fmt: skip


def b_rounds_sheet_garbage(folder: Path, store: Path) -> dict:
    made = tables() | {"rounds": pd.DataFrame({"colour": ["red"], "size": ["big"]})}
    return api(put_xlsx(folder, made))


STRUCTURE = [
    Case("structure/no-cases-sheet", b_no_cases_sheet, "refused", ("cases",),
         where={"sheet": "cases"}),
    Case("structure/empty-file", b_empty_file, "refused", ("round.xlsx",)),
    Case("structure/empty-csv-pair", b_empty_csv_pair, "refused", ("cases",)),
    Case("structure/sheets-swapped", b_sheets_swapped, "refused", ("missing",)),
    Case("structure/duplicate-header-column", b_duplicate_header, "refused", ("response",),
         where={"sheet": "responses.csv", "column": "response"}),
    Case("structure/header-only", b_header_only, "refused", ("no cases",)),
    Case("structure/ten-thousand-blank-rows", b_ten_thousand_blank_rows, "handled",
         check=expect_round()),
    Case("structure/ragged-rows", b_ragged_rows, "refused", ("responses.csv", "row has 6")),
    Case("structure/csv-named-xlsx", b_csv_named_xlsx, "refused", ("round.xlsx", "workbook")),
    Case("structure/zip-not-workbook", b_zip_not_workbook, "refused", ("workbook",)),
    Case("structure/encrypted-workbook", b_encrypted_workbook, "refused", ("round.xlsx",)),
    Case("structure/truncated-xlsx", b_truncated_xlsx, "refused", ("round.xlsx",)),
    Case("structure/truncated-sheet-xml", b_truncated_sheet_xml, "refused", ("cases",),
         absent=("sheet is empty",)),
    Case("structure/unknown-extension", b_unknown_extension, "refused", ("round.ods",)),
    Case("structure/folder-given-as-file", b_folder_as_file, "refused", ("folder",)),
    Case("structure/missing-file", b_missing_file, "refused", ("no-such-round.xlsx",)),
    Case("structure/symlink-outside", b_symlink_outside, "refused", ("cases",),
         absent=("SECRET-FIRST-LINE",)),
    Case("structure/rounds-sheet-of-other-columns", b_rounds_sheet_garbage, "refused",
         ("rounds",), where={"sheet": "rounds"}),
]  # fmt: skip


# --- values ------------------------------------------------------------------------------------


def b_value(table: str, index: int, column: str, value: object, way: str = "api", xlsx=True):
    def build(folder: Path, store: Path) -> dict:
        made = edited(table, index, column, value)
        files = [put_xlsx(folder, made)] if xlsx else put_csvs(folder, made)
        return api(*files) if way == "api" else ingest_cli(store, *files)

    return build


def b_typed(table: str, index: int, column: str, value: object, way: str = "api"):
    def build(folder: Path, store: Path) -> dict:
        path = put(folder, "round.xlsx", cells_with(table, index, column, value))
        return api(path) if way == "api" else ingest_cli(store, path)

    return build


def b_mixed_case_words(folder: Path, store: Path) -> dict:
    made = tables()
    made["responses"]["response"] = made["responses"]["response"].str.upper()
    made["cases"]["overall_grade"] = "good"
    return api(*put_csvs(folder, made))


def b_url(params: dict[str, str], page: str | None = "app_pages/theme.py"):
    def build(folder: Path, store: Path) -> dict:
        return {"way": "url", "root": str(ROOT), "params": params, "page": page}

    return build


def b_export(*extra: object, chart: str = "finding_frequency", fmt: str = "csv"):
    def build(folder: Path, store: Path) -> dict:
        return cli("export", "--theme", THEME, "--chart", chart, "--format", fmt, "--out",
                   folder / f"out.{fmt}", "--data-dir", store, *extra)  # fmt: skip

    return build


def b_report(*extra: object):
    def build(folder: Path, store: Path) -> dict:
        return cli("report", "--theme", THEME, "--data-dir", store, *extra)

    return build


def as_tiny_store(store: Path) -> None:
    """Make the store the tiny hand-made one (tests/README.md): round r1 of alpha has no team T2."""
    import shutil

    from analytics.store import write_new_store
    from tests.conftest import tiny_tables

    shutil.rmtree(store)
    write_new_store(store, tiny_tables().items(), {"synthetic": True, "notice": "tiny"})


def b_tiny_empty_team_url(folder: Path, store: Path) -> dict:
    as_tiny_store(store)
    return b_url({"round": "r1", "team": "T2"})(folder, store)


def b_tiny_empty_team_export(folder: Path, store: Path) -> dict:
    as_tiny_store(store)
    return cli("export", "--theme", "alpha", "--round", "r1", "--team", "T2", "--chart",
               "finding_frequency", "--format", "csv", "--out", folder / "out.csv",
               "--data-dir", store)  # fmt: skip


VALUES = [
    Case("values/unknown-response-word", b_value("responses", 0, "response", "Yes"), "refused",
         ("Yes",), where={"sheet": "responses", "row": 2, "column": "response"}),
    Case("values/grade-out-of-vocabulary",
         b_value("cases", 2, "overall_grade", "Excellent", way="cli"), "refused",
         ("overall_grade", "Excellent")),
    Case("values/number-where-text", b_typed("responses", 1, "response", 1), "refused",
         ("response",), where={"sheet": "responses", "row": 3, "column": "response"}),
    Case("values/negative-number-quadrant", b_typed("cases", 0, "quadrant", -1), "refused",
         ("quadrant",), where={"sheet": "cases", "row": 2, "column": "quadrant"}),
    Case("values/huge-number-age-band", b_typed("cases", 1, "age_band", 1e308), "refused",
         ("age_band",), where={"sheet": "cases", "row": 3, "column": "age_band"}),
    Case("values/whitespace-only-required", b_value("cases", 0, "quadrant", "   ", xlsx=False),
         "refused", ("quadrant",), where={"sheet": "cases.csv", "row": 2, "column": "quadrant"}),
    Case("values/mixed-case-vocabulary", b_mixed_case_words, "handled",
         check=expect_responses(["Met", "Not met", "Partially met", "Not applicable"])),
    Case("values/boolean-cell", b_typed("responses", 2, "response", True), "refused",
         ("response",), where={"sheet": "responses", "row": 4, "column": "response"}),
    Case("values/nan-text", b_value("responses", 3, "response", "NaN", way="cli", xlsx=False),
         "refused", ("response",)),
    Case("values/excel-error-cell", b_typed("cases", 3, "gender", "#N/A"), "refused",
         ("gender",), where={"sheet": "cases", "row": 5, "column": "gender"}),
    Case("values/empty-answer", b_value("responses", 4, "response", None), "refused",
         ("response",), where={"sheet": "responses", "row": 6, "column": "response"}),
    Case("values/suppress-below-absurd", b_export("--suppress-below", "9" * 40), "either",
         absent=("Traceback",)),
    Case("values/url-suppress-below-negative", b_url({"suppress_below": "-5"}), "handled",
         ("-5",)),
]  # fmt: skip


# --- identity ----------------------------------------------------------------------------------


def b_stored_audit_id(folder: Path, store: Path) -> dict:
    taken = stored(store, "SELECT audit_id FROM cases WHERE theme_id = $t ORDER BY audit_id "
                   "LIMIT 1", t=THEME)["audit_id"].iloc[0]  # fmt: skip
    made = tables()
    for name in ("cases", "responses"):
        made[name]["audit_id"] = made[name]["audit_id"].replace("N1", taken)
    return api(put_xlsx(folder, made))


def b_round_traversal(folder: Path, store: Path) -> dict:
    made = tables()
    made["cases"]["round_id"] = "../../escaped"
    return ingest_cli(store, *put_csvs(folder, made))


def b_audit_id_nul(folder: Path, store: Path) -> dict:
    made = tables()
    for name in ("cases", "responses"):
        made[name]["audit_id"] = made[name]["audit_id"].replace("N2", "N\x002")
    return api(*put_csvs(folder, made))


def b_audit_id_long(folder: Path, store: Path) -> dict:
    made = tables()
    long_id = "N" * 10_000
    for name in ("cases", "responses"):
        made[name]["audit_id"] = made[name]["audit_id"].replace("N3", long_id)
    return api(put_xlsx(folder, made))


def b_audit_id_slash(folder: Path, store: Path) -> dict:
    made = tables()
    for name in ("cases", "responses"):
        made[name]["audit_id"] = made[name]["audit_id"].replace("N4", "../N4")
    return api(put_xlsx(folder, made))


def b_case_in_two_themes(folder: Path, store: Path) -> dict:
    made = tables()
    made["cases"]["theme_id"] = made["cases"]["theme_id"].astype(object)
    made["cases"].loc[1, "theme_id"] = "missing"  # its answers are permanency questions
    return api(put_xlsx(folder, made))


def b_undo_traversal(folder: Path, store: Path) -> dict:
    return cli("undo-import", "../../imp-0001", "--data-dir", store)


def b_accept_unknown_round(folder: Path, store: Path) -> dict:
    return cli("accept-round", "--theme", THEME, "--round", "no-such-round", "--data-dir", store)


def audit_id_slash_stored(store: Path, result: dict) -> None:
    expect_round()(store, result)
    assert "../N4" in round_cases(store)["audit_id"].tolist()
    assert not any(p.name == "N4" for p in store.parent.iterdir())


IDENTITY = [
    Case("identity/duplicate-audit-id", b_value("cases", 1, "audit_id", "N1"), "refused",
         ("N1",), where={"sheet": "cases", "row": 3, "column": "audit_id"}),
    Case("identity/audit-id-already-stored", b_stored_audit_id, "refused", ("already",),
         where={"sheet": "cases", "row": 2, "column": "audit_id"}),
    Case("identity/response-for-unknown-case", b_value("responses", 0, "audit_id", "ZZ9"),
         "refused", ("ZZ9",), where={"sheet": "responses", "row": 2, "column": "audit_id"}),
    Case("identity/question-not-in-theme",
         b_value("responses", 1, "question_id", "PERM-99", way="cli"), "refused", ("PERM-99",)),
    Case("identity/unknown-theme", b_value("cases", 0, "theme_id", "gamma"), "refused",
         ("gamma",), where={"sheet": "cases", "row": 2, "column": "theme_id"}),
    Case("identity/round-id-path-traversal", b_round_traversal, "refused", ("round_id",),
         check=nothing_outside("escaped")),
    Case("identity/audit-id-with-nul", b_audit_id_nul, "refused", ("cases.csv",),
         where={"sheet": "cases.csv"}),
    Case("identity/audit-id-ten-thousand-chars", b_audit_id_long, "refused", ("audit_id",),
         where={"sheet": "cases", "row": 4, "column": "audit_id"}),
    Case("identity/audit-id-with-slashes", b_audit_id_slash, "either",
         check=audit_id_slash_stored),
    Case("identity/case-theme-differs-from-its-answers", b_case_in_two_themes, "refused",
         ("PERM",)),
    Case("identity/undo-path-traversal", b_undo_traversal, "refused", ("imp-0001",)),
    Case("identity/accept-unknown-round", b_accept_unknown_round, "refused", ("no-such-round",)),
    Case("identity/export-team-with-no-cases-in-round", b_tiny_empty_team_export, "either",
         absent=("KeyError",)),
    Case("identity/url-team-with-no-cases-in-round", b_tiny_empty_team_url, "handled",
         absent=("KeyError",)),
    Case("identity/export-theme-path-traversal",
         lambda f, s: cli("export", "--theme", "../../etc", "--format", "csv", "--out",
                          f / "o.csv", "--data-dir", s), "refused", ("theme",)),
    Case("identity/url-unknown-team", b_url({"team": "No Such Team"}), "handled",
         ("No Such Team",)),
]  # fmt: skip


# --- dates -------------------------------------------------------------------------------------


def b_dates(values: list[object], way: str = "api", typed: bool = False):
    def build(folder: Path, store: Path) -> dict:
        made = tables(len(values))
        if typed:
            grid = {name: rows_of(frame) for name, frame in made.items()}
            column = list(made["cases"].columns).index("audit_date")
            for i, value in enumerate(values):
                grid["cases"][i + 1][column] = value
            files = [put(folder, "round.xlsx", workbook(grid))]
        else:
            made["cases"]["audit_date"] = values
            files = put_csvs(folder, made)
        return api(*files) if way == "api" else ingest_cli(store, *files)

    return build


def b_rounds_bad_date(folder: Path, store: Path) -> dict:
    made = tables() | {"rounds": pd.DataFrame([{"theme_id": THEME, "round_id": ROUND,
                                                "label": "March", "start_date": "soon",
                                                "end_date": "2021-03-31"}])}  # fmt: skip
    return api(put_xlsx(folder, made))


def b_tracker_csv(
    rows_edit: Callable[[list[list[str]]], None],
    round_id: str = ROUND,
    mapping_edit: Callable[[dict], None] | None = None,
    way: str = "cli",
):
    """The South West fixture tracker, edited, imported with its hand-written mapping."""

    def build(folder: Path, store: Path) -> dict:
        import csv as csv_module

        with SW_CSV.open(encoding="utf-8", newline="") as handle:
            rows = list(csv_module.reader(handle))
        rows_edit(rows)
        buffer = io.StringIO()
        csv_module.writer(buffer, lineterminator="\n").writerows(rows)
        tracker = put(folder, "SW_permanency.csv", buffer.getvalue())
        mapping = sw_mapping(rows[0])
        if mapping_edit is not None:
            mapping_edit(mapping)
        mapping_file = put(folder, "sw.json", json.dumps(mapping))
        if way == "api":
            return api(tracker, mapping=mapping_file, round_id=round_id)
        return ingest_cli(store, tracker, mapping=mapping_file, round=round_id)

    return build


def sw_mapping(headers: list[str]) -> dict:
    """The South West CSV's mapping written by hand (as tests/analytics/ingest/trackers/test_tracker_cli.py)."""
    return {
        "format": "audit-insight/tracker-mapping/1",
        "name": "SW permanency tracker",
        "theme_id": THEME,
        "layouts": [{
            "source": "SW_permanency.csv",
            "headers": headers,
            "fields": {"case_ref": "Case Reference", "team": "Team", "audit_date": "Audited on",
                       "overall_grade": "Overall Grade"},
            "standards": dict(zip(headers[4:14], PERM, strict=True)),
            "ignored": ["Next review"],
            "quadrant": "SW",
        }],
    }  # fmt: skip


def set_cell(row: int, column: int, value: str) -> Callable[[list[list[str]]], None]:
    def edit(rows: list[list[str]]) -> None:
        rows[row][column] = value

    return edit


def b_datetime_cell(folder: Path, store: Path) -> dict:
    import datetime as dt

    return b_dates([dt.datetime(2021, 3, 5, 14, 30)] * 4, typed=True)(folder, store)


DATES = [
    Case("dates/impossible-31-february", b_dates(["2021-03-05", "31/02/2024", "2021-03-05",
                                                  "2021-03-05"]), "refused",
         ("31/02/2024",), where={"sheet": "cases.csv", "row": 3, "column": "audit_date"}),
    Case("dates/future", b_dates(["2999-01-01"] * 4, way="cli"), "refused", ("future",)),
    Case("dates/year-1899", b_dates(["1899-12-31"] * 4), "refused", ("audit_date",),
         where={"sheet": "cases.csv", "row": 2, "column": "audit_date"}),
    Case("dates/excel-serial-zero", b_dates([0, 44260, 44260, 44260], typed=True), "refused",
         ("audit_date",), where={"sheet": "cases", "row": 2, "column": "audit_date"}),
    Case("dates/excel-serial-negative", b_dates([-5, 44260, 44260, 44260], typed=True),
         "refused", ("audit_date",), where={"sheet": "cases", "row": 2, "column": "audit_date"}),
    Case("dates/text-yesterday", b_dates(["yesterday"] * 4, way="cli"), "refused",
         ("yesterday",)),
    Case("dates/mixed-formats-one-column",
         b_dates(["2021-03-05", "05/03/2021", "March 5 2021", "2021.03.05"]), "refused",
         ("audit_date",), where={"sheet": "cases.csv", "row": 4, "column": "audit_date"}),
    Case("dates/timezone-suffixed", b_dates(["2021-03-05T10:00:00+05:00"] * 4), "refused",
         ("audit_date",), where={"sheet": "cases.csv", "row": 2, "column": "audit_date"}),
    Case("dates/datetime-cell-with-time", b_datetime_cell, "handled",
         check=expect_column("audit_date", ["2021-03-05"] * 4)),
    Case("dates/rounds-sheet-start-soon", b_rounds_bad_date, "refused", ("start_date",),
         where={"sheet": "rounds", "row": 2, "column": "start_date"}),
    Case("dates/tracker-two-digit-year", b_tracker_csv(set_cell(1, 2, "02/03/21")), "refused",
         ("02/03/21",)),
    Case("dates/tracker-outside-named-round", b_tracker_csv(lambda rows: None,
                                                            round_id="2020-04-final"),
         "refused", ("2020-04-final",)),
]  # fmt: skip


# --- text and encodings -----------------------------------------------------------------------


def b_comment(text: str, way: str = "api", xlsx: bool = False, index: int = 2):
    return b_value("responses", index, "comment", text, way=way, xlsx=xlsx)


def b_encoded(
    encode: Callable[[str], bytes],
    way: str = "api",
    table: str = "responses",
    edit: Callable[[dict[str, pd.DataFrame]], None] | None = None,
):
    def build(folder: Path, store: Path) -> dict:
        made = tables()
        if edit is not None:
            edit(made)
        files = []
        for name, frame in made.items():
            text = csv_text(frame)
            files.append(put(folder, f"{name}.csv", encode(text) if name == table else text))
        return api(*files) if way == "api" else ingest_cli(store, *files)

    return build


def set_comment(text: str, index: int = 2) -> Callable[[dict[str, pd.DataFrame]], None]:
    def edit(made: dict[str, pd.DataFrame]) -> None:
        made["responses"].loc[index, "comment"] = text

    return edit


def b_xlsx_nul(folder: Path, store: Path) -> dict:
    # Excel writes a NUL in a cell as _x0000_ in the sheet's XML.
    made = edited("responses", 2, "comment", "before MARKNUL after")
    data = rezip(xlsx_bytes(made), {RESPONSES_SHEET:
                                    lambda b: b.replace(b"MARKNUL", b"_x0000_")})  # fmt: skip
    return api(put(folder, "round.xlsx", data))


def b_long_comments(count: int, length: int, way: str = "api", xlsx: bool = True):
    """Long comments (an Excel cell holds at most 32,767 characters: longer ones come as CSV)."""

    def build(folder: Path, store: Path) -> dict:
        made = tables(8)
        # one unbroken run of letters and digits (a pasted hash or link): the worst case for a
        # pattern that scans ahead from every position
        long = ("seen1at2home3" * (length // 13 + 1))[:length]
        made["responses"]["comment"] = made["responses"]["comment"].astype(object)
        made["responses"].loc[: count - 1, "comment"] = long
        files = [put_xlsx(folder, made)] if xlsx else put_csvs(folder, made)
        return api(*files) if way == "api" else ingest_cli(store, *files)

    return build


def b_unterminated_quote(row: int):
    def build(folder: Path, store: Path) -> dict:
        made = tables()
        lines = csv_text(made["responses"]).splitlines()
        lines[row] = lines[row].replace(",ok", ',"ok, the quote is never closed')
        return api(put(folder, "cases.csv", csv_text(made["cases"])),
                   put(folder, "responses.csv", "\n".join(lines) + "\n"))  # fmt: skip

    return build


def b_cr_only(folder: Path, store: Path) -> dict:
    made = tables()
    return api(*[put(folder, f"{t}.csv", csv_text(f).replace("\n", "\r")) for t, f in made.items()])


def b_mixed_newlines(folder: Path, store: Path) -> dict:
    made = tables()
    files = []
    for name, frame in made.items():
        lines = csv_text(frame).splitlines()
        files.append(
            put(
                folder,
                f"{name}.csv",
                "".join(line + ("\r\n" if i % 2 else "\n") for i, line in enumerate(lines)),
            )
        )
    return ingest_cli(store, *files)


def b_sep_line(folder: Path, store: Path) -> dict:
    made = tables()
    return api(*[put(folder, f"{t}.csv", "sep=;\n" + f.to_csv(index=False, sep=";"))
                 for t, f in made.items()])  # fmt: skip


def b_ansi_quadrant(folder: Path, store: Path) -> dict:
    made = edited("cases", 0, "quadrant", "\x1b[2J\x1b[31mNW\x1b[0m")
    return ingest_cli(store, *put_csvs(folder, made))


def b_header_zero_width(folder: Path, store: Path) -> dict:
    made = tables()
    made["cases"] = made["cases"].rename(columns={"quadrant": "quad\u200brant"})
    return api(put_xlsx(folder, made))


def b_header_bom_in_cell(folder: Path, store: Path) -> dict:
    made = tables()
    made["cases"] = made["cases"].rename(columns={"audit_id": "\ufeffaudit_id"})
    return api(put_xlsx(folder, made))


def header_fixed(store: Path, result: dict) -> None:
    expect_round()(store, result)


TEXT = [
    Case("text/utf16-without-bom", b_encoded(lambda t: t.encode("utf-16-le")), "refused",
         ("responses.csv",), where={"sheet": "responses.csv"}),
    Case("text/latin1-comment", b_encoded(lambda t: t.encode("latin-1"),
                                          edit=set_comment("Café visit, naïve plan")),
         "handled", check=expect_comment("N1", "PERM-03", "Café visit, naïve plan")),
    Case("text/invalid-utf8", b_encoded(lambda t: t.encode() + b"\x81\x8d\x8f\x90\x9d\n",
                                        way="cli"), "refused", ("responses.csv",)),
    Case("text/bom-in-xlsx-header", b_header_bom_in_cell, "either", ("audit_id",),
         check=header_fixed),
    Case("text/zero-width-in-header", b_header_zero_width, "either", ("quad",),
         check=header_fixed),
    Case("text/rtl-override-in-comment", b_comment("ok \u202egnp.exe"), "refused",
         ("comment",), where={"sheet": "responses.csv", "row": 4, "column": "comment"}),
    Case("text/nul-in-csv-comment", b_comment("before\x00after", way="cli"), "refused",
         ("responses.csv",)),
    Case("text/nul-in-xlsx-cell", b_xlsx_nul, "refused", ("comment",),
         where={"sheet": "responses", "row": 4, "column": "comment"}),
    Case("text/ansi-escape-in-refused-value", b_ansi_quadrant, "refused", ("quadrant",),
         absent=("\x1b",)),
    Case("text/one-comment-of-100k-chars", b_long_comments(1, 100_000, xlsx=False), "refused",
         ("comment",), where={"sheet": "responses.csv", "row": 2, "column": "comment"}),
    Case("text/eighty-comments-of-32k-chars", b_long_comments(80, 32_767, way="cli"), "refused",
         ("comment",)),
    Case("text/unterminated-quote-last-row", b_unterminated_quote(-1), "refused",
         ("quote",), where={"sheet": "responses.csv", "row": 41}),
    Case("text/unterminated-quote-mid-file", b_unterminated_quote(12), "refused",
         ("quote",), where={"sheet": "responses.csv", "row": 13}),
    Case("text/excel-sep-line", b_sep_line, "handled", check=expect_round()),
    Case("text/cr-only-line-ends", b_cr_only, "handled", check=expect_round()),
    Case("text/mixed-crlf-and-lf", b_mixed_newlines, "handled", check=expect_round()),
    Case("text/emoji-and-astral-comment", b_comment("Seen 👍🏽 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ok"), "handled",
         check=expect_comment("N1", "PERM-03", "Seen 👍🏽 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ok")),
    Case("text/homoglyph-quadrant", b_value("cases", 0, "quadrant", "\u039dW"), "refused",
         ("quadrant",), where={"sheet": "cases", "row": 2, "column": "quadrant"}),
    Case("text/ansi-escape-in-report-team", b_report("--team", "\x1b]0;pwned\x07T1"),
         "refused", ("team",), absent=("\x1b", "\x07")),
    Case("text/url-control-chars-quadrant", b_url({"quadrant": "N\x00E\x1b[0m"}), "handled",
         ("quadrant",), absent=("\x1b",)),
]  # fmt: skip


# --- sizes and bombs ---------------------------------------------------------------------------

ROW_XML = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>'


def bomb_bytes(unpacked_mb: int) -> bytes:
    """A valid workbook whose cases sheet unpacks to `unpacked_mb` MB of rows (about 1000:1)."""
    data = xlsx_bytes(tables())
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    block = ROW_XML * (1_048_576 // len(ROW_XML))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for info in source.infolist():
            body = source.read(info.filename)
            if info.filename != "xl/worksheets/sheet1.xml":
                target.writestr(info.filename, body)
                continue
            head, tail = body.split(b"</sheetData>")
            with target.open(info.filename, "w", force_zip64=True) as member:
                member.write(head)
                for _ in range(unpacked_mb):
                    member.write(block)
                member.write(b"</sheetData>" + tail)
    return out.getvalue()


def b_zip_bomb(folder: Path, store: Path) -> dict:
    return api(put(folder, "round.xlsx", bomb_bytes(300)))


def b_zip_bomb_cli(folder: Path, store: Path) -> dict:
    return ingest_cli(store, put(folder, "round.xlsx", bomb_bytes(60)))


def lie_about_size(data: bytes, member: str, size: int) -> bytes:
    """Return the zip with `member`'s uncompressed size in both headers set to `size`."""
    buffer = bytearray(data)
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(member)
    struct.pack_into("<I", buffer, info.header_offset + 22, size)
    offset = buffer.find(b"PK\x01\x02")
    while offset != -1:
        name_length = struct.unpack_from("<H", buffer, offset + 28)[0]
        if bytes(buffer[offset + 46 : offset + 46 + name_length]) == member.encode():
            struct.pack_into("<I", buffer, offset + 24, size)
        offset = buffer.find(b"PK\x01\x02", offset + 4)
    return bytes(buffer)


def b_lying_header(folder: Path, store: Path) -> dict:
    data = lie_about_size(bomb_bytes(100), "xl/worksheets/sheet1.xml", 4096)
    return api(put(folder, "round.xlsx", data))


LAUGHS = (
    b'<!DOCTYPE worksheet [<!ENTITY l0 "lol">'
    + b"".join(b'<!ENTITY l%d "%s">' % (i, b"&l%d;" % (i - 1) * 10) for i in range(1, 10))
    + b'<!ENTITY e "&l9;">]>'
)


def b_billion_laughs(folder: Path, store: Path) -> dict:
    data = rezip(xlsx_bytes(tables()), {RESPONSES_SHEET: with_doctype(LAUGHS)})
    return api(put(folder, "round.xlsx", data))


def b_external_entity(folder: Path, store: Path) -> dict:
    secret = folder.parent / "secret.txt"
    secret.write_text("XXE-SECRET-CONTENT")
    doctype = b'<!DOCTYPE worksheet [<!ENTITY e SYSTEM "file://%s">]>' % str(secret).encode()
    data = rezip(xlsx_bytes(tables()), {RESPONSES_SHEET: with_doctype(doctype)})
    return ingest_cli(store, put(folder, "round.xlsx", data))


def entity_not_expanded(store: Path, result: dict) -> None:
    """Handled: the entity was never expanded (nor the file read) into what was stored."""
    expect_round()(store, result)
    comments = stored(store, "SELECT comment FROM responses WHERE theme_id = $t AND round_id = $r",
                      t=THEME, r=ROUND)["comment"].dropna()  # fmt: skip
    assert not comments.str.contains("lollol|XXE-SECRET").any()


def b_million_columns(folder: Path, store: Path) -> dict:
    made = tables()
    header = ",".join(made["cases"].columns) + "," + ",".join(f"x{i}" for i in range(1_000_000))
    row = csv_text(made["cases"]).splitlines()[1]
    return api(put(folder, "cases.csv", header + "\n" + row + "\n"),
               put(folder, "responses.csv", csv_text(made["responses"])))  # fmt: skip


def b_deep_xml(folder: Path, store: Path) -> dict:
    depth = 200_000

    def nest(body: bytes) -> bytes:
        return body.replace(b"</sheetData>", b"</sheetData>" + b"<x>" * depth + b"</x>" * depth)

    return api(
        put(folder, "round.xlsx", rezip(xlsx_bytes(tables()), {"xl/worksheets/sheet1.xml": nest}))
    )


def b_far_cell(folder: Path, store: Path) -> dict:
    def far(body: bytes) -> bytes:
        cell = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
        return body.replace(b"</sheetData>", cell + b"</sheetData>")

    return api(
        put(folder, "round.xlsx", rezip(xlsx_bytes(tables()), {"xl/worksheets/sheet1.xml": far}))
    )


def b_over_limit(folder: Path, store: Path) -> dict:
    return ingest_cli(store, put_xlsx(folder, tables(40)), max_mb="0.005")


SST_RELATION = (b'<Relationship Id="rIdSST" Target="sharedStrings.xml" Type="http://schemas.'
                b'openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/>')  # fmt: skip
SST_TYPE = (b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
            b'officedocument.spreadsheetml.sharedStrings+xml"/>')  # fmt: skip


def b_many_unused_strings(folder: Path, store: Path) -> dict:
    strings = b"".join(b"<si><t>s%d</t></si>" % i for i in range(200_000))
    sst = (b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
           b'count="200000" uniqueCount="200000">' + strings + b"</sst>")  # fmt: skip
    data = rezip(xlsx_bytes(tables()), {
        "xl/sharedStrings.xml": sst,
        "xl/_rels/workbook.xml.rels": lambda b: b.replace(b"</Relationships>",
                                                          SST_RELATION + b"</Relationships>"),
        "[Content_Types].xml": lambda b: b.replace(b"</Types>", SST_TYPE + b"</Types>"),
    })  # fmt: skip
    return api(put(folder, "round.xlsx", data))


def b_unsupported_compression(folder: Path, store: Path) -> dict:
    data = bytearray(xlsx_bytes(tables()))
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("xl/worksheets/sheet1.xml")
    struct.pack_into("<H", data, info.header_offset + 8, 9)  # deflate64: not readable here
    offset = data.find(b"PK\x01\x02")
    while offset != -1:
        struct.pack_into("<H", data, offset + 10, 9)
        offset = data.find(b"PK\x01\x02", offset + 4)
    return api(put(folder, "round.xlsx", bytes(data)))


def either_round(store: Path, result: dict) -> None:
    expect_round()(store, result)


SIZES = [
    Case("sizes/file-over-the-size-limit", b_over_limit, "refused", ("MB",)),
    Case("sizes/zip-bomb-300mb-sheet", b_zip_bomb, "refused", ("round.xlsx",)),
    Case("sizes/zip-bomb-60mb-sheet-cli", b_zip_bomb_cli, "refused", ("round.xlsx",)),
    Case("sizes/zip-bomb-lying-size-header", b_lying_header, "refused", ("round.xlsx",)),
    Case("sizes/billion-laughs-entities", b_billion_laughs, "either", ("round.xlsx",),
         check=entity_not_expanded),
    Case("sizes/external-entity", b_external_entity, "either", ("round.xlsx",),
         absent=("XXE-SECRET-CONTENT",), check=entity_not_expanded),
    Case("sizes/million-columns-csv", b_million_columns, "either", check=either_round),
    Case("sizes/deeply-nested-sheet-xml", b_deep_xml, "either", check=either_round),
    Case("sizes/cell-at-xfd1048576", b_far_cell, "either", check=either_round),
    Case("sizes/200k-unused-shared-strings", b_many_unused_strings, "either",
         check=either_round),
    Case("sizes/unsupported-zip-compression", b_unsupported_compression, "refused",
         ("round.xlsx",)),
]  # fmt: skip


# --- personal data -----------------------------------------------------------------------------

PHONES = ["(01632) 960001", "+44 (0)1632 960001", "01632 960 001", "+441632960001",
          "07700-900-123", "0044 7700 900123", "07700 900 123 ext 2"]  # fmt: skip


def b_phones(folder: Path, store: Path) -> dict:
    made = tables()
    made["responses"]["comment"] = made["responses"]["comment"].astype(object)
    for i, phone in enumerate(PHONES):
        made["responses"].loc[i, "comment"] = f"call carer on {phone} today"
    return api(put_xlsx(folder, made))


def b_extra_column(name: str, values: list[str], way: str = "api", xlsx: bool = True):
    def build(folder: Path, store: Path) -> dict:
        made = tables()
        made["cases"][name] = values
        files = [put_xlsx(folder, made)] if xlsx else put_csvs(folder, made)
        return api(*files) if way == "api" else ingest_cli(store, *files)

    return build


def b_email_header(folder: Path, store: Path) -> dict:
    made = tables()
    made["cases"]["jo.bloggs@example.org"] = "x"
    return api(put_xlsx(folder, made))


def all_phone_rows(store: Path, result: dict) -> None:
    rows = {int(float(p["row"])) for p in result.get("problems", []) if p.get("row")}
    assert set(range(2, 2 + len(PHONES))) <= rows, f"phones not all caught: rows {sorted(rows)}"


PERSONAL = [
    Case("personal/email-in-comment", b_comment("mum: jo.bloggs@example.org"), "refused",
         ("email",), absent=("jo.bloggs@example.org",),
         where={"sheet": "responses.csv", "row": 4, "column": "comment"}),
    Case("personal/uk-phone-formats", b_phones, "refused", ("phone",),
         absent=("960001", "900123"), check=all_phone_rows),
    Case("personal/nhs-number-in-comment", b_comment("NHS 943 476 5919 checked", way="cli"),
         "refused", ("NHS",), absent=("943 476 5919",)),
    Case("personal/postcode-as-team", b_value("cases", 1, "team", "SW1A 1AA", way="cli",
                                                xlsx=False), "refused", ("postcode",),
         absent=("SW1A 1AA",)),
    Case("personal/child-ref-full-name", b_value("cases", 0, "child_ref", "john smith"),
         "refused", ("child_ref",), absent=("john smith",),
         where={"sheet": "cases", "row": 2, "column": "child_ref"}),
    Case("personal/child-ref-first-name", b_value("cases", 1, "child_ref", "Jayden"),
         "refused", ("child_ref",), absent=("Jayden",),
         where={"sheet": "cases", "row": 3, "column": "child_ref"}),
    Case("personal/child-ref-uk-date-of-birth", b_value("cases", 2, "child_ref", "04/05/2012",
                                                        xlsx=False), "refused",
         ("birth",), where={"sheet": "cases.csv", "row": 4, "column": "child_ref"}),
    Case("personal/social-worker-column",
         b_extra_column("Social worker", ["Pat Example", "Sam Sample", "Alex Test", "Jo Demo"]),
         "refused", ("Social worker",), where={"sheet": "cases", "column": "Social worker"}),
    Case("personal/carer-column",
         b_extra_column("Carer", ["Chris Fictional", "Lee Madeup", "Kim Invented", "Ray Nobody"],
                        way="cli", xlsx=False), "refused", ("Carer",)),
    Case("personal/child-name-column",
         b_extra_column("Child name", ["Test Child One", "Test Child Two", "Test Child Three",
                                       "Test Child Four"]), "refused", ("Child name",),
         where={"sheet": "cases", "column": "Child name"}),
    Case("personal/phone-as-child-ref", b_value("cases", 3, "child_ref", "07700900123"),
         "refused", ("phone",), absent=("07700900123",),
         where={"sheet": "cases", "row": 5, "column": "child_ref"}),
    Case("personal/email-as-column-header", b_email_header, "either", (),
         absent=("jo.bloggs@example.org",)),
]  # fmt: skip


# --- formulas and injection --------------------------------------------------------------------


def b_cached_formula(folder: Path, store: Path) -> dict:
    data = xlsx_bytes(edited("responses", 2, "comment", "MARKFORMULA"))

    def formula(body: bytes) -> bytes:
        old = b't="inlineStr"><is><t>MARKFORMULA</t></is>'
        new = b't="str"><f>HYPERLINK("http://evil.example/x","click me")</f><v>click me</v>'
        assert old in body
        return body.replace(old, new)

    return api(put(folder, "round.xlsx", rezip(data, {RESPONSES_SHEET: formula})))


def no_formula_stored(store: Path, result: dict) -> None:
    expect_round()(store, result)
    comments = stored(store, "SELECT comment FROM responses WHERE theme_id = $t AND round_id = $r",
                      t=THEME, r=ROUND)["comment"].dropna()  # fmt: skip
    assert not comments.str.startswith(("=", "HYPERLINK")).any()


def b_formula_no_cache(folder: Path, store: Path) -> dict:
    return api(put(folder, "round.xlsx", cells_with("responses", 0, "response", "=1+1")))


def b_errors_csv(folder: Path, store: Path) -> dict:
    made = edited("cases", 0, "quadrant", '=HYPERLINK("http://evil.example","x")')
    action = ingest_cli(store, *put_csvs(folder, made))
    action["argv"] += ["--errors-csv", str(folder / "problems.csv")]
    return action


def errors_csv_neutral(store: Path, result: dict) -> None:
    text = Path(result["action"]["argv"][-1]).read_text(encoding="utf-8-sig")
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    for value in frame.to_numpy().ravel():
        assert not str(value).startswith(("=", "+", "-", "@")), value


SQL = "x'); DROP TABLE cases;--"

INJECTION = [
    Case("formulas/hyperlink-formula-with-cached-value", b_cached_formula, "either",
         check=no_formula_stored),
    Case("formulas/dde-payload-in-comment", b_comment("+cmd|' /C calc'!A0", xlsx=True), "handled",
         check=expect_comment("N1", "PERM-03", "+cmd|' /C calc'!A0")),
    Case("formulas/at-sum-in-team", b_value("cases", 0, "team", "@SUM(A1:A9)"), "handled",
         check=expect_column("team", ["@SUM(A1:A9)", "T1", "T2", "T1"])),
    Case("formulas/minus-expression-team-on-cli", b_export("--team", "-2+3"), "either",
         absent=("expected one argument", "unrecognized arguments")),
    Case("formulas/formula-without-cached-value", b_formula_no_cache, "refused",
         ("formula",), where={"sheet": "responses", "row": 2, "column": "response"}),
    Case("formulas/sql-in-comment", b_comment(SQL, way="cli"), "handled",
         check=expect_comment("N1", "PERM-03", SQL)),
    Case("formulas/sql-in-export-round", b_export("--round", "x' OR '1'='1"), "refused",
         ("round",)),
    Case("formulas/sql-in-child-ref", b_value("cases", 1, "child_ref", "C1'; DROP TABLE cases;--"),
         "either", check=expect_column("child_ref",
                                       ["C1001", "C1'; DROP TABLE cases;--", "C1003", "C1004"])),
    Case("formulas/script-in-comment", b_comment("<script>alert(1)</script><img src=x "
                                                 "onerror=alert(2)>"), "handled",
         check=expect_comment("N1", "PERM-03",
                              "<script>alert(1)</script><img src=x onerror=alert(2)>")),
    Case("formulas/markdown-link-in-comment",
         b_comment("**bold** [click](javascript:alert(1)) ![x](http://evil.example/p.png)"),
         "handled", check=expect_comment(
             "N1", "PERM-03",
             "**bold** [click](javascript:alert(1)) ![x](http://evil.example/p.png)")),
    Case("formulas/formula-in-refused-value-errors-csv", b_errors_csv, "refused",
         ("quadrant",), check=errors_csv_neutral),
    Case("formulas/url-markdown-in-standard",
         b_url({"standard": "[x](javascript:alert(1))", "area": "<b>SW</b>"}), "handled",
         ("standard",)),
]  # fmt: skip


# --- trackers and mappings ---------------------------------------------------------------------


def b_mapping_upload(content: bytes | str | dict):
    def build(folder: Path, store: Path) -> dict:
        data = json.dumps(content) if isinstance(content, dict) else content
        return {"way": "mapping", "mapping": put(folder, "mapping.json", data)}

    return build


def good_mapping() -> dict:
    import csv as csv_module

    with SW_CSV.open(encoding="utf-8", newline="") as handle:
        return sw_mapping(next(csv_module.reader(handle)))


def mapping_with(**changes: object) -> dict:
    mapping = good_mapping()
    layout = mapping["layouts"][0]
    for key, value in changes.items():
        if key in layout:
            layout[key] = value
        else:
            mapping[key] = value
    return mapping


def b_tracker_xlsx(
    headers: list[str], rows: list[list[object]], way: str = "tracker", sheet: str = "South West"
):
    def build(folder: Path, store: Path) -> dict:
        path = put(folder, "tracker.xlsx", workbook({sheet: [headers, *rows]}))
        if way == "map":
            return cli("map", path, "--theme", THEME, "--round", ROUND, "--out",
                       folder / "m.json", "--data-dir", store)  # fmt: skip
        return {"way": "tracker", "files": [path], "theme": THEME, "round_id": ROUND,
                "quadrant": "SW"}  # fmt: skip

    return build


STANDARD_HEADERS = [f"Q{n} {PERM[n - 1]}" for n in range(1, 11)]


def tracker_rows(refs: list[str], answer: str = "Yes", extra: list[object] | None = None):
    return [[ref, "05/03/2021", *([answer] * 10), *(extra or [])] for ref in refs]


def b_mapping_name_traversal(folder: Path, store: Path) -> dict:
    mapping = good_mapping()
    mapping["name"] = "../../../escaped-mapping"
    tracker = put(folder, "SW_permanency.csv", SW_CSV.read_bytes())
    return ingest_cli(store, tracker, mapping=put(folder, "m.json", json.dumps(mapping)),
                      round=ROUND)  # fmt: skip


def sw_round_stored(store: Path) -> None:
    """The South West fixture's round is stored: 6 cases, 60 answers (its README)."""
    assert len(stored(store, "SELECT * FROM cases WHERE round_id = $r", r=ROUND)) == 6
    answers = stored(store, "SELECT count(*) AS n FROM responses WHERE round_id = $r", r=ROUND)
    assert int(answers["n"].iloc[0]) == 60


def mapping_saved_inside(store: Path, result: dict) -> None:
    from analytics.ingest.trackers.saved import read_saved

    sw_round_stored(store)
    saved = read_saved(store)  # a row of the store's tracker_mappings table, named as given
    assert [m.name for m in saved.mappings] == ["../../../escaped-mapping"], saved
    assert saved.slugs == ["escaped-mapping"]
    outside = [p for p in store.parent.parent.rglob("*escaped-mapping*")
               if store not in p.parents]  # fmt: skip
    assert not outside, f"a mapping was written outside the store: {outside}"


def mapping_written(store: Path, result: dict) -> None:
    from analytics.ingest.trackers.model import parse_mapping

    written = parse_mapping(Path(result["action"]["argv"][-3]).read_bytes())
    assert set(written.layouts[0].standards.values()) == set(PERM)


TRACKERS_CASES = [
    Case("trackers/mapping-over-the-size-limit",
         lambda f, s: ingest_cli(s, str(SW_CSV), mapping=put(
             f, "big.json", json.dumps(mapping_with(pad="x" * 300_000))), round=ROUND),
         "refused", ("bytes",)),
    Case("trackers/mapping-deeply-nested-json", b_mapping_upload("[" * 100_000 + "]" * 100_000),
         "refused", ("mapping.json",)),
    Case("trackers/mapping-wrong-types", b_mapping_upload(mapping_with(fields=[1, 2],
                                                                       standards="PERM-01")),
         "refused", ("fields",)),
    Case("trackers/mapping-unknown-field", b_mapping_upload(mapping_with(run_command="rm -rf /")),
         "refused", ("run_command",)),
    Case("trackers/mapping-missing-column",
         b_tracker_csv(lambda rows: None, mapping_edit=lambda m: m["layouts"][0]["fields"].update(
             case_ref="No such column")), "refused", ("No such column",)),
    Case("trackers/mapping-source-names-another-sheet",  # a layout is paired by its headers
         b_tracker_csv(lambda rows: None, way="api", mapping_edit=lambda m: m["layouts"][0].update(
             source="No such sheet")), "handled", check=lambda s, r: sw_round_stored(s)),
    Case("trackers/two-columns-mapped-to-one-standard",
         b_tracker_csv(lambda rows: None, mapping_edit=lambda m: m["layouts"][0]["standards"].update(
             {h: "PERM-01" for h in list(m["layouts"][0]["standards"])[:2]})),
         "refused", ("PERM-01",)),
    Case("trackers/no-case-reference-column",
         b_tracker_xlsx(["Date of audit", *STANDARD_HEADERS],
                        [r[1:] for r in tracker_rows(["SW-1", "SW-2"])]), "refused", ()),
    Case("trackers/auditors-names-column",
         b_tracker_xlsx(["Case ref", "Date of audit", *STANDARD_HEADERS, "Auditor"],
                        tracker_rows(["SW-301", "SW-302", "SW-303"],
                                     extra=["Pat Example"]) [:1]
                        + tracker_rows(["SW-302"], extra=["Sam Sample"])
                        + tracker_rows(["SW-303"], extra=["Alex Test"])), "refused",
         ("Auditor",)),
    Case("trackers/unmapped-answer-words",
         b_tracker_xlsx(["Case ref", "Date of audit", *STANDARD_HEADERS],
                        tracker_rows(["SW-301", "SW-302"], answer="Sort of")), "refused",
         ("Sort of",)),
    Case("trackers/duplicate-case-refs",
         b_tracker_csv(set_cell(2, 0, "SW-301"), way="api"), "refused", ("SW-301",)),
    Case("trackers/mapping-for-another-theme",
         b_tracker_csv(lambda rows: None, mapping_edit=lambda m: m.update(theme_id="missing")),
         "refused", ("PERM",)),
    Case("trackers/mapping-not-json", b_mapping_upload(b"\x89PNG\r\n\x1a\n\0\0\0"), "refused",
         ("JSON",)),
    Case("trackers/mapping-utf16", b_mapping_upload(json.dumps(good_mapping()).encode("utf-16")),
         "either"),
    Case("trackers/mapping-nan-literal", b_mapping_upload(
        json.dumps(good_mapping()).replace('"quadrant": "SW"', '"quadrant": NaN')), "refused",
        ("NaN",)),
    Case("trackers/mapping-blank-answer-met", b_mapping_upload(mapping_with(blank_answer="Met")),
         "refused", ("blank_answer",)),
    Case("trackers/mapping-name-path-traversal", b_mapping_name_traversal, "handled",
         check=mapping_saved_inside),
    Case("trackers/saved-mapping-name-unknown",
         lambda f, s: ingest_cli(s, str(SW_CSV), mapping="../../no such mapping", round=ROUND),
         "refused", ("no such mapping",)),
    Case("trackers/map-unknown-theme",
         lambda f, s: cli("map", SW_CSV, "--theme", "../etc", "--round", ROUND, "--out",
                          f / "m.json", "--data-dir", s), "refused", ("../etc",)),
    Case("trackers/map-headers-only-tracker",  # a mapping can be proposed from headers alone
         b_tracker_xlsx(["Case ref", "Date of audit", *STANDARD_HEADERS], [], way="map"),
         "handled", check=mapping_written),
    Case("trackers/unknown-quadrant-words",
         b_tracker_xlsx(["Case ref", "Quadrant", "Date of audit", *STANDARD_HEADERS],
                        [[r[0], "Middle Earth", *r[1:]] for r in tracker_rows(["SW-1", "SW-2"])]),
         "refused", ("Middle Earth",)),
    Case("trackers/dob-column-in-tracker",
         b_tracker_xlsx(["Case ref", "DOB", "Date of audit", *STANDARD_HEADERS],
                        [[r[0], "04/05/2012", *r[1:]] for r in tracker_rows(["SW-1", "SW-2"])]),
         "refused", ("DOB",)),
    Case("trackers/numeric-scale-fixture-through-map",
         lambda f, s: cli("map", TRACKERS / "bad_numeric_scale.xlsx", "--theme", THEME,
                          "--round", ROUND, "--out", f / "m.json", "--data-dir", s), "either"),
    Case("trackers/personal-data-fixture-through-tracker-path",
         lambda f, s: {"way": "tracker", "files": [str(TRACKERS / "bad_personal_data.xlsx")],
                       "theme": THEME, "round_id": ROUND}, "refused", ()),
]  # fmt: skip


CASES: list[Case] = [
    *STRUCTURE, *VALUES, *IDENTITY, *DATES, *TEXT, *SIZES, *PERSONAL, *INJECTION, *TRACKERS_CASES,
]  # fmt: skip
CATEGORIES = {c.id.split("/")[0] for c in CASES}
assert len({c.id for c in CASES}) == len(CASES), "case ids must be unique"
