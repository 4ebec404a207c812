"""The drill-down's list of cases as CSV and XLSX: whole rows, its header, recorded like every
export, never for circulation."""

from __future__ import annotations

import csv
import datetime as dt
import io
from functools import partial

import openpyxl
import pytest

from analytics import audit_trail, disclosure, export, queries
from analytics.access import Actor
from analytics.domain import Filters
from analytics.errors import AuditDataError
from analytics.export.cases import case_list_bytes
from analytics.store import Store

MADE_ON = dt.date(2026, 12, 6)
HEADINGS = ["Audit", "Child reference", "Area", "Team", "Audit date", "Response",
            "Auditor's comment", "Overall grade"]  # fmt: skip


def split(rows: list[list[str]]) -> tuple[dict[str, str], list[list[str]]]:
    blank = rows.index([])
    return {r[0]: r[1] for r in rows[:blank]}, rows[blank + 1 :]


def test_csv_holds_every_case_of_the_cell_with_its_header(tiny):
    # The tiny store by hand: alpha r2, Q1 in NW is A1 Met and A2 Not met (not met first).
    data = case_list_bytes(tiny, "alpha", "Q1", Filters(quadrants=("NW",)), "csv", made_on=MADE_ON)
    header, table = split(list(csv.reader(io.StringIO(data.decode("utf-8-sig")))))
    assert header["Standard"] == "Q1 · Visits are timely"
    assert header["Theme"] == "Alpha theme" and header["Round"] == "Round two"
    assert header["Filters"] == "NW; all teams" and header["Cases"] == "2"
    assert header["Mode"] == disclosure.mode_text(None) and header["Date"] == "2026-12-06"
    assert table == [
        HEADINGS,
        ["A2", "SYN-A2", "NW", "T2", "2020-04-02", "Not met", "comment A2-Q1",
         "Requires improvement"],
        ["A1", "SYN-A1", "NW", "T1", "2020-04-02", "Met", "comment A1-Q1", "Good"],
    ]  # fmt: skip


def test_xlsx_holds_the_same_rows(tiny):
    scope = Filters(round_id="r1")
    data = case_list_bytes(tiny, "alpha", "Q2", scope, "xlsx", made_on=MADE_ON)
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows(values_only=True))
    top = next(i for i, row in enumerate(rows) if row[0] == "Audit")
    assert dict((r[0], r[1]) for r in rows[: top - 1])["Round"] == "Round one"
    assert rows[top:] == [
        tuple(HEADINGS),
        ("B2", "SYN-B2", "NE", "T1", "2020-01-02", "Not met", "comment B2-Q2", "Inadequate"),
        ("B1", "SYN-B1", "NW", "T1", "2020-01-02", "Met", "comment B1-Q2", "Inadequate"),
    ]


def test_the_export_lists_every_case_beyond_the_screen_limit(sample):
    scope = Filters()
    data = case_list_bytes(sample, "permanency", "PERM-01", scope, "csv", made_on=MADE_ON)
    _, table = split(list(csv.reader(io.StringIO(data.decode("utf-8-sig")))))
    everyone = queries.cases_behind(sample, "permanency", "PERM-01", scope, limit=None)
    assert [row[0] for row in table[1:]] == everyone["audit_id"].tolist()
    assert len(everyone) == queries.cell_cases(sample, "permanency", "PERM-01", scope) == 61


def test_a_case_list_is_never_exported_for_circulation(tiny):
    with pytest.raises(AuditDataError, match="not exported for circulation"):
        case_list_bytes(tiny, "alpha", "Q1", Filters(), "csv", threshold=5)


def test_the_export_is_checked_and_recorded_in_the_audit_trail(tiny_dir):
    store = Store(tiny_dir)
    scope = Filters(quadrants=("NE",), teams=("T1",))
    name = export.file_name("csv", "alpha", "cases-Q1", scope, made_on=MADE_ON)
    lead = Actor("lead.ne@example.org", "Lead", "inspection_lead", quadrant="NE")
    make = partial(case_list_bytes, store, "alpha", "Q1", scope, "csv")
    data = export.recorded_export(store, lead, make, what=name, theme="alpha", filters=scope,
                                  threshold=None)  # fmt: skip
    assert b"SYN-A3" in data
    reader = Actor("reader@example.org", "Reader", "reader")
    with pytest.raises(AuditDataError):
        export.recorded_export(store, reader, make, what=name, theme="alpha", filters=scope,
                               threshold=None)  # fmt: skip
    trail = audit_trail.read_trail(tiny_dir)
    rows = trail[["user", "action", "what", "theme_id", "quadrants", "teams", "outcome"]]
    assert rows.sort_values("user").to_dict("records") == [
        {"user": "lead.ne@example.org", "action": "export", "what": name, "theme_id": "alpha",
         "quadrants": "NE", "teams": "T1", "outcome": "done"},
        {"user": "reader@example.org", "action": "export", "what": name, "theme_id": "alpha",
         "quadrants": "NE", "teams": "T1", "outcome": "refused"},
    ]  # fmt: skip
    assert name == "audit-insight_alpha_cases-Q1_NE_2026-12-06.csv"
    assert trail["snapshot_id"].tolist() == [
        store.snapshot,
        store.snapshot,
    ]  # what it was made from
